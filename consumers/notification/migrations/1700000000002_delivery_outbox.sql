-- Up Migration
-- The notification row is its own delivery outbox (docs/decisions.md, "Notification delivery"): the
-- consumer records it pending in the transaction that marks the event processed, and the delivery
-- loop sends it, at least once, retrying with capped exponential backoff until it is sent, or failed
-- after NOTIFICATION_DELIVERY_MAX_ATTEMPTS (or at once when the provider refuses it for good).
ALTER TABLE notifications
  ADD COLUMN html_body           text,
  ADD COLUMN delivery_state      text,
  ADD COLUMN attempts            integer     NOT NULL DEFAULT 0,
  ADD COLUMN last_error          text,
  ADD COLUMN next_attempt_at     timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN sent_at             timestamptz,
  ADD COLUMN provider_message_id text,
  -- the W3C trace context of the consumer that recorded it: each delivery attempt joins the order's trace
  ADD COLUMN traceparent         text;
-- Rows recorded before delivery existed were never sent; sending them now would mail customers about
-- old orders, so they are closed as failed with the reason.
UPDATE notifications SET delivery_state = 'failed', last_error = 'recorded before delivery existed; not sent';
ALTER TABLE notifications
  ALTER COLUMN delivery_state SET DEFAULT 'pending',
  ALTER COLUMN delivery_state SET NOT NULL,
  ADD CONSTRAINT notifications_delivery_state_check CHECK (delivery_state IN ('pending', 'sent', 'failed'));
-- What the delivery loop claims: the pending rows that are due, oldest first.
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE delivery_state = 'pending';

-- Down Migration
DROP INDEX notifications_due_idx;
ALTER TABLE notifications
  DROP CONSTRAINT notifications_delivery_state_check,
  DROP COLUMN traceparent,
  DROP COLUMN provider_message_id,
  DROP COLUMN sent_at,
  DROP COLUMN next_attempt_at,
  DROP COLUMN last_error,
  DROP COLUMN attempts,
  DROP COLUMN delivery_state,
  DROP COLUMN html_body;
