-- Accounts, roles and permissions, sessions with rotating refresh tokens, MFA, single-use
-- tokens, social identities, signing keys and the login history (partitioned by month).

CREATE TABLE auth.users (
  id                uuid PRIMARY KEY,
  login             text NOT NULL,
  email             text NOT NULL,
  password_hash     text,
  first_name        text,
  last_name         text,
  locale            text NOT NULL DEFAULT 'en',
  email_verified_at timestamptz,
  is_active         boolean NOT NULL DEFAULT true,
  -- Failed attempts since the last success; claimed atomically before a password is checked.
  failed_logins     integer NOT NULL DEFAULT 0,
  locked_until      timestamptz,
  totp_secret       text,
  totp_enabled      boolean NOT NULL DEFAULT false,
  -- Last accepted TOTP time step: a code is accepted only for a later step (no replay).
  totp_last_step    bigint NOT NULL DEFAULT 0,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_login_key ON auth.users (lower(login));
CREATE UNIQUE INDEX users_email_key ON auth.users (lower(email));
CREATE INDEX users_created_idx ON auth.users (created_at, id);

CREATE TABLE auth.roles (
  code        text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]{0,63}$'),
  description text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE auth.permissions (
  code        text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]{0,63}$'),
  description text NOT NULL DEFAULT ''
);

CREATE TABLE auth.role_permissions (
  role_code       text NOT NULL REFERENCES auth.roles (code) ON UPDATE CASCADE ON DELETE CASCADE,
  permission_code text NOT NULL REFERENCES auth.permissions (code) ON UPDATE CASCADE ON DELETE CASCADE,
  PRIMARY KEY (role_code, permission_code)
);

CREATE TABLE auth.user_roles (
  user_id    uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  role_code  text NOT NULL REFERENCES auth.roles (code) ON UPDATE CASCADE ON DELETE CASCADE,
  granted_at timestamptz NOT NULL DEFAULT now(),
  granted_by uuid,
  PRIMARY KEY (user_id, role_code)
);
CREATE INDEX user_roles_role_idx ON auth.user_roles (role_code);

CREATE TABLE auth.sessions (
  id             uuid PRIMARY KEY,
  user_id        uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  method         text NOT NULL,
  user_agent     text,
  ip             text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_used_at   timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL,
  revoked_at     timestamptz,
  revoked_reason text
);
CREATE INDEX sessions_user_idx ON auth.sessions (user_id) WHERE revoked_at IS NULL;

-- Opaque refresh tokens, stored as SHA-256 hashes. A row is rotated (used_at set) exactly once.
CREATE TABLE auth.refresh_tokens (
  hash        text PRIMARY KEY,
  session_id  uuid NOT NULL REFERENCES auth.sessions (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  replaced_by text
);
CREATE INDEX refresh_tokens_session_idx ON auth.refresh_tokens (session_id);

CREATE TABLE auth.recovery_codes (
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  hash    text NOT NULL,
  used_at timestamptz,
  PRIMARY KEY (user_id, hash)
);

-- Single-use tokens (email verification, password reset, MFA step), stored as hashes.
CREATE TABLE auth.one_time_tokens (
  hash       text PRIMARY KEY,
  purpose    text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'mfa')),
  user_id    uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at    timestamptz
);
CREATE INDEX one_time_tokens_user_idx ON auth.one_time_tokens (user_id, purpose);

CREATE TABLE auth.identities (
  provider   text NOT NULL,
  subject    text NOT NULL,
  user_id    uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  email      text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, subject)
);

-- Social login attempts in flight: state → PKCE verifier, nonce and where to send the user.
CREATE TABLE auth.oauth_states (
  state_hash    text PRIMARY KEY,
  provider      text NOT NULL,
  code_verifier text NOT NULL,
  nonce         text NOT NULL,
  return_to     text,
  expires_at    timestamptz NOT NULL
);

-- Signing keys shared by every auth replica. Private keys are sealed with AES-256-GCM under a key
-- from AUTH_KEY_SECRET or KINO_DATA_DIR/keys (docs/adr/0030).
CREATE TABLE auth.signing_keys (
  kid          text PRIMARY KEY,
  alg          text NOT NULL CHECK (alg IN ('RS256', 'EdDSA')),
  public_jwk   jsonb NOT NULL,
  private_enc  text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  -- Set when a newer key takes over; the public key stays published until tokens it signed expire.
  retired_at   timestamptz,
  publish_until timestamptz
);

CREATE TABLE auth.login_history (
  id         uuid NOT NULL,
  user_id    uuid NOT NULL,
  at         timestamptz NOT NULL,
  ip         text,
  user_agent text,
  success    boolean NOT NULL,
  method     text NOT NULL,
  reason     text,
  PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE INDEX login_history_user_idx ON auth.login_history (user_id, at DESC);

INSERT INTO auth.roles (code, description) VALUES
  ('ADMIN', 'Administrator'),
  ('SUB_USER', 'Subscribed user'),
  ('UNSUB_USER', 'Unsubscribed user'),
  ('ANONYMOUS', 'Anonymous user');

INSERT INTO auth.permissions (code, description) VALUES
  ('CRUD_ROLE', 'Create, read, update, delete roles'),
  ('ASSIGN_ROLE', 'Assign roles'),
  ('FREE_FILMS', 'Free films'),
  ('PAID_FILMS', 'Paid films'),
  ('CRUD_FILMS', 'All films, edit the catalogue');

INSERT INTO auth.role_permissions (role_code, permission_code) VALUES
  ('ADMIN', 'CRUD_ROLE'),
  ('ADMIN', 'ASSIGN_ROLE'),
  ('ADMIN', 'FREE_FILMS'),
  ('ADMIN', 'PAID_FILMS'),
  ('ADMIN', 'CRUD_FILMS'),
  ('SUB_USER', 'PAID_FILMS'),
  ('SUB_USER', 'FREE_FILMS'),
  ('UNSUB_USER', 'FREE_FILMS'),
  ('ANONYMOUS', 'FREE_FILMS');
