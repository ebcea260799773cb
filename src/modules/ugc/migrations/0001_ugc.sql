-- User-generated content: a projection of films, ratings, reviews with reactions, bookmarks,
-- watch progress and history, and the raw player/click events (partitioned by day).

-- Films as the content module last described them (kept by the ugc-films worker).
CREATE TABLE ugc.film (
  id         uuid PRIMARY KEY,
  title      text NOT NULL,
  rating     double precision,
  access     text NOT NULL CHECK (access IN ('FREE', 'PAID', 'ARCHIVED')),
  genre_ids  uuid[] NOT NULL DEFAULT '{}',
  version    integer NOT NULL DEFAULT 0,
  -- A bulk change named this film but its new state could not be read yet.
  stale      boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ugc.rating (
  user_id    uuid NOT NULL,
  film_id    uuid NOT NULL,
  score      smallint NOT NULL CHECK (score BETWEEN 1 AND 10),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, film_id)
);
CREATE INDEX rating_updated_idx ON ugc.rating (updated_at, film_id) INCLUDE (score);

-- Votes per (film, score), changed only by atomic increments: average and count are exact.
CREATE TABLE ugc.rating_count (
  film_id uuid NOT NULL,
  score   smallint NOT NULL CHECK (score BETWEEN 1 AND 10),
  votes   integer NOT NULL CHECK (votes >= 0),
  PRIMARY KEY (film_id, score)
);

CREATE TABLE ugc.review (
  id           uuid PRIMARY KEY,
  film_id      uuid NOT NULL,
  author_id    uuid NOT NULL,
  author_login text NOT NULL,
  text         text NOT NULL,
  likes        integer NOT NULL DEFAULT 0 CHECK (likes >= 0),
  dislikes     integer NOT NULL DEFAULT 0 CHECK (dislikes >= 0),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (film_id, author_id)
);
CREATE INDEX review_film_created_idx ON ugc.review (film_id, created_at DESC, id);
CREATE INDEX review_film_likes_idx ON ugc.review (film_id, likes DESC, created_at DESC, id);

CREATE TABLE ugc.review_reaction (
  review_id  uuid NOT NULL REFERENCES ugc.review (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL,
  value      smallint NOT NULL CHECK (value IN (-1, 1)),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (review_id, user_id)
);

CREATE TABLE ugc.bookmark (
  user_id    uuid NOT NULL,
  film_id    uuid NOT NULL,
  note       text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, film_id)
);
CREATE INDEX bookmark_user_created_idx ON ugc.bookmark (user_id, created_at DESC);

-- The latest position per user and film; `completed` marks that the current watch already
-- reached 90 % (so repeated writes of the same watch add one history entry, not many).
CREATE TABLE ugc.progress (
  user_id    uuid NOT NULL,
  film_id    uuid NOT NULL,
  position_s double precision NOT NULL CHECK (position_s >= 0),
  duration_s double precision NOT NULL CHECK (duration_s > 0),
  completed  boolean NOT NULL DEFAULT false,
  hidden     boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, film_id)
);
CREATE INDEX progress_user_updated_idx ON ugc.progress (user_id, updated_at DESC);

CREATE TABLE ugc.watch_history (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id    uuid NOT NULL,
  film_id    uuid NOT NULL,
  watched_at timestamptz NOT NULL
);
CREATE INDEX watch_history_user_idx ON ugc.watch_history (user_id, watched_at DESC, id DESC);

-- Raw events, one partition per UTC day (created ahead by the sink, detached by `kino ugc prune`).
-- A retried event carries the same event_id and ts, so (event_id, ts) deduplicates it in any
-- partition.
CREATE TABLE ugc.events (
  event_id    uuid NOT NULL,
  ts          timestamptz NOT NULL,
  type        text NOT NULL,
  user_id     uuid,
  film_id     uuid,
  payload     jsonb NOT NULL DEFAULT '{}'::jsonb,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, ts)
) PARTITION BY RANGE (ts);
CREATE INDEX events_film_type_ts_idx ON ugc.events (film_id, type, ts);

-- Daily counters per film, incremented by the sink in the transaction that stores the events.
CREATE TABLE ugc.film_daily (
  film_id     uuid NOT NULL,
  day         date NOT NULL,
  views       integer NOT NULL DEFAULT 0,
  completions integer NOT NULL DEFAULT 0,
  PRIMARY KEY (film_id, day)
);
CREATE INDEX film_daily_day_idx ON ugc.film_daily (day, film_id) INCLUDE (views, completions);
