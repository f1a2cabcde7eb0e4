-- Up Migration
-- Orders whose shipment was cancelled before one was scheduled (the saga's undo overtook a step
-- still running somewhere). A schedule for such an order refuses instead of sending goods.
CREATE TABLE shipment_tombstones (
  order_id   uuid PRIMARY KEY,
  reason     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE shipment_tombstones;
