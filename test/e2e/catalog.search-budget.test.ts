/**
 * The per-caller budget for uncached searches (#28.7), over HTTP on a listening server: a caller
 * who spent the budget gets 429 with Retry-After on its next new search, while its cached
 * searches and every other caller still pass, and the budget comes back with the next window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/clock.js';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import { bearer, testTokens, TOKENS } from './catalog.fixtures.js';

// 30 a minute: 5 per 10-second window.
const PER_WINDOW = 5;
const clock = new ManualClock('2026-01-01T00:00:00Z');
let kino: TestKino;
let base: string;

beforeAll(async () => {
  kino = await createTestKino({
    modules: ['catalog'],
    workers: false,
    clock,
    env: { SEARCH_RATE_LIMIT: '30' },
    tokens: testTokens,
  });
  base = await kino.app.listen({ port: 0, host: '127.0.0.1' });
}, 120_000);
afterAll(async () => {
  await kino?.close();
});

async function search(path: string, query: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}?query=${encodeURIComponent(query)}`, { headers });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: await res.json(),
  };
}

describe('uncached search budget', () => {
  it('answers the N+1th uncached search of one caller with 429; cached searches and other callers pass', async () => {
    const sub = bearer(TOKENS.sub);
    for (let i = 0; i < PER_WINDOW; i++)
      expect((await search('/api/v1/films/search', `galaxy${i} qwzx`, sub)).status).toBe(200);

    const refused = await search('/api/v1/films/search', 'galaxy-new qwzx', sub);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(10);
    expect(refused.body).toMatchObject({ status: 429, code: 'SEARCH_RATE_LIMITED' });
    // Person search draws on the same budget.
    expect((await search('/api/v1/persons/search', 'lucas', sub)).status).toBe(429);

    // A search the cache answers costs nothing.
    expect((await search('/api/v1/films/search', 'galaxy0 qwzx', sub)).status).toBe(200);
    // Other callers have their own budgets: another user, and an anonymous caller (by address).
    expect((await search('/api/v1/films/search', 'galaxy-new qwzx', bearer(TOKENS.unsub))).status).toBe(200);
    expect((await search('/api/v1/films/search', 'another qwzx')).status).toBe(200);

    // The next window gives the budget back.
    clock.advance(10_000);
    expect((await search('/api/v1/films/search', 'galaxy-new qwzx', sub)).status).toBe(200);
  }, 60_000);

  it('KINO_RATE_LIMIT=off lifts the budget', async () => {
    const open = await createTestKino({
      modules: ['catalog'],
      workers: false,
      env: { SEARCH_RATE_LIMIT: '6', KINO_RATE_LIMIT: 'off' },
    });
    try {
      for (let i = 0; i < 5; i++) {
        const res = await open.app.inject({ url: `/api/v1/films/search?query=word${i}` });
        expect(res.statusCode).toBe(200);
      }
    } finally {
      await open.close();
    }
  }, 120_000);
});
