-- notify.film is a projection of the content module's film facts (docs/adr/0005): events and
-- backfills may arrive in any order, and the version keeps a newer copy from being replaced by an
-- older one. Rows from before count as version 0, so the next fact of their film replaces them.
ALTER TABLE notify.film ADD COLUMN version integer NOT NULL DEFAULT 0;
