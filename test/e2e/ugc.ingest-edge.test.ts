/**
 * Event ingestion at its edges, over HTTP against a listening server: values the database cannot
 * store are refused per item and never cost the batch its good events; a batch that reaches the
 * sink with such a value anyway stores its good events and dead-letters only the bad one.
 * Callers are rate-limited, may only report views of films they may watch, and anonymous views
 * are counted apart.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import { eventually } from '../helpers/engines.js';
import { ADMIN, count, newFilm, SUBSCRIBER, testUsers, type IngestJson } from './ugc.helpers.js';

describe('ugc ingest: unstorable values', () => {
  let kino: TestKino;
  let users: ReturnType<typeof testUsers>;
  let base: string;

  beforeAll(async () => {
    users = testUsers();
    kino = await createTestKino({
      modules: ['ugc'],
      tokens: users.tokens,
      env: { UGC_INGEST_PER_MINUTE: '6' },
    });
    await kino.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(kino.app.server.address() as AddressInfo).port}`;
  }, 120_000);
  afterAll(async () => {
    await kino?.close();
  });

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const drained = () => eventually(async () => (await kino.kernel.engines.bus.lag('ugc.sink')) === 0, 15_000);

  it('refuses an item with a NUL or a lone surrogate by index and stores the rest of the batch', async () => {
    const film = await newFilm(kino);
    const user = users.user();
    const ts = new Date().toISOString();
    const good = () => ({
      event_id: randomUUID(),
      type: 'view_progress',
      film_id: film,
      ts,
      payload: { p: 1 },
    });
    // Written as raw JSON text: the escapes are what a client sends on the wire.
    const body = `[${JSON.stringify(good())},
      {"type":"view_progress","film_id":"${film}","ts":"${ts}","payload":{"note":"a\\u0000b"}},
      {"type":"click","ts":"${ts}","payload":{"k\\ud800":1}},
      {"type":"click","ts":"${ts}","payload":{"deep":[{"x":"\\udc00"}]}},
      ${JSON.stringify(good())}]`;
    const res = await post(body, user.headers);
    expect(res.status).toBe(202);
    const result = (await res.json()) as IngestJson;
    expect(result.accepted).toBe(2);
    expect(result.rejected.map((r) => r.index)).toEqual([1, 2, 3]);
    expect(result.rejected.map((r) => r.errors[0]!.field)).toEqual([
      '/payload/note',
      '/payload/k\ud800',
      '/payload/deep/0/x',
    ]);
    await eventually(async () => (await count(kino, 'ugc.events', 'film_id = $1', [film])) === 2, 15_000);
    await drained();
  });

  it('a batch with an unstorable event reaching the sink keeps its good events; the bad one is dead-lettered', async () => {
    const film = randomUUID();
    const ts = new Date().toISOString();
    const ev = (payload: Record<string, unknown>) => ({
      event_id: randomUUID(),
      user_id: null,
      type: 'view_progress',
      film_id: film,
      ts,
      payload,
    });
    // As an older release (or a replayed outbox row) would publish it: past the edge check.
    const events = [ev({ p: 1 }), ev({ p: 2 }), ev({ note: 'x\u0000y' }), ev({ p: 4 }), ev({ p: 5 })];
    const id = randomUUID();
    await kino.kernel.engines.bus.publish([
      {
        id,
        type: 'ugc.events.batch',
        key: id,
        payload: { events },
        occurredAt: ts,
        headers: {},
      },
    ]);
    await eventually(async () => (await count(kino, 'ugc.events', 'film_id = $1', [film])) === 4, 15_000);
    await drained();
    const dead = await kino.kernel.engines.sql.query<{ consumer: string; payload: unknown; type: string }>(
      'SELECT consumer, type, payload FROM platform.dead_letter WHERE event_id = $1',
      [events[2]!.event_id],
    );
    expect(dead).toHaveLength(1);
    expect(dead[0]!.consumer).toBe('ugc.sink');
    // Kept as the escaped JSON text of the event, nothing lost.
    expect(JSON.parse(dead[0]!.payload as string)).toEqual(events[2]);
    // The batch itself was stored on its first delivery, not dead-lettered after its retries.
    expect(await count(kino, 'platform.dead_letter', 'event_id = $1', [id])).toBe(0);
  });

  it('refuses events for films the caller may not see; anonymous views are counted apart', async () => {
    const free = await newFilm(kino, { access: 'FREE' });
    const paid = await newFilm(kino, { access: 'PAID' });
    const archived = await newFilm(kino, { access: 'ARCHIVED' });
    const ts = new Date().toISOString();
    const view = (film: string) => ({ event_id: randomUUID(), type: 'view_start', film_id: film, ts });

    const anonymous = await post(JSON.stringify([view(free), view(paid), view(archived), view(free)]));
    expect(anonymous.status).toBe(202);
    const anon = (await anonymous.json()) as IngestJson;
    expect(anon.accepted).toBe(2);
    expect(anon.rejected.map((r) => [r.index, r.errors[0]!.field])).toEqual([
      [1, '/film_id'],
      [2, '/film_id'],
    ]);

    const subscriber = users.user(SUBSCRIBER);
    const sub = (await (
      await post(JSON.stringify([view(free), view(paid), view(archived)]), subscriber.headers)
    ).json()) as IngestJson;
    expect(sub.accepted).toBe(2);
    expect(sub.rejected.map((r) => r.index)).toEqual([2]);

    await eventually(async () => (await count(kino, 'ugc.events', 'film_id = $1', [free])) === 3, 15_000);
    const admin = users.user(ADMIN);
    const res = await fetch(`${base}/api/v1/analytics/films/${free}?days=1`, { headers: admin.headers });
    const stats = (await res.json()) as { views: number; anonymous_views: number };
    // Two anonymous views and one signed-in view: the signed-in figure is not inflated.
    expect([stats.views, stats.anonymous_views]).toEqual([1, 2]);
    const top = (await (
      await fetch(`${base}/api/v1/analytics/films/top?metric=views&period=day`, { headers: admin.headers })
    ).json()) as { film_id: string; value: number }[];
    expect(top.find((t) => t.film_id === free)?.value).toBe(1);
    expect(await count(kino, 'ugc.events', 'film_id = ANY($1::uuid[])', [[paid, archived]])).toBe(1);
  });

  it('limits requests per caller: 429 with Retry-After over the budget, other callers unaffected', async () => {
    const heavy = users.user();
    const one = JSON.stringify({ type: 'click', ts: new Date().toISOString() });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const res = await post(one, heavy.headers);
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after');
        expect(((await res.json()) as { code: string }).code).toBe('RATE_LIMITED');
      } else await res.body?.cancel();
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 202, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    const other = users.user();
    expect((await post(one, other.headers)).status).toBe(202);
  });
});
