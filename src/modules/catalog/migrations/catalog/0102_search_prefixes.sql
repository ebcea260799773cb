-- Search keeps its results while a word is typed, and a query of stop words still finds titles.
--
-- 1. Titles were indexed only as Russian and English stems, and the last query word became a
--    prefix of its own stem: "risi" (stem "risi") missed "Rising" (stem "rise") although "ris"
--    matched. Titles are now also indexed in their plain form (the simple configuration, as
--    person and genre names already are), which every prefix of a title word matches; the
--    query already carries the plain form of each word (catalog.word_tsquery). The plain form
--    is taken after ASCII punctuation becomes spaces, so the title splits into the words the
--    search box splits a query into ("1/2" is "1" and "2", not one file-path token). Descriptions
--    stay stemmed only: their plain form would double the largest part of the index.
-- 2. Stop words ("the", "a", "you") carry no stem, so a query made only of them was empty and
--    found nothing. When no word a result must contain is left, the query falls back to the
--    plain forms of its words, which the plain title vector holds.
ALTER TABLE catalog.film DROP COLUMN search, DROP COLUMN title_search;
ALTER TABLE catalog.film
  ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('russian', coalesce(title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
    setweight(to_tsvector('simple', regexp_replace(coalesce(title, ''), '[!-/:-@[-`{-~]+', ' ', 'g')), 'A') ||
    setweight(to_tsvector('simple', coalesce(person_names, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(genre_names, '')), 'B') ||
    setweight(to_tsvector('russian', coalesce(description, '')), 'C') ||
    setweight(to_tsvector('english', coalesce(description, '')), 'C')
  ) STORED,
  ADD COLUMN title_search tsvector GENERATED ALWAYS AS (
    to_tsvector('russian', coalesce(title, '')) ||
    to_tsvector('english', coalesce(title, '')) ||
    to_tsvector('simple', regexp_replace(coalesce(title, ''), '[!-/:-@[-`{-~]+', ' ', 'g'))
  ) STORED;
ALTER TABLE catalog.film ALTER COLUMN title_search SET STORAGE MAIN;
CREATE INDEX film_search_idx ON catalog.film USING gin (search);

CREATE OR REPLACE FUNCTION catalog.search_tsquery(
  words text[], groups integer[], prefixes boolean[], negated boolean[]
) RETURNS tsquery
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN bool_or(NOT neg AND tq IS NOT NULL)
      THEN catalog.tsquery_and_agg(CASE WHEN neg THEN !! tq ELSE tq END)
    ELSE catalog.tsquery_and_agg(CASE WHEN neg THEN !! plain ELSE plain END)
  END
  FROM (
    SELECT g, bool_or(neg) AS neg,
           catalog.tsquery_or_agg(catalog.word_tsquery(w, p)) AS tq,
           catalog.tsquery_or_agg(to_tsquery('simple', quote_literal(w) || CASE WHEN p THEN ':*' ELSE '' END)) AS plain
    FROM unnest(words, groups, prefixes, negated) AS t(w, g, p, neg)
    GROUP BY g
  ) AS grouped
$$;
