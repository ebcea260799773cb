-- File metadata (the bytes live in the blob store under blob_key) and a local projection of
-- films (id, access level) fed by content events, so access checks never read another schema.
CREATE TABLE files.file (
  id           uuid PRIMARY KEY,
  short_name   text NOT NULL UNIQUE,
  blob_key     text NOT NULL UNIQUE,
  filename     text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
  size         bigint NOT NULL CHECK (size >= 0),
  content_type text NOT NULL,
  sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  kind         text NOT NULL CHECK (kind IN ('poster', 'video', 'other')),
  film_id      uuid,
  created_by   uuid,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX file_film_idx ON files.file (film_id, kind, created_at DESC);
CREATE INDEX file_created_idx ON files.file (created_at DESC, id);

CREATE TABLE files.film (
  id         uuid PRIMARY KEY,
  access     text NOT NULL CHECK (access IN ('FREE', 'PAID', 'ARCHIVED')),
  version    integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
