-- Account recovery (docs/adr/0035-account-recovery.md).

-- A single-use token proves one (account, address) pair: the address it was mailed to. Tokens
-- issued before this column existed name no address and are voided below.
ALTER TABLE auth.one_time_tokens ADD COLUMN email text;
ALTER TABLE auth.one_time_tokens DROP CONSTRAINT one_time_tokens_purpose_check;
ALTER TABLE auth.one_time_tokens ADD CONSTRAINT one_time_tokens_purpose_check
  CHECK (purpose IN ('verify_email', 'reset_password', 'mfa', 'revert_email'));
UPDATE auth.one_time_tokens SET used_at = now()
  WHERE used_at IS NULL AND purpose IN ('verify_email', 'reset_password');

-- Failed attempts for names that match no account, counted and locked exactly like an account's
-- own counter so that a lockout does not tell whether the account exists. Keyed by a hash.
CREATE TABLE auth.login_throttle (
  name_hash     text PRIMARY KEY,
  failed_logins integer NOT NULL DEFAULT 0,
  locked_until  timestamptz,
  updated_at    timestamptz NOT NULL
);
CREATE INDEX login_throttle_updated_idx ON auth.login_throttle (updated_at);

-- Addresses are stored in NFC (RFC 8265). Rows whose NFC form would collide with another
-- account are left as they are for an operator to resolve.
UPDATE auth.users u SET email = normalize(u.email, NFC)
  WHERE u.email IS NOT NFC NORMALIZED
    AND NOT EXISTS (SELECT 1 FROM auth.users o
                    WHERE o.id <> u.id AND lower(o.email) = lower(normalize(u.email, NFC)));
