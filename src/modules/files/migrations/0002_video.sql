-- Video jobs (ADR 0100): one per film, replaced when an editor attaches another upload. The job
-- turns the uploaded file into an HLS package under videos/<film>/<job id>/; `prefix` and
-- `renditions` describe the package players get now, which may still be the previous job's
-- until this one publishes. A worker holds a job by its lease; a lease past `lease_until` (a
-- killed worker) makes the job claimable again.
CREATE TABLE files.video (
  film_id         uuid PRIMARY KEY,
  id              uuid NOT NULL UNIQUE,
  source_file_id  uuid NOT NULL,
  status          text NOT NULL CHECK (status IN ('queued', 'processing', 'ready', 'failed')),
  step            text,
  percent         real NOT NULL DEFAULT 0 CHECK (percent BETWEEN 0 AND 100),
  eta_seconds     integer CHECK (eta_seconds >= 0),
  error           text,
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  lease_owner     text,
  lease_until     timestamptz,
  -- The published package: `<prefix>master.m3u8` and one folder per rendition.
  prefix          text,
  renditions      jsonb NOT NULL DEFAULT '[]',
  storage_bytes   bigint NOT NULL DEFAULT 0 CHECK (storage_bytes >= 0),
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  finished_at     timestamptz
);
CREATE INDEX video_due_idx ON files.video (next_attempt_at) WHERE status = 'queued';
CREATE INDEX video_lease_idx ON files.video (lease_until) WHERE status = 'processing';
