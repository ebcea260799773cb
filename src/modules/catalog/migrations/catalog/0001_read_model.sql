-- The catalog read model: one denormalised row per film, genre and person, built by the etl
-- worker from content events. The API reads only these tables.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE catalog.film (
  id            uuid PRIMARY KEY,
  title         text NOT NULL,
  description   text,
  imdb_rating   double precision,
  access        text NOT NULL CHECK (access IN ('FREE', 'PAID', 'ARCHIVED')),
  film_type     text NOT NULL,
  creation_date date,
  genre_ids     uuid[] NOT NULL DEFAULT '{}',
  person_ids    uuid[] NOT NULL DEFAULT '{}',
  -- Names joined with spaces, for search and typo tolerance.
  genre_names   text NOT NULL DEFAULT '',
  person_names  text NOT NULL DEFAULT '',
  -- The film detail response exactly as the API serves it (uuid, title, imdb_rating, description,
  -- type, genre[], actors[], writers[], directors[]), so a detail read is one row, no joins.
  document      jsonb NOT NULL,
  -- Set from files events (files.poster.changed); merged into the detail response.
  poster_url    text,
  version       integer NOT NULL,
  indexed_at    timestamptz NOT NULL DEFAULT now(),
  search        tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('russian', coalesce(title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(person_names, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(genre_names, '')), 'B') ||
    setweight(to_tsvector('russian', coalesce(description, '')), 'C') ||
    setweight(to_tsvector('english', coalesce(description, '')), 'C')
  ) STORED
);
CREATE INDEX film_search_idx ON catalog.film USING gin (search);
CREATE INDEX film_title_trgm_idx ON catalog.film USING gin (title gin_trgm_ops);
CREATE INDEX film_genre_ids_idx ON catalog.film USING gin (genre_ids);
CREATE INDEX film_rating_idx ON catalog.film (imdb_rating DESC NULLS LAST, id);
CREATE INDEX film_rating_asc_idx ON catalog.film (imdb_rating ASC NULLS LAST, id);
CREATE INDEX film_access_idx ON catalog.film (access);

CREATE TABLE catalog.genre (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  description text,
  indexed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE catalog.person (
  id         uuid PRIMARY KEY,
  full_name  text NOT NULL,
  -- [{uuid, roles[], title, imdb_rating, access}] for every film the person is in.
  films      jsonb NOT NULL DEFAULT '[]'::jsonb,
  indexed_at timestamptz NOT NULL DEFAULT now(),
  search     tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(full_name, ''))) STORED
);
CREATE INDEX person_search_idx ON catalog.person USING gin (search);
CREATE INDEX person_name_trgm_idx ON catalog.person USING gin (full_name gin_trgm_ops);

-- Worker bookkeeping: rebuild progress, the time of the last applied change (lag), etc.
CREATE TABLE catalog.state (
  key        text PRIMARY KEY,
  value      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
