-- Up Migration
-- Stock is conserved: what was ever stocked = available + reserved + shipped.
CREATE TABLE products (
  sku              text PRIMARY KEY,
  name             text    NOT NULL,
  unit_price_minor bigint  NOT NULL CHECK (unit_price_minor >= 0),
  currency         text    NOT NULL DEFAULT 'KRW',
  available        integer NOT NULL DEFAULT 0 CHECK (available >= 0),
  reserved         integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  shipped          integer NOT NULL DEFAULT 0 CHECK (shipped >= 0),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- One reservation per order: reserving again for the same order returns the existing one.
CREATE TABLE reservations (
  order_id    uuid PRIMARY KEY,
  status      text   NOT NULL CHECK (status IN ('RESERVED', 'RELEASED', 'SHIPPED')),
  lines       jsonb  NOT NULL,
  total_minor bigint NOT NULL,
  currency    text   NOT NULL,
  reason      text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE reservations;
DROP TABLE products;
