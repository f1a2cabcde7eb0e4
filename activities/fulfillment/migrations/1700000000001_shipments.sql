-- Up Migration
-- One shipment per order: scheduling again for the same order returns the existing one.
CREATE TABLE shipments (
  shipment_id        text PRIMARY KEY,
  order_id           uuid  NOT NULL UNIQUE,
  customer_id        text  NOT NULL,
  status             text  NOT NULL CHECK (status IN ('SCHEDULED', 'SHIPPED', 'CANCELLED')),
  carrier            text  NOT NULL,
  address            jsonb NOT NULL,
  lines              jsonb NOT NULL,
  estimated_delivery date  NOT NULL,
  reason             text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE shipments;
