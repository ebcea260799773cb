/**
 * Video of a film, as editors manage it: attach an uploaded video (a job is queued, replacing any
 * earlier one), read the job and the published package, delete it with every rendition. The work
 * itself is the transcode worker's (transcode.worker.ts).
 */
import { randomUUID } from 'node:crypto';
import type { BlobStore } from '../../../ports/blob.js';
import type { Sql } from '../../../ports/sql.js';
import type { Clock } from '../../../platform/clock.js';
import { event } from '../../../platform/events.js';
import { emit } from '../../../platform/outbox.js';
import { Permission, requirePermission, type Principal } from '../../../platform/security.js';
import { catalogErrors } from '../../catalog/index.js';
import { filesErrors } from '../files.errors.js';
import type { FilesRepository } from '../files.repository.js';
import { subtitlePrefix, videoPrefix } from './video.pipeline.js';
import { createVideoRepository, type VideoRow } from './video.repository.js';

export interface VideoServiceDeps {
  readonly sql: Sql;
  readonly files: FilesRepository;
  readonly blob: BlobStore;
  readonly clock: Clock;
  /** Called after a job is queued (the co-located worker looks at once instead of at its next poll). */
  readonly queued?: () => void;
}

/** Deletes every blob under `prefix`; returns how many. */
export async function removeBlobs(blob: BlobStore, prefix: string): Promise<number> {
  let removed = 0;
  for await (const info of blob.list(prefix)) {
    await blob.delete(info.key);
    removed++;
  }
  return removed;
}

export function createVideoService(deps: VideoServiceDeps) {
  const { sql, files, blob, clock } = deps;
  const videos = createVideoRepository(sql);

  async function editable(filmId: string, principal: Principal): Promise<void> {
    requirePermission(principal, Permission.crudFilms);
    if ((await files.filmAccess(filmId)) === null) throw catalogErrors.FILM_NOT_FOUND();
  }

  return {
    /** Queues a job turning uploaded video `fileId` into the film's package (202 at the route). */
    async attach(filmId: string, fileId: string, principal: Principal): Promise<VideoRow> {
      await editable(filmId, principal);
      const file = await files.find(fileId);
      if (!file) throw filesErrors.FILE_NOT_FOUND();
      if (file.kind !== 'video') throw filesErrors.VIDEO_FILE_REQUIRED();
      const row = await sql.transaction(async (tx) => {
        const job = await createVideoRepository(tx).enqueue({
          id: randomUUID(),
          filmId,
          sourceFileId: file.id,
          now: clock.now(),
        });
        await emit(tx, [event('files.video.queued', filmId, { filmId, jobId: job.id, fileId: file.id })]);
        return job;
      });
      deps.queued?.();
      return row;
    },

    async get(filmId: string, principal: Principal): Promise<VideoRow> {
      await editable(filmId, principal);
      const row = await videos.find(filmId);
      if (!row) throw filesErrors.VIDEO_NOT_FOUND();
      return row;
    },

    /**
     * Deletes the job and then every blob of the film's packages and subtitle tracks (a running
     * job stops at its next heartbeat).
     */
    async remove(filmId: string, principal: Principal): Promise<void> {
      await editable(filmId, principal);
      const removed = await sql.transaction(async (tx) => {
        const row = await createVideoRepository(tx).remove(filmId);
        if (row) await emit(tx, [event('files.video.removed', filmId, { filmId, jobId: row.id })]);
        return row;
      });
      if (!removed) throw filesErrors.VIDEO_NOT_FOUND();
      await removeBlobs(blob, videoPrefix(filmId));
      await removeBlobs(blob, subtitlePrefix(filmId));
    },
  };
}

export type VideoService = ReturnType<typeof createVideoService>;
