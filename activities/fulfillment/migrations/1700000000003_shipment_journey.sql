-- Up Migration
-- A shipment's life after scheduling (ShipmentWorkflow): the carrier picks it up (SHIPPED), then
-- delivers it (DELIVERED) or loses it (LOST). Each step keeps its time, which the order's read shows.
ALTER TABLE shipments DROP CONSTRAINT shipments_status_check;
ALTER TABLE shipments ADD CONSTRAINT shipments_status_check
  CHECK (status IN ('SCHEDULED', 'SHIPPED', 'DELIVERED', 'LOST', 'CANCELLED'));
ALTER TABLE shipments
  ADD COLUMN shipped_at   timestamptz,
  ADD COLUMN delivered_at timestamptz,
  ADD COLUMN lost_at      timestamptz;

-- Down Migration
ALTER TABLE shipments DROP COLUMN shipped_at, DROP COLUMN delivered_at, DROP COLUMN lost_at;
ALTER TABLE shipments DROP CONSTRAINT shipments_status_check;
ALTER TABLE shipments ADD CONSTRAINT shipments_status_check CHECK (status IN ('SCHEDULED', 'SHIPPED', 'CANCELLED'));
