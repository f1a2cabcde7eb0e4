-- Up Migration
-- The inbox: an event id is inserted in the same transaction as its effect, so it counts once.
CREATE TABLE processed_events (
  event_id     uuid PRIMARY KEY,
  event_type   text        NOT NULL,
  subject      text        NOT NULL, -- the CloudEvents subject: the order id
  processed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processed_events_subject_idx ON processed_events (subject);

CREATE TABLE event_counts (
  event_type text PRIMARY KEY,
  count      bigint NOT NULL
);

-- One row per order, built from its events in whatever order they arrive (topics are per domain,
-- so an order's events from different domains can interleave).
CREATE TABLE order_facts (
  order_id        uuid PRIMARY KEY,
  customer_id     text NOT NULL,
  status          text,
  status_rank     integer NOT NULL DEFAULT -1,
  payment_channel text,
  payment_outcome text CHECK (payment_outcome IN ('authorized', 'declined')),
  amount_minor    bigint,
  currency        text,
  accepted_at     timestamptz,
  terminal_at     timestamptz
);
CREATE INDEX order_facts_status_idx ON order_facts (status);

-- Down Migration
DROP TABLE order_facts;
DROP TABLE event_counts;
DROP TABLE processed_events;
