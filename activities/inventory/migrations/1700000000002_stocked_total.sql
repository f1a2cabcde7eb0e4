-- Up Migration
-- What was ever put on the shelf, so conservation is checkable: stocked = available + reserved + shipped.
ALTER TABLE products ADD COLUMN stocked integer NOT NULL DEFAULT 0 CHECK (stocked >= 0);
UPDATE products SET stocked = available + reserved + shipped;
ALTER TABLE products ADD CONSTRAINT products_stock_conserved CHECK (stocked = available + reserved + shipped);

-- Down Migration
ALTER TABLE products DROP CONSTRAINT products_stock_conserved;
ALTER TABLE products DROP COLUMN stocked;
