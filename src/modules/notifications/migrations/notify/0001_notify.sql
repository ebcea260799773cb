-- Notifications: recipients (a projection of auth users), preferences, templates, campaigns,
-- deliveries (one row per message per user per channel), the in-app inbox, digest items and the
-- small projections of films, bookmarks and high ratings the film-available workflow needs.
CREATE TABLE notify.recipient (
  user_id     uuid PRIMARY KEY,
  login       text,
  email       text,
  first_name  text,
  locale      text NOT NULL DEFAULT 'en',
  time_zone   text NOT NULL DEFAULT 'UTC',
  -- Quiet hours as minutes after local midnight; both null = none.
  quiet_start smallint CHECK (quiet_start BETWEEN 0 AND 1439),
  quiet_end   smallint CHECK (quiet_end BETWEEN 0 AND 1439),
  roles       text[] NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recipient_roles_idx ON notify.recipient USING gin (roles);

CREATE TABLE notify.preference (
  user_id  uuid NOT NULL REFERENCES notify.recipient (user_id) ON DELETE CASCADE,
  category text NOT NULL,
  channel  text NOT NULL,
  enabled  boolean NOT NULL,
  PRIMARY KEY (user_id, category, channel)
);

CREATE TABLE notify.template (
  key        text NOT NULL CHECK (key ~ '^[a-z0-9_]{1,64}$'),
  locale     text NOT NULL CHECK (locale IN ('en', 'ru')),
  category   text NOT NULL,
  subject    text NOT NULL,
  body_text  text NOT NULL,
  body_html  text NOT NULL,
  builtin    boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (key, locale)
);

CREATE TABLE notify.campaign (
  id           uuid PRIMARY KEY,
  template     text NOT NULL,
  category     text NOT NULL,
  audience     jsonb NOT NULL,
  channels     text[] NOT NULL,
  data         jsonb NOT NULL DEFAULT '{}'::jsonb,
  send_at      timestamptz NOT NULL,
  -- send_at's UTC wall-clock time is delivered at that local time in each recipient's zone.
  local_time   boolean NOT NULL DEFAULT false,
  -- scheduled → expanding → expanded (deliveries exist) | cancelled
  status       text NOT NULL DEFAULT 'scheduled',
  cursor       uuid,
  created_by   uuid,
  created_at   timestamptz NOT NULL DEFAULT now(),
  cancelled_at timestamptz
);
CREATE INDEX campaign_due_idx ON notify.campaign (send_at) WHERE status IN ('scheduled', 'expanding');

CREATE TABLE notify.delivery (
  id              uuid PRIMARY KEY,
  -- What caused the message: an event id, campaign:<id> or digest:<kind>:<bucket>.
  source          text NOT NULL,
  user_id         uuid NOT NULL,
  channel         text NOT NULL CHECK (channel IN ('email', 'in_app')),
  category        text NOT NULL,
  template        text NOT NULL,
  data            jsonb NOT NULL DEFAULT '{}'::jsonb,
  campaign_id     uuid REFERENCES notify.campaign (id) ON DELETE CASCADE,
  -- pending | sending | sent | skipped | dead | cancelled
  status          text NOT NULL DEFAULT 'pending',
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  claim           uuid,
  locked_until    timestamptz,
  last_error      text,
  skip_reason     text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz,
  -- The idempotency key: one message per (cause, user, channel), however often the cause arrives.
  CONSTRAINT delivery_idempotency UNIQUE (source, user_id, channel)
);
CREATE INDEX delivery_due_idx ON notify.delivery (next_attempt_at) WHERE status = 'pending';
CREATE INDEX delivery_lease_idx ON notify.delivery (locked_until) WHERE status = 'sending';
CREATE INDEX delivery_campaign_idx ON notify.delivery (campaign_id, status) WHERE campaign_id IS NOT NULL;
CREATE INDEX delivery_dead_idx ON notify.delivery (finished_at DESC) WHERE status = 'dead';
CREATE INDEX delivery_user_idx ON notify.delivery (user_id);

CREATE TABLE notify.inbox (
  seq         bigserial PRIMARY KEY,
  id          uuid NOT NULL UNIQUE,
  user_id     uuid NOT NULL,
  delivery_id uuid UNIQUE,
  category    text NOT NULL,
  title       text NOT NULL,
  body        text NOT NULL,
  data        jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL,
  read_at     timestamptz
);
CREATE INDEX inbox_user_idx ON notify.inbox (user_id, seq DESC);
CREATE INDEX inbox_unread_idx ON notify.inbox (user_id) WHERE read_at IS NULL;

CREATE TABLE notify.digest_item (
  id         bigserial PRIMARY KEY,
  digest     text NOT NULL,
  user_id    uuid NOT NULL,
  data       jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX digest_item_idx ON notify.digest_item (digest, user_id);

CREATE TABLE notify.film (
  id        uuid PRIMARY KEY,
  title     text NOT NULL,
  access    text NOT NULL,
  genre_ids uuid[] NOT NULL DEFAULT '{}'
);
CREATE INDEX film_genres_idx ON notify.film USING gin (genre_ids);

CREATE TABLE notify.bookmark (
  user_id uuid NOT NULL,
  film_id uuid NOT NULL,
  PRIMARY KEY (user_id, film_id)
);
CREATE INDEX bookmark_film_idx ON notify.bookmark (film_id);

CREATE TABLE notify.high_rating (
  user_id uuid NOT NULL,
  film_id uuid NOT NULL,
  score   smallint NOT NULL,
  PRIMARY KEY (user_id, film_id)
);
CREATE INDEX high_rating_film_idx ON notify.high_rating (film_id);
