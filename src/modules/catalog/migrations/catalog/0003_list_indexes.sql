-- Covering indexes for film lists and their totals: a page walks one index in rating order and
-- filters access level and genres on the index tuples, so it never reads the wide film rows
-- (document, search vector). They replace the plain rating indexes of 0001.
DROP INDEX IF EXISTS catalog.film_rating_idx;
DROP INDEX IF EXISTS catalog.film_rating_asc_idx;
CREATE INDEX film_list_desc_idx ON catalog.film (imdb_rating DESC NULLS LAST, id)
  INCLUDE (access, title, genre_ids);
CREATE INDEX film_list_asc_idx ON catalog.film (imdb_rating ASC NULLS LAST, id)
  INCLUDE (access, title, genre_ids);
