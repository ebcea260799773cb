-- Film totals per access level, overall and per genre, kept by statement-level triggers, so the
-- X-Total-Count of a list without a genre or with one genre is a lookup of at most three rows
-- instead of a count over the catalogue. Several genres (OR) still count the films themselves.
-- genre_id 00000000-0000-0000-0000-000000000000 is the row for all films.
CREATE TABLE catalog.film_count (
  access   text NOT NULL,
  genre_id uuid NOT NULL,
  n        bigint NOT NULL,
  PRIMARY KEY (access, genre_id)
);

-- Deltas of one statement, applied in key order (concurrent writers lock rows in one order).
CREATE FUNCTION catalog.film_counts_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO catalog.film_count (access, genre_id, n)
    SELECT access, g, sum(d) FROM (
      SELECT access, '00000000-0000-0000-0000-000000000000'::uuid AS g, 1 AS d FROM new_rows
      UNION ALL SELECT access, unnest(genre_ids), 1 FROM new_rows
    ) AS delta GROUP BY access, g ORDER BY access, g
    ON CONFLICT (access, genre_id) DO UPDATE SET n = catalog.film_count.n + EXCLUDED.n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO catalog.film_count (access, genre_id, n)
    SELECT access, g, sum(d) FROM (
      SELECT access, '00000000-0000-0000-0000-000000000000'::uuid AS g, -1 AS d FROM old_rows
      UNION ALL SELECT access, unnest(genre_ids), -1 FROM old_rows
    ) AS delta GROUP BY access, g ORDER BY access, g
    ON CONFLICT (access, genre_id) DO UPDATE SET n = catalog.film_count.n + EXCLUDED.n;
  ELSE
    INSERT INTO catalog.film_count (access, genre_id, n)
    SELECT access, g, sum(d) FROM (
      SELECT access, '00000000-0000-0000-0000-000000000000'::uuid AS g, 1 AS d FROM new_rows
      UNION ALL SELECT access, unnest(genre_ids), 1 FROM new_rows
      UNION ALL SELECT access, '00000000-0000-0000-0000-000000000000'::uuid, -1 FROM old_rows
      UNION ALL SELECT access, unnest(genre_ids), -1 FROM old_rows
    ) AS delta GROUP BY access, g HAVING sum(d) <> 0 ORDER BY access, g
    ON CONFLICT (access, genre_id) DO UPDATE SET n = catalog.film_count.n + EXCLUDED.n;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER film_counts_inserted AFTER INSERT ON catalog.film
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalog.film_counts_changed();
CREATE TRIGGER film_counts_updated AFTER UPDATE ON catalog.film
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalog.film_counts_changed();
CREATE TRIGGER film_counts_deleted AFTER DELETE ON catalog.film
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalog.film_counts_changed();

CREATE FUNCTION catalog.film_counts_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM catalog.film_count;
  RETURN NULL;
END
$$;
CREATE TRIGGER film_counts_truncated AFTER TRUNCATE ON catalog.film
  FOR EACH STATEMENT EXECUTE FUNCTION catalog.film_counts_truncated();

-- Rows written before this migration.
INSERT INTO catalog.film_count (access, genre_id, n)
SELECT access, g, count(*) FROM (
  SELECT access, '00000000-0000-0000-0000-000000000000'::uuid AS g FROM catalog.film
  UNION ALL SELECT access, unnest(genre_ids) FROM catalog.film
) AS films GROUP BY access, g;
