-- Up Migration
CREATE TABLE processed_events (
  event_id     uuid PRIMARY KEY,
  event_type   text        NOT NULL,
  subject      text        NOT NULL, -- the CloudEvents subject: the order id
  processed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processed_events_subject_idx ON processed_events (subject);

CREATE TABLE customer_preferences (
  customer_id text PRIMARY KEY,
  channel     text NOT NULL CHECK (channel IN ('email', 'sms', 'push')),
  locale      text NOT NULL CHECK (locale IN ('ko', 'en')),
  recipient   text NOT NULL
);

-- One notification per event: its id is the event's id, so it can never be sent twice.
CREATE TABLE notifications (
  notification_id uuid PRIMARY KEY,
  customer_id     text NOT NULL,
  order_id        uuid NOT NULL,
  event_type      text NOT NULL,
  channel         text NOT NULL,
  locale          text NOT NULL,
  recipient       text NOT NULL,
  subject         text,
  body            text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_customer_idx ON notifications (customer_id, created_at);

-- Down Migration
DROP TABLE notifications;
DROP TABLE customer_preferences;
DROP TABLE processed_events;
