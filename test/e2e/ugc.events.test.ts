/**
 * Event ingestion end to end: per-item validation, deduplication, the size cap, the outbox
 * fallback when the bus refuses, and events sent just before a restart.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKernel } from '../../src/runtime/kernel.js';
import { createLogger } from '../../src/platform/logger.js';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import { eventually } from '../helpers/engines.js';
import { count, testUsers, type IngestJson, type ProblemJson } from './ugc.helpers.js';

describe('ugc event ingestion', () => {
  let kino: TestKino;
  let users: ReturnType<typeof testUsers>;

  beforeAll(async () => {
    users = testUsers();
    kino = await createTestKino({ modules: ['ugc'], tokens: users.tokens });
  });
  afterAll(async () => {
    await kino?.close();
  });

  const post = (payload: unknown, headers: Record<string, string> = {}, to: TestKino = kino) =>
    to.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: { 'content-type': 'application/json', ...headers },
      payload: JSON.stringify(payload),
    });
  const stored = (where = 'true', params: unknown[] = []) => count(kino, 'ugc.events', where, params);
  /** Waits until the sink has handled everything published so far. */
  const drained = () => eventually(async () => (await kino.kernel.engines.bus.lag('ugc.sink')) === 0);

  const batch = (film: string, n: number, at = new Date()) =>
    Array.from({ length: n }, (_, i) => ({
      event_id: randomUUID(),
      type: i % 10 === 0 ? 'view_start' : 'view_progress',
      film_id: film,
      ts: new Date(at.getTime() - i).toISOString(),
      payload: { position_s: i },
    }));

  it('accepts 997 of 1000 with 3 invalid items listed by index; the same batch again stores nothing new', async () => {
    const film = randomUUID();
    const events: unknown[] = batch(film, 1000);
    events[3] = { ...(events[3] as object), type: 'teleport' };
    events[500] = { type: 'click', ts: 'yesterday' };
    events[999] = { ...(events[999] as object), film_id: undefined, extra: 1 };
    const user = users.user();
    const res = await post(events, user.headers);
    expect(res.statusCode).toBe(202);
    const body = res.json<IngestJson>();
    expect(body.accepted).toBe(997);
    expect(body.rejected.map((r) => r.index)).toEqual([3, 500, 999]);
    expect(body.rejected[0]!.errors.map((e) => e.field)).toContain('/type');
    expect(body.rejected[1]!.errors.map((e) => e.field)).toContain('/ts');
    expect(body.rejected[2]!.errors.map((e) => e.field)).toEqual(expect.arrayContaining(['/extra']));
    await eventually(async () => (await stored('film_id = $1', [film])) === 997);
    expect(await stored('film_id = $1 AND user_id = $2', [film, user.id])).toBe(997);

    const again = await post(events, user.headers);
    expect(again.json<IngestJson>().accepted).toBe(997);
    await drained();
    expect(await stored('film_id = $1', [film])).toBe(997);
    // Only the first delivery counted towards the daily views.
    const [daily] = await kino.kernel.engines.sql.query<{ views: number }>(
      'SELECT sum(views)::int AS views FROM ugc.film_daily WHERE film_id = $1',
      [film],
    );
    const views = events.filter(
      (e, i) => ![3, 500, 999].includes(i) && (e as { type: string }).type === 'view_start',
    );
    expect(daily?.views).toBe(views.length);
  });

  it('accepts a single event from an anonymous caller and deduplicates events without an id by content', async () => {
    const film = randomUUID();
    const one = { type: 'click', film_id: film, ts: new Date().toISOString(), payload: { button: 'play' } };
    const res = await post(one);
    expect(res.statusCode).toBe(202);
    expect(res.json<IngestJson>()).toEqual({ accepted: 1, rejected: [] });
    await post([one, one]);
    await drained();
    await eventually(async () => (await stored('film_id = $1', [film])) === 1);
    expect(await stored('film_id = $1 AND user_id IS NULL', [film])).toBe(1);
  });

  it('refuses view events without a film, events too old or in the future, and oversized payloads', async () => {
    const now = Date.now();
    const res = await post([
      { type: 'view_start', ts: new Date(now).toISOString() },
      { type: 'search', ts: new Date(now - 8 * 86_400_000).toISOString(), payload: { q: 'x' } },
      { type: 'search', ts: new Date(now + 2 * 3_600_000).toISOString() },
      { type: 'search', ts: new Date(now).toISOString(), payload: { q: 'x'.repeat(5000) } },
      { type: 'search', ts: new Date(now).toISOString(), payload: { q: 'fine' } },
      'not an object',
    ]);
    const body = res.json<IngestJson>();
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r) => [r.index, r.errors[0]!.field])).toEqual([
      [0, '/film_id'],
      [1, '/ts'],
      [2, '/ts'],
      [3, '/payload'],
      [5, '/'],
    ]);
  });

  it('refuses more than 1000 events (400) and bodies over the cap (413)', async () => {
    const tooMany = await post(batch(randomUUID(), 1001));
    expect(tooMany.statusCode).toBe(400);
    const huge = Array.from({ length: 600 }, () => ({
      type: 'search',
      ts: new Date().toISOString(),
      payload: { q: 'x'.repeat(4000) },
    }));
    const res = await post(huge);
    expect(res.statusCode).toBe(413);
    expect(res.json<ProblemJson>().code).toBe('BODY_TOO_LARGE');
    const broken = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: { 'content-type': 'application/json' },
      payload: '[{"type": ',
    });
    expect(broken.json<ProblemJson>().code).toBe('INVALID_JSON');
  });

  it('keeps accepted events in the outbox when the bus refuses them, and stores them when it is back', async () => {
    const film = randomUUID();
    const bus = kino.kernel.engines.bus as { publish: typeof kino.kernel.engines.bus.publish };
    const publish = bus.publish;
    bus.publish = () => Promise.reject(new Error('nats: connection refused'));
    try {
      const res = await post(batch(film, 300));
      expect(res.statusCode).toBe(202);
      expect(res.json<IngestJson>().accepted).toBe(300);
      const waiting = `type = 'ugc.events.batch' AND published_at IS NULL AND payload->'events'->0->>'film_id' = $1`;
      expect(await count(kino, 'platform.outbox', waiting, [film])).toBe(1);
      expect(await stored('film_id = $1', [film])).toBe(0);
    } finally {
      bus.publish = publish;
    }
    await kino.settle();
    await eventually(async () => (await stored('film_id = $1', [film])) === 300);
  });

  it('stores every event accepted just before a restart', async () => {
    // This test stops its process: it gets one of its own, so the other tests keep theirs.
    const own = await createTestKino({ modules: ['ugc'] });
    const film = randomUUID();
    const engines = own.kernel.engines;
    const results = await Promise.all(
      [0, 1, 2].map((i) => post(batch(film, 1000, new Date(Date.now() - i * 1000)), {}, own)),
    );
    expect(results.map((r) => r.json<IngestJson>().accepted)).toEqual([1000, 1000, 1000]);
    await own.kernel.close();
    const restarted = await createKernel({
      config: own.config,
      logger: createLogger('silent'),
      modules: ['ugc'],
      http: false,
      workers: ['*'],
      relay: true,
      migrate: true,
      engines,
    });
    await restarted.start();
    try {
      // On JetStream, batches the old process had fetched but not acknowledged come back after
      // the consumer's ack wait (5 s for the test bus, 30 s by default).
      await eventually(
        async () => (await count(own, 'ugc.events', 'film_id = $1', [film])) === 3000,
        20_000,
        50,
      );
    } finally {
      await restarted.close();
      await own.close();
    }
  }, 60_000);
});
