-- The edited catalogue (write model): the Practicum content schema, plus access levels,
-- optimistic-concurrency versions and a change log written in the same transaction as each edit.
CREATE TABLE content.film_work (
  id            uuid PRIMARY KEY,
  title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
  description   text,
  creation_date date,
  rating        double precision CHECK (rating >= 0 AND rating <= 10),
  type          text NOT NULL DEFAULT 'movie' CHECK (type IN ('movie', 'tv_show')),
  access        text NOT NULL DEFAULT 'FREE' CHECK (access IN ('FREE', 'PAID', 'ARCHIVED')),
  file_path     text,
  version       integer NOT NULL DEFAULT 1,
  created       timestamptz NOT NULL DEFAULT now(),
  modified      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX film_work_modified_idx ON content.film_work (modified, id);
CREATE INDEX film_work_creation_date_idx ON content.film_work (creation_date);
CREATE INDEX film_work_rating_idx ON content.film_work (rating);

CREATE TABLE content.genre (
  id          uuid PRIMARY KEY,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text,
  version     integer NOT NULL DEFAULT 1,
  created     timestamptz NOT NULL DEFAULT now(),
  modified    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX genre_name_key ON content.genre (lower(name));

CREATE TABLE content.person (
  id        uuid PRIMARY KEY,
  full_name text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 300),
  version   integer NOT NULL DEFAULT 1,
  created   timestamptz NOT NULL DEFAULT now(),
  modified  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX person_full_name_idx ON content.person (full_name);

CREATE TABLE content.genre_film_work (
  id           uuid PRIMARY KEY,
  film_work_id uuid NOT NULL REFERENCES content.film_work (id) ON DELETE CASCADE,
  genre_id     uuid NOT NULL REFERENCES content.genre (id) ON DELETE CASCADE,
  created      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (film_work_id, genre_id)
);
CREATE INDEX genre_film_work_genre_idx ON content.genre_film_work (genre_id);

CREATE TABLE content.person_film_work (
  id           uuid PRIMARY KEY,
  film_work_id uuid NOT NULL REFERENCES content.film_work (id) ON DELETE CASCADE,
  person_id    uuid NOT NULL REFERENCES content.person (id) ON DELETE CASCADE,
  role         text NOT NULL CHECK (role IN ('actor', 'director', 'writer')),
  created      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (film_work_id, person_id, role)
);
CREATE INDEX person_film_work_person_idx ON content.person_film_work (person_id);

-- Who changed what: one row per create/update/delete, written with the change itself.
CREATE TABLE content.change_log (
  id          bigserial PRIMARY KEY,
  entity      text NOT NULL CHECK (entity IN ('film', 'genre', 'person')),
  entity_id   uuid NOT NULL,
  action      text NOT NULL CHECK (action IN ('create', 'update', 'delete')),
  actor_id    uuid,
  actor_login text,
  at          timestamptz NOT NULL DEFAULT now(),
  before      jsonb,
  after       jsonb,
  diff        jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX change_log_entity_idx ON content.change_log (entity, entity_id, at DESC);
CREATE INDEX change_log_at_idx ON content.change_log (at DESC);
