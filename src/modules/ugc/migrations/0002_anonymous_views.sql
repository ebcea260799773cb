-- Views and completions sent without an account are counted apart: anyone can post them, so
-- they must not move the signed-in figures that rankings and reports rely on.
ALTER TABLE ugc.film_daily
  ADD COLUMN anonymous_views       integer NOT NULL DEFAULT 0,
  ADD COLUMN anonymous_completions integer NOT NULL DEFAULT 0;
