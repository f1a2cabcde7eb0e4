-- Up Migration
-- payment-sim's card vault (docs/decisions.md, "Card data"): the one place a full card number is
-- kept, and only encrypted. POST /vault/cards stores a number and answers a token; the simulator
-- turns the token back into the number when an authorization names it (HTTP or the 전문).
--
-- `ciphertext` is AES-256-GCM of the number under the key `key_id` (PAYMENT_VAULT_SECRET_KEYS), with
-- a random 96-bit `iv` per card and the token as additional authenticated data, so a ciphertext moved
-- to another row does not decrypt. `last4`, `brand` and `luhn_valid` are what may be shown of a card
-- (PCI DSS allows the last four digits); nothing else about the number is kept in clear.
CREATE TABLE card_vault (
  token      text        PRIMARY KEY,
  key_id     text        NOT NULL,
  iv         bytea       NOT NULL CHECK (length(iv) = 12),
  ciphertext bytea       NOT NULL,
  auth_tag   bytea       NOT NULL CHECK (length(auth_tag) = 16),
  last4      text        NOT NULL CHECK (last4 ~ '^[0-9]{4}$'),
  brand      text        NOT NULL,
  luhn_valid boolean     NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- Rotation: the cards still under an old key are found by it, to re-encrypt them before the key goes.
CREATE INDEX card_vault_key_id_idx ON card_vault (key_id);

-- Before the vault, an HTTP authorization carried the card number, and the first answer's request
-- fingerprint (idempotency_answers.fingerprint) kept it. Requests now carry a token; the numbers kept
-- from before are cut to their last four digits (a retry of such an old request cannot come any more).
UPDATE idempotency_answers
SET fingerprint = regexp_replace(fingerprint, '"cardNumber":"[0-9]*([0-9]{4})"', '"cardNumber":"************\1"', 'g')
WHERE fingerprint ~ '"cardNumber":"[0-9]{5,}"';

-- Down Migration
DROP TABLE card_vault;
