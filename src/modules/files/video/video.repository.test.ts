/** Video jobs on a real database: one claimer per job, expired leases reclaimed, replaced jobs lost. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sql } from '../../../ports/sql.js';
import { migrate, PLATFORM_MIGRATIONS } from '../../../platform/migrations.js';
import { createMigratedTestSql, type TestSql } from '../../../../test/helpers/engines.js';
import { filesModule } from '../index.js';
import { createVideoRepository, type PackagedRendition, type VideoRepository } from './video.repository.js';

const LEASE = 60_000;
const t0 = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const source: PackagedRendition = {
  name: 'source',
  playlist: 'source/index.m3u8',
  width: 320,
  height: 240,
  frameRate: 25,
  codecs: 'avc1.64000d,mp4a.40.2',
  bandwidth: 300_000,
  averageBandwidth: 200_000,
  duration: 3,
  bytes: 75_000,
};

describe('video repository', () => {
  let t: TestSql;
  let sql: Sql;
  let videos: VideoRepository;
  const enqueue = (filmId: string = randomUUID(), now = t0) =>
    videos.enqueue({ id: randomUUID(), filmId, sourceFileId: randomUUID(), now });

  beforeAll(async () => {
    t = await createMigratedTestSql([PLATFORM_MIGRATIONS, ...filesModule.migrations]);
    sql = t.sql;
    await migrate(sql, [PLATFORM_MIGRATIONS, ...filesModule.migrations]);
    videos = createVideoRepository(sql);
  });
  afterAll(async () => {
    await t?.close();
  });
  // Each case claims whatever is due: it starts from no jobs.
  beforeEach(async () => {
    await sql.execute('DELETE FROM files.video');
  });

  it('hands a job to exactly one of two concurrent claimers', async () => {
    const job = await enqueue();
    const claims = await Promise.all([
      createVideoRepository(sql).claim('worker-a', t0, LEASE),
      createVideoRepository(sql).claim('worker-b', t0, LEASE),
    ]);
    const won = claims.filter((c) => c !== null);
    expect(won).toHaveLength(1);
    expect(won[0]).toMatchObject({ id: job.id, status: 'processing', attempts: 1 });
    expect(await videos.claim('worker-c', at(LEASE - 1), LEASE)).toBeNull();
  });

  it('gives a job whose lease ran out to another worker, and the first one loses it', async () => {
    const job = await enqueue();
    expect(await videos.claim('killed', t0, LEASE)).toMatchObject({ id: job.id });
    const taken = await videos.claim('survivor', at(LEASE), LEASE);
    expect(taken).toMatchObject({ id: job.id, lease_owner: 'survivor', attempts: 2 });
    expect(await videos.renewLease(job.id, 'killed', at(2 * LEASE))).toBe(false);
    const progress = { step: 'remux', percent: 50, etaSeconds: 3 };
    expect(await videos.progress(job.id, 'killed', progress, at(LEASE), at(2 * LEASE))).toBe(false);
    expect(await videos.progress(job.id, 'survivor', progress, at(LEASE), at(2 * LEASE))).toBe(true);
    expect(await videos.find(job.film_id)).toMatchObject({ step: 'remux', percent: 50, eta_seconds: 3 });
  });

  it('publishes atomically, returning the package it replaced; a replacing job keeps it until then', async () => {
    const first = await enqueue();
    await videos.claim('w', t0, LEASE);
    const pkg = {
      prefix: `videos/${first.film_id}/${first.id}/`,
      renditions: [source],
      storageBytes: 1234,
      extras: {},
    };
    expect(await videos.publish(first.id, 'w', pkg, t0)).toEqual({ previous: null });
    expect(await videos.finish(first.id, 'w', t0)).toBe(true);

    const second = await enqueue(first.film_id, at(1000));
    expect(second).toMatchObject({ status: 'queued', prefix: pkg.prefix, storage_bytes: 1234, attempts: 0 });
    expect(second.renditions).toEqual([source]);
    await videos.claim('w2', at(1000), LEASE);
    const next = {
      prefix: `videos/${first.film_id}/${second.id}/`,
      renditions: [source],
      storageBytes: 99,
      extras: { poster: true },
    };
    expect(await videos.publish(first.id, 'w', next, at(1000))).toBeUndefined();
    expect(await videos.publish(second.id, 'w2', next, at(1000))).toEqual({ previous: pkg.prefix });
    expect(await videos.find(first.film_id)).toMatchObject({
      prefix: next.prefix,
      storage_bytes: 99,
      extras: { poster: true },
      subtitles: [],
    });
  });

  it('replacing a job takes it from its worker', async () => {
    const job = await enqueue();
    await videos.claim('w', t0, LEASE);
    await enqueue(job.film_id, at(10));
    expect(await videos.renewLease(job.id, 'w', at(LEASE))).toBe(false);
    expect(await videos.fail(job.id, 'w', 'too late', at(20))).toBe(false);
    expect(await videos.find(job.film_id)).toMatchObject({ status: 'queued', error: null });
  });

  it('retries later, fails for good, releases without counting and deletes', async () => {
    const job = await enqueue();
    await videos.claim('w', t0, LEASE);
    expect(await videos.retryLater(job.id, 'w', 'S3 is down', at(30_000), at(1))).toBe(true);
    expect(await videos.claim('w', at(29_999), LEASE)).toBeNull();
    expect(await videos.claim('w', at(30_000), LEASE)).toMatchObject({ attempts: 2, error: 'S3 is down' });
    expect(await videos.release(job.id, 'w', at(30_001))).toBe(true);
    expect(await videos.claim('w', at(30_001), LEASE)).toMatchObject({ attempts: 2 });
    expect(await videos.fail(job.id, 'w', 'moov atom not found', at(30_002))).toBe(true);
    expect(await videos.claim('w', at(10 * LEASE), LEASE)).toBeNull();
    expect(await videos.find(job.film_id)).toMatchObject({ status: 'failed', error: 'moov atom not found' });
    expect(await videos.remove(job.film_id)).toMatchObject({ id: job.id });
    expect(await videos.find(job.film_id)).toBeNull();
  });
});
