/**
 * The `transcode` worker (`kino worker transcode`, and in `kino start`): claims one video job at a
 * time on the platform poll loop and runs it (video.pipeline.ts) in a temp folder of its own,
 * always removed. A job is held by a lease renewed while ffmpeg runs; a worker killed mid-job
 * stops renewing, and another worker takes the job over when the lease runs out and resumes it
 * from what its package already holds. Nothing is half-published: players see a package only
 * once its master playlist (written last) is published.
 *
 * Failures: not media, cut short, no video → failed with the reason at once; anything else
 * (blob store, S3, disk, ffmpeg) → queued again with back-off, failed after `maxAttempts`.
 * A job replaced or deleted while it runs is noticed at the next heartbeat: ffmpeg is stopped
 * and the blobs the job uploaded are removed unless they are the film's published package.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import type { BlobStore } from '../../../ports/blob.js';
import type { Sql } from '../../../ports/sql.js';
import type { Clock } from '../../../platform/clock.js';
import { event } from '../../../platform/events.js';
import type { Logger } from '../../../platform/logger.js';
import type { Worker } from '../../../platform/module.js';
import { emit } from '../../../platform/outbox.js';
import { createPollLoop } from '../../../platform/poll-loop.js';
import type { MediaEngine } from '../media/media.engine.js';
import type { FilesRepository } from '../files.repository.js';
import { classify, runVideoJob, videoPrefix } from './video.pipeline.js';
import { createVideoRepository, type VideoProgress, type VideoRow } from './video.repository.js';
import { removeBlobs } from './video.service.js';

export const TRANSCODE_WORKER = 'transcode';

export interface TranscodeWorkerDeps {
  readonly sql: Sql;
  readonly blob: BlobStore;
  readonly files: FilesRepository;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The media engine, located on first use (start-up logs which ffmpeg it found). */
  readonly engine: () => Promise<MediaEngine>;
  readonly leaseMs?: number;
  readonly pollMs?: number;
  /** Attempts before a transient failure becomes final. */
  readonly maxAttempts?: number;
  /** Where jobs make their temp folders (default: the system's). */
  readonly tmpDir?: string;
  /** How often progress is written and announced, at most. */
  readonly progressEveryMs?: number;
}

export interface TranscodeWorker extends Worker {
  /** Claims and runs one job; resolves to 1, or 0 when none was due. */
  runOnce(): Promise<number>;
  /** Looks for a job now (one was just queued in this process). */
  kick(): void;
}

/** 30 s, 1 min, 2 min, … capped at 1 h. */
export const retryDelayMs = (attempt: number) => Math.min(30_000 * 2 ** Math.max(attempt - 1, 0), 3_600_000);

/** Thrown into the pipeline when the job was replaced, deleted or taken over. */
class JobLost extends Error {}

export function createTranscodeWorker(deps: TranscodeWorkerDeps): TranscodeWorker {
  const { sql, blob, clock, logger } = deps;
  const leaseMs = deps.leaseMs ?? 60_000;
  const maxAttempts = deps.maxAttempts ?? 5;
  const progressEveryMs = deps.progressEveryMs ?? 1_000;
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const videos = createVideoRepository(sql);
  let stopping = false;
  let current: AbortController | undefined;

  const leaseEnd = () => new Date(clock.now().getTime() + leaseMs);

  async function runOnce(): Promise<number> {
    const job = await videos.claim(owner, clock.now(), leaseMs);
    if (!job) return 0;
    const log = logger.child({ film_id: job.film_id, job_id: job.id, attempt: job.attempts });
    const controller = new AbortController();
    current = controller;
    let lost = false;
    const loseJob = () => {
      lost = true;
      controller.abort(new JobLost('the job was replaced, deleted or taken over'));
    };
    const heartbeat = setInterval(() => {
      videos.renewLease(job.id, owner, leaseEnd()).then(
        (held) => held || loseJob(),
        (error: unknown) => log.warn({ err: error }, 'cannot renew the video job lease'),
      );
    }, leaseMs / 3);
    let workDir: string | undefined;
    try {
      // Inside the try: a full disk is a transient failure of this job, not of the loop.
      workDir = await mkdtemp(path.join(deps.tmpDir ?? tmpdir(), 'kino-video-'));
      const engine = await deps.engine();
      const source = await deps.files.find(job.source_file_id);
      const pkg = await runVideoJob(job, {
        engine,
        blob,
        sourceKey: source?.blob_key ?? null,
        workDir,
        signal: controller.signal,
        report: reporter(job, log, loseJob),
        publish: async (next) => {
          const published = await sql.transaction(async (tx) => {
            const done = await createVideoRepository(tx).publish(job.id, owner, next, clock.now());
            if (done)
              await emit(tx, [
                event('files.video.published', job.film_id, {
                  filmId: job.film_id,
                  jobId: job.id,
                  renditions: next.renditions.map((r) => r.name),
                }),
              ]);
            return done;
          });
          if (!published) throw new JobLost('the job was replaced, deleted or taken over');
          if (published.previous !== null && published.previous !== next.prefix)
            await removeBlobs(blob, published.previous).catch((error: unknown) =>
              log.warn(
                { err: error, prefix: published.previous },
                'cannot remove the previous video package',
              ),
            );
          log.info({ renditions: next.renditions.map((r) => r.name) }, 'video package published');
        },
      });
      const finished = await sql.transaction(async (tx) => {
        const done = await createVideoRepository(tx).finish(job.id, owner, clock.now());
        if (done)
          await emit(tx, [
            event('files.video.ready', job.film_id, {
              filmId: job.film_id,
              jobId: job.id,
              renditions: pkg.renditions.map((r) => r.name),
              storageBytes: pkg.storageBytes,
            }),
          ]);
        return done;
      });
      if (!finished) await forget(job);
    } catch (error) {
      if (lost || error instanceof JobLost) await forget(job);
      else if (stopping) await videos.release(job.id, owner, clock.now());
      else await failed(job, error, log);
    } finally {
      clearInterval(heartbeat);
      current = undefined;
      if (workDir) await rm(workDir, { recursive: true, force: true });
    }
    return 1;
  }

  /**
   * Progress is written (which also renews the lease) and announced at most every
   * `progressEveryMs`, and at each new step. What arrives while a write is in flight is kept (the
   * latest only) and written after it, so a new step is never lost.
   */
  function reporter(job: VideoRow, log: Logger, loseJob: () => void): (p: VideoProgress) => void {
    let last = { step: '', at: 0 };
    let writing = false;
    let pending: VideoProgress | undefined;
    const report = (progress: VideoProgress): void => {
      if (writing) {
        pending = progress;
        return;
      }
      const now = clock.now();
      if (progress.step === last.step && now.getTime() - last.at < progressEveryMs) return;
      last = { step: progress.step, at: now.getTime() };
      writing = true;
      void sql
        .transaction(async (tx) => {
          const held = await createVideoRepository(tx).progress(job.id, owner, progress, now, leaseEnd());
          if (held)
            await emit(tx, [
              event('files.video.progress', job.film_id, { filmId: job.film_id, jobId: job.id, ...progress }),
            ]);
          return held;
        })
        .then(
          (held) => held || loseJob(),
          (error: unknown) => log.warn({ err: error }, 'cannot record video job progress'),
        )
        .finally(() => {
          writing = false;
          const next = pending;
          pending = undefined;
          if (next) report(next);
        });
    };
    return report;
  }

  async function failed(job: VideoRow, error: unknown, log: Logger): Promise<void> {
    const failure = classify(error);
    const retry = !failure.permanent && job.attempts < maxAttempts;
    const now = clock.now();
    const recorded = await sql.transaction(async (tx) => {
      const repo = createVideoRepository(tx);
      const done = retry
        ? await repo.retryLater(
            job.id,
            owner,
            failure.reason,
            new Date(now.getTime() + retryDelayMs(job.attempts)),
            now,
          )
        : await repo.fail(job.id, owner, failure.reason, now);
      if (done)
        await emit(tx, [
          event('files.video.failed', job.film_id, {
            filmId: job.film_id,
            jobId: job.id,
            reason: failure.reason,
            retry,
          }),
        ]);
      return done;
    });
    log.warn({ err: error, reason: failure.reason, retry }, 'video job failed');
    if (!recorded || !retry) await forget(job);
  }

  /** Removes the blobs this job uploaded, unless they are the film's published package. */
  async function forget(job: VideoRow): Promise<void> {
    const prefix = videoPrefix(job.film_id, job.id);
    const now = await videos.find(job.film_id);
    if (now?.prefix === prefix) return;
    await removeBlobs(blob, prefix).catch((error: unknown) =>
      logger.warn({ err: error, prefix }, 'cannot remove the blobs of an abandoned video job'),
    );
  }

  const poll = createPollLoop({
    runOnce,
    pollMs: deps.pollMs ?? 1_000,
    maxBackoffMs: 30_000,
    more: (handled) => handled > 0,
    logger,
    failureMessage: 'transcode worker cannot claim or record a job; retrying',
  });

  return {
    runOnce,
    kick: () => poll.kick(),
    async start() {
      stopping = false;
      try {
        logger.info({ engine: (await deps.engine()).describe() }, 'transcode worker: media engine');
      } catch (error) {
        // Jobs wait (and the loop retries) until an ffmpeg is installed; the reason says which.
        logger.error({ err: error }, 'transcode worker: no media engine; video jobs wait');
      }
      poll.start();
    },
    async stop() {
      stopping = true;
      current?.abort(new Error('the transcode worker is stopping'));
      await poll.stop();
    },
  };
}
