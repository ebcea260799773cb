-- Platform tables shared by every module: the transactional outbox, consumers' processed-event
-- ledger, dead letters and the relay's leadership lease.
CREATE TABLE platform.outbox (
  seq          bigserial PRIMARY KEY,
  id           uuid NOT NULL UNIQUE,
  type         text NOT NULL,
  key          text NOT NULL,
  payload      jsonb NOT NULL,
  headers      jsonb NOT NULL DEFAULT '{}'::jsonb,
  occurred_at  timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX outbox_unpublished_idx ON platform.outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_published_at_idx ON platform.outbox (published_at) WHERE published_at IS NOT NULL;

CREATE TABLE platform.processed_event (
  consumer     text NOT NULL,
  event_id     uuid NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
CREATE INDEX processed_event_at_idx ON platform.processed_event (processed_at);

CREATE TABLE platform.dead_letter (
  id        bigserial PRIMARY KEY,
  consumer  text NOT NULL,
  event_id  uuid NOT NULL,
  type      text NOT NULL,
  payload   jsonb NOT NULL,
  error     text NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE platform.lease (
  name   text PRIMARY KEY,
  holder text NOT NULL,
  until  timestamptz NOT NULL
);
