-- Search support for the catalog API: the vocabulary of the catalogue (for typo tolerance) and
-- helpers that turn query words into one tsquery matching Russian, English and plain forms.

-- Every word (4+ letters) that appears in a film or person document, with a trigram index for
-- nearest-word lookups. Filled by triggers, so whatever writes the read model keeps it current.
-- Words are never removed: a stale word only costs a correction that then matches nothing.
CREATE TABLE catalog.search_word (
  word text PRIMARY KEY
);
CREATE INDEX search_word_trgm_idx ON catalog.search_word USING gist (word gist_trgm_ops);

-- Sorted, so concurrent writers lock new words in one order (no deadlocks).
CREATE FUNCTION catalog.add_search_words(bodies text[]) RETURNS void
LANGUAGE sql VOLATILE AS $$
  INSERT INTO catalog.search_word (word)
  SELECT w FROM (
    SELECT DISTINCT regexp_split_to_table(lower(b), '[^[:alnum:]]+') AS w FROM unnest(bodies) AS b
  ) AS words
  WHERE char_length(w) BETWEEN 4 AND 40 AND w !~ '^[0-9]+$'
  ORDER BY w
  ON CONFLICT DO NOTHING
$$;

-- Statement-level triggers with transition tables: a bulk write costs one INSERT, not one per row.
CREATE FUNCTION catalog.film_words_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM catalog.add_search_words(array(
    SELECT concat_ws(' ', title, description, genre_names, person_names) FROM new_rows));
  RETURN NULL;
END
$$;

CREATE FUNCTION catalog.film_words_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM catalog.add_search_words(array(
    SELECT concat_ws(' ', n.title, n.description, n.genre_names, n.person_names)
    FROM new_rows AS n JOIN old_rows AS o ON o.id = n.id
    WHERE (n.title, n.description, n.genre_names, n.person_names)
      IS DISTINCT FROM (o.title, o.description, o.genre_names, o.person_names)));
  RETURN NULL;
END
$$;

CREATE TRIGGER film_words_inserted AFTER INSERT ON catalog.film
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalog.film_words_inserted();
CREATE TRIGGER film_words_updated AFTER UPDATE ON catalog.film
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalog.film_words_updated();

CREATE FUNCTION catalog.person_words_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM catalog.add_search_words(array(SELECT full_name FROM new_rows));
  RETURN NULL;
END
$$;

CREATE FUNCTION catalog.person_words_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM catalog.add_search_words(array(
    SELECT n.full_name FROM new_rows AS n JOIN old_rows AS o ON o.id = n.id
    WHERE n.full_name IS DISTINCT FROM o.full_name));
  RETURN NULL;
END
$$;

CREATE TRIGGER person_words_inserted AFTER INSERT ON catalog.person
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalog.person_words_inserted();
CREATE TRIGGER person_words_updated AFTER UPDATE ON catalog.person
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalog.person_words_updated();

-- Rows written before this migration.
SELECT catalog.add_search_words(array(
  SELECT concat_ws(' ', title, description, genre_names, person_names) FROM catalog.film));
SELECT catalog.add_search_words(array(SELECT full_name FROM catalog.person));

-- One query word as a tsquery matching its Russian stem, English stem and plain form (person and
-- genre names are indexed with the simple configuration); `prefix` makes every form a prefix
-- match. A stop word in either language gives NULL, which the aggregates below skip. (NULL, not
-- an empty tsquery: empty tsqueries make the server send a notice on every use.)
CREATE FUNCTION catalog.word_tsquery(word text, prefix boolean) RETURNS tsquery
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE
    WHEN length(to_tsvector('russian', word)) = 0 OR length(to_tsvector('english', word)) = 0 THEN NULL
    ELSE to_tsquery('russian', q) || to_tsquery('english', q) || to_tsquery('simple', q)
  END
  FROM (SELECT quote_literal(word) || CASE WHEN prefix THEN ':*' ELSE '' END AS q) AS s
$$;

CREATE AGGREGATE catalog.tsquery_or_agg(tsquery) (SFUNC = tsquery_or, STYPE = tsquery);
CREATE AGGREGATE catalog.tsquery_and_agg(tsquery) (SFUNC = tsquery_and, STYPE = tsquery);

-- The whole query: words in the same group are alternatives (a word and its typo corrections),
-- groups are ANDed, a negated group must not match. NULL when no word is left (stop words only).
CREATE FUNCTION catalog.search_tsquery(
  words text[], groups integer[], prefixes boolean[], negated boolean[]
) RETURNS tsquery
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT catalog.tsquery_and_agg(CASE WHEN neg THEN !! tq ELSE tq END)
  FROM (
    SELECT g, bool_or(neg) AS neg, catalog.tsquery_or_agg(catalog.word_tsquery(w, p)) AS tq
    FROM unnest(words, groups, prefixes, negated) AS t(w, g, p, neg)
    GROUP BY g
  ) AS grouped
$$;
