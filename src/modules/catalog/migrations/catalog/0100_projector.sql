-- Posters arrive from the files module independently of content edits; kept here so a rebuild
-- or a film projected after its poster event still shows the poster.
CREATE TABLE catalog.poster (
  film_id    uuid PRIMARY KEY,
  url        text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
