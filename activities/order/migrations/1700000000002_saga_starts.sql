-- Up Migration
-- The outbox of saga starts (docs/saga.md, "Accepting an order"). POST /orders writes the order and
-- this row in one statement, then asks Temporal to start the saga outside any transaction, and deletes
-- the row once Temporal has the workflow (started now, or already). A row older than a few seconds
-- is a start that did not happen (Temporal down, the process died between the two): the order
-- service's sweeper starts it, idempotently by workflow id. `input` is the workflow's input, the
-- full request included (the saga needs the card number to authorize), kept only until the start.
CREATE TABLE order_saga_starts (
  order_id   uuid        PRIMARY KEY REFERENCES orders (order_id),
  input      jsonb       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  attempts   integer     NOT NULL DEFAULT 0,
  last_error text
);
CREATE INDEX order_saga_starts_created_idx ON order_saga_starts (created_at);

-- Down Migration
DROP TABLE order_saga_starts;
