/** The SQL of video jobs (`files.video`): one job per film, claimed by one worker at a time. */
import type { SqlExecutor } from '../../../ports/sql.js';
import type { AudioRendition, MasterAudio, Rendition } from '../media/media.hls.js';

export type VideoStatus = 'queued' | 'processing' | 'ready' | 'failed';

export interface VideoRow {
  readonly id: string;
  readonly film_id: string;
  readonly source_file_id: string;
  readonly status: VideoStatus;
  readonly step: string | null;
  readonly percent: number;
  readonly eta_seconds: number | null;
  readonly error: string | null;
  readonly attempts: number;
  readonly next_attempt_at: Date;
  readonly lease_owner: string | null;
  readonly lease_until: Date | null;
  /** The published package (`<prefix>master.m3u8`), possibly a previous job's; null before any. */
  readonly prefix: string | null;
  readonly renditions: readonly PackagedRendition[];
  readonly storage_bytes: number;
  /** What the published package holds beside its renditions. */
  readonly extras: PackageExtras;
  /** The film's WebVTT tracks, kept across replaced videos. */
  readonly subtitles: readonly Subtitle[];
  readonly created_at: Date;
  readonly updated_at: Date;
  readonly finished_at: Date | null;
}

/** A rendition as the package holds it: what the master playlist lists, and the bytes it stores. */
export interface PackagedRendition extends Rendition {
  readonly bytes: number;
}

/** The files of a package beside its renditions (ADR 0100). */
export interface PackageExtras {
  /** `poster.jpg`: a frame of the film. */
  readonly poster?: boolean;
  /** `thumbs/thumbs.vtt` and the sprites it names: previews for scrubbing. */
  readonly thumbnails?: boolean;
  /** A film of several audio tracks: each an audio-only rendition (the video renditions have none). */
  readonly audio?: PackagedAudio;
}

/** The audio group of a package, with the bytes each track stores. */
export interface PackagedAudio extends MasterAudio {
  readonly tracks: readonly (AudioRendition & { readonly bytes: number })[];
}

/** A subtitle track an editor uploaded: a BCP 47 language tag and the name players show. */
export interface Subtitle {
  readonly lang: string;
  readonly label: string;
  readonly bytes: number;
}

export interface VideoProgress {
  readonly step: string;
  readonly percent: number;
  readonly etaSeconds: number | null;
}

export interface PublishedPackage {
  readonly prefix: string;
  readonly renditions: readonly PackagedRendition[];
  readonly storageBytes: number;
  readonly extras: PackageExtras;
}

const COLUMNS =
  'v.id, v.film_id, v.source_file_id, v.status, v.step, v.percent, v.eta_seconds, v.error, v.attempts, v.next_attempt_at, v.lease_owner, v.lease_until, v.prefix, v.renditions, v.storage_bytes, v.extras, v.subtitles, v.created_at, v.updated_at, v.finished_at';

/** The job `id` while `owner` still holds it (not replaced, deleted or taken over). */
const HELD = 'v.id = $1 AND v.lease_owner = $2 AND v.status = $3';

export function createVideoRepository(db: SqlExecutor) {
  return {
    /**
     * Queues a job for the film, replacing its previous job (whose worker loses its lease). The
     * published package stays until the new job publishes its own.
     */
    async enqueue(job: { id: string; filmId: string; sourceFileId: string; now: Date }): Promise<VideoRow> {
      const [row] = await db.query<VideoRow>(
        `INSERT INTO files.video AS v (film_id, id, source_file_id, status, next_attempt_at, created_at, updated_at)
         VALUES ($1, $2, $3, 'queued', $4, $4, $4)
         ON CONFLICT (film_id) DO UPDATE SET
           id = EXCLUDED.id, source_file_id = EXCLUDED.source_file_id, status = 'queued', step = NULL,
           percent = 0, eta_seconds = NULL, error = NULL, attempts = 0, next_attempt_at = EXCLUDED.next_attempt_at,
           lease_owner = NULL, lease_until = NULL, created_at = EXCLUDED.created_at,
           updated_at = EXCLUDED.updated_at, finished_at = NULL
         RETURNING ${COLUMNS}`,
        [job.filmId, job.id, job.sourceFileId, job.now],
      );
      return row!;
    },

    async find(filmId: string): Promise<VideoRow | null> {
      const [row] = await db.query<VideoRow>(`SELECT ${COLUMNS} FROM files.video v WHERE v.film_id = $1`, [
        filmId,
      ]);
      return row ?? null;
    },

    /**
     * Hands one due job to `owner` until `now + leaseMs` and counts the attempt: a queued job
     * whose time has come, or a processing one whose lease ran out (its worker died). Concurrent
     * callers never get the same job (FOR UPDATE SKIP LOCKED).
     */
    async claim(owner: string, now: Date, leaseMs: number): Promise<VideoRow | null> {
      const [row] = await db.query<VideoRow>(
        `UPDATE files.video v
         SET status = 'processing', lease_owner = $1, lease_until = $2, attempts = v.attempts + 1, updated_at = $3
         WHERE v.film_id = (
           SELECT film_id FROM files.video
           WHERE (status = 'queued' AND next_attempt_at <= $3) OR (status = 'processing' AND lease_until <= $3)
           ORDER BY next_attempt_at
           LIMIT 1
           FOR UPDATE SKIP LOCKED)
         RETURNING ${COLUMNS}`,
        [owner, new Date(now.getTime() + leaseMs), now],
      );
      return row ?? null;
    },

    /** Extends the lease; false when `owner` no longer holds job `id`. */
    async renewLease(id: string, owner: string, until: Date): Promise<boolean> {
      const n = await db.execute(`UPDATE files.video v SET lease_until = $4 WHERE ${HELD}`, [
        id,
        owner,
        'processing',
        until,
      ]);
      return n === 1;
    },

    /** Records where the job is (and renews the lease); false when `owner` no longer holds it. */
    async progress(
      id: string,
      owner: string,
      progress: VideoProgress,
      now: Date,
      until: Date,
    ): Promise<boolean> {
      const n = await db.execute(
        `UPDATE files.video v SET step = $4, percent = $5, eta_seconds = $6, updated_at = $7, lease_until = $8
         WHERE ${HELD}`,
        [id, owner, 'processing', progress.step, progress.percent, progress.etaSeconds, now, until],
      );
      return n === 1;
    },

    /**
     * Makes `pkg` the film's package, atomically for readers of the row. Returns the prefix it
     * replaced (equal to `pkg.prefix` when a rendition joined this job's own package), or
     * undefined when `owner` no longer holds the job (nothing changed).
     */
    async publish(
      id: string,
      owner: string,
      pkg: PublishedPackage,
      now: Date,
    ): Promise<{ previous: string | null } | undefined> {
      const [row] = await db.query<{ previous: string | null }>(
        `UPDATE files.video v SET prefix = $4, renditions = $5::jsonb, storage_bytes = $6, updated_at = $7,
           extras = $8::jsonb
         FROM (SELECT film_id, prefix FROM files.video WHERE id = $1 FOR UPDATE) AS old
         WHERE old.film_id = v.film_id AND ${HELD}
         RETURNING old.prefix AS previous`,
        [
          id,
          owner,
          'processing',
          pkg.prefix,
          JSON.stringify(pkg.renditions),
          pkg.storageBytes,
          now,
          JSON.stringify(pkg.extras),
        ],
      );
      return row;
    },

    /** The whole ladder is published: ready. False when `owner` no longer holds the job. */
    async finish(id: string, owner: string, now: Date): Promise<boolean> {
      const n = await db.execute(
        `UPDATE files.video v SET status = 'ready', step = NULL, percent = 100, eta_seconds = 0, error = NULL,
           lease_owner = NULL, lease_until = NULL, updated_at = $4, finished_at = $4
         WHERE ${HELD}`,
        [id, owner, 'processing', now],
      );
      return n === 1;
    },

    /** Ends the job as failed with a reason an editor can read; the published package stays. */
    async fail(id: string, owner: string, reason: string, now: Date): Promise<boolean> {
      const n = await db.execute(
        `UPDATE files.video v SET status = 'failed', error = $4, eta_seconds = NULL,
           lease_owner = NULL, lease_until = NULL, updated_at = $5, finished_at = $5
         WHERE ${HELD}`,
        [id, owner, 'processing', reason, now],
      );
      return n === 1;
    },

    /** Queues the job again at `at` after a transient failure, keeping the reason as its error. */
    async retryLater(id: string, owner: string, reason: string, at: Date, now: Date): Promise<boolean> {
      const n = await db.execute(
        `UPDATE files.video v SET status = 'queued', error = $4, next_attempt_at = $5, eta_seconds = NULL,
           lease_owner = NULL, lease_until = NULL, updated_at = $6
         WHERE ${HELD}`,
        [id, owner, 'processing', reason, at, now],
      );
      return n === 1;
    },

    /** Gives the job back at once (a worker stopping), without counting the attempt. */
    async release(id: string, owner: string, now: Date): Promise<boolean> {
      const n = await db.execute(
        `UPDATE files.video v SET status = 'queued', attempts = greatest(v.attempts - 1, 0), next_attempt_at = $4,
           lease_owner = NULL, lease_until = NULL, updated_at = $4
         WHERE ${HELD}`,
        [id, owner, 'processing', now],
      );
      return n === 1;
    },

    /**
     * The package prefixes of `filmIds` that blobs may live under: each film's published package
     * and its current job's (`videos/<film>/<job>/`, uploading or resuming).
     */
    async livePrefixes(filmIds: readonly string[]): Promise<Set<string>> {
      if (filmIds.length === 0) return new Set();
      const rows = await db.query<{ film_id: string; id: string; prefix: string | null }>(
        'SELECT film_id, id, prefix FROM files.video WHERE film_id = ANY($1::uuid[])',
        [filmIds],
      );
      return new Set(rows.flatMap((r) => [`videos/${r.film_id}/${r.id}/`, ...(r.prefix ? [r.prefix] : [])]));
    },

    /**
     * Adds the film's subtitle track `subtitle.lang`, or replaces the one of that language, in one
     * statement (tracks of other languages written at the same time are kept). Null when the film
     * has no video.
     */
    async putSubtitle(filmId: string, subtitle: Subtitle): Promise<VideoRow | null> {
      const [row] = await db.query<VideoRow>(
        `UPDATE files.video AS v SET subtitles = (
           SELECT coalesce(jsonb_agg(t.e ORDER BY t.e->>'lang'), '[]'::jsonb) FROM (
             SELECT e FROM jsonb_array_elements(v.subtitles) AS e WHERE e->>'lang' <> $2
             UNION ALL SELECT $3::jsonb) AS t)
         WHERE v.film_id = $1
         RETURNING ${COLUMNS}`,
        [filmId, subtitle.lang, JSON.stringify(subtitle)],
      );
      return row ?? null;
    },

    /** Removes the film's subtitle track `lang`; null when the film has no video or no such track. */
    async removeSubtitle(filmId: string, lang: string): Promise<VideoRow | null> {
      const [row] = await db.query<VideoRow>(
        `UPDATE files.video AS v SET subtitles = (
           SELECT coalesce(jsonb_agg(e ORDER BY e->>'lang'), '[]'::jsonb)
           FROM jsonb_array_elements(v.subtitles) AS e WHERE e->>'lang' <> $2)
         WHERE v.film_id = $1 AND v.subtitles @> $3::jsonb
         RETURNING ${COLUMNS}`,
        [filmId, lang, JSON.stringify([{ lang }])],
      );
      return row ?? null;
    },

    /** The `[film id, language]` of every subtitle track `filmIds` have. */
    async subtitleTracks(filmIds: readonly string[]): Promise<[string, string][]> {
      if (filmIds.length === 0) return [];
      const rows = await db.query<{ film_id: string; lang: string }>(
        `SELECT v.film_id, e->>'lang' AS lang FROM files.video AS v, jsonb_array_elements(v.subtitles) AS e
         WHERE v.film_id = ANY($1::uuid[])`,
        [filmIds],
      );
      return rows.map((r) => [r.film_id, r.lang]);
    },

    /** Deletes the film's job; returns it (its `prefix` names the blobs to remove). */
    async remove(filmId: string): Promise<VideoRow | null> {
      const [row] = await db.query<VideoRow>(
        `DELETE FROM files.video AS v WHERE v.film_id = $1 RETURNING ${COLUMNS}`,
        [filmId],
      );
      return row ?? null;
    },
  };
}

export type VideoRepository = ReturnType<typeof createVideoRepository>;
