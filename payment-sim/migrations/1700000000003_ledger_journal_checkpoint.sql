-- Up Migration
-- How far the disk journal's projection has reached (docs/payment-telegram.md#the-ledger). With
-- PAYMENT_LEDGER_JOURNAL_DIR set, payment-sim answers once a change is in its journal on local disk
-- and writes it here behind the answers, in batches; each batch moves `position` (the number of the
-- last journal record it applied) in the same transaction, so after a crash the records past it are
-- applied again and none is skipped. One row, whatever the mode; 0 = nothing projected yet.
CREATE TABLE ledger_journal_checkpoint (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  position bigint  NOT NULL CHECK (position >= 0)
);
INSERT INTO ledger_journal_checkpoint (position) VALUES (0);

-- Down Migration
DROP TABLE ledger_journal_checkpoint;
