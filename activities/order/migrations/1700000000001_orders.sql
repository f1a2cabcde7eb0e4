-- Up Migration
CREATE TABLE orders (
  order_id         uuid PRIMARY KEY,
  customer_id      text        NOT NULL,
  status           text        NOT NULL,
  payment_channel  text        NOT NULL CHECK (payment_channel IN ('http', 'tcp')),
  card_last4       text        NOT NULL,
  items            jsonb       NOT NULL,
  shipping_address jsonb       NOT NULL,
  amount_minor     bigint,
  currency         text,
  payment_id       text,
  reason           text,
  accepted_at      timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE INDEX orders_status_idx ON orders (status);

-- A status is entered at most once per order, so recording it again (an activity retry) is a no-op.
CREATE TABLE order_status_history (
  order_id uuid        NOT NULL REFERENCES orders (order_id),
  status   text        NOT NULL,
  reason   text,
  at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (order_id, status)
);

-- Down Migration
DROP TABLE order_status_history;
DROP TABLE orders;
