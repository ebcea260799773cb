-- Where each projection's last backfill got to: the fact source's mark it walked (a backfill
-- whose source still shows that mark has nothing to do) and how many rows it read.
CREATE TABLE platform.projection (
  group_name    text PRIMARY KEY,
  source_mark   text NOT NULL,
  rows          bigint NOT NULL,
  backfilled_at timestamptz NOT NULL
);
