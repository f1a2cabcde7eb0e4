-- Up Migration
-- payment-sim's ledger (docs/payment-telegram.md#the-ledger). Rows are written by a group-commit
-- batcher: each row is the whole current state of a payment, upserted, so a batch may carry a
-- payment's latest state once whatever happened to it since the last flush.
CREATE TABLE payments (
  payment_id         text        PRIMARY KEY,
  -- The order in which the ledger booked payments: the stable cursor of GET /admin/ledger.
  ledger_seq         bigint      NOT NULL UNIQUE,
  order_id           text        NOT NULL,
  -- `<orderId>:<attempt>` of the authorization attempt that obtained it; NULL for a client that
  -- names no attempt.
  attempt_key        text        UNIQUE,
  status             text        NOT NULL CHECK (status IN ('authorized', 'voided', 'refunded', 'reversed')),
  approval_code      text        NOT NULL,
  approved_at        timestamptz NOT NULL,
  amount_minor       bigint      NOT NULL CHECK (amount_minor >= 0),
  currency           text        NOT NULL,
  card_last4         text        NOT NULL,
  installment_months integer     NOT NULL,
  channel            text        NOT NULL CHECK (channel IN ('http', 'tcp')),
  voided_at          timestamptz,
  refunded_at        timestamptz,
  reversed_at        timestamptz,
  cancel_reason      text,
  -- One payment per order that still counts (not reversed): the database holds the rule too, checked
  -- at commit, so a batch that reverses one approval and books the next in the same statement passes.
  CONSTRAINT one_standing_payment_per_order EXCLUDE USING btree (order_id WITH =)
    WHERE (status <> 'reversed') DEFERRABLE INITIALLY DEFERRED
);
-- No index by order id: the service reads the ledger from its in-memory index, loaded whole at start.

-- A reversal that found nothing to reverse (yet), or a void by order id: the attempt (attempt >= 1)
-- or the whole order (attempt = 0) takes no approval afterwards.
CREATE TABLE tombstones (
  order_id   text        NOT NULL,
  attempt    integer     NOT NULL CHECK (attempt >= 0),
  reason     text        NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (order_id, attempt)
);

-- The first answer given under an HTTP Idempotency-Key, replayed to every retry with that key.
CREATE TABLE idempotency_answers (
  idempotency_key text    PRIMARY KEY,
  fingerprint     text    NOT NULL,
  status          integer NOT NULL,
  body            jsonb   NOT NULL,
  payment_id      text
);
CREATE INDEX idempotency_answers_payment_idx ON idempotency_answers (payment_id) WHERE payment_id IS NOT NULL;

-- Down Migration
DROP TABLE idempotency_answers;
DROP TABLE tombstones;
DROP TABLE payments;
