/** The catalog response cache: hits, invalidation by the read-model version, TTL, engine down. */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/platform/clock.js';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import { readModelFixtures, type FilmRow } from './catalog.fixtures.js';

let kino: TestKino;
let fx: ReturnType<typeof readModelFixtures>;
let film: FilmRow;
const clock = new ManualClock('2026-03-01T00:00:00Z');

const titles = async (url: string) => {
  const res = await kino.app.inject({ method: 'GET', url });
  expect(res.statusCode).toBe(200);
  return { titles: res.json<{ title: string }[]>().map((f) => f.title), total: res.headers['x-total-count'] };
};
const detailTitle = async (id: string) =>
  (await kino.app.inject({ method: 'GET', url: `/api/v1/films/${id}` })).json<{ title: string }>().title;

/** Changes the read model behind the cache's back (no version bump). */
async function rename(id: string, title: string) {
  await kino.kernel.engines.sql.execute(
    `UPDATE catalog.film SET title = $2, document = jsonb_set(document, '{title}', to_jsonb($2::text)) WHERE id = $1`,
    [id, title],
  );
}

/** A change as the read-model writer makes it: data, then the version. */
async function publish(id: string, title: string) {
  await rename(id, title);
  await fx.bump();
  clock.advance(1_000);
}

beforeAll(async () => {
  kino = await createTestKino({ modules: ['catalog'], workers: false, clock, env: { CACHE_TTL: '42' } });
  fx = readModelFixtures(kino.kernel.engines.sql, kino.kernel.engines.cache);
  film = await fx.film({ title: 'Original', rating: 5 });
  await fx.film({ title: 'Other', rating: 4 });
});
afterAll(async () => kino?.close());
afterEach(() => vi.restoreAllMocks());

describe('catalog response cache', () => {
  it('serves repeated requests from the cache until the read-model version changes', async () => {
    await publish(film.id, 'Original');
    expect((await titles('/api/v1/films')).titles).toEqual(['Original', 'Other']);
    expect(await detailTitle(film.id)).toBe('Original');
    expect((await titles('/api/v1/films/search?query=original')).titles).toEqual(['Original']);

    await rename(film.id, 'Renamed');
    expect((await titles('/api/v1/films')).titles).toEqual(['Original', 'Other']);
    expect(await detailTitle(film.id)).toBe('Original');
    expect((await titles('/api/v1/films/search?query=original')).titles).toEqual(['Original']);

    await fx.bump();
    clock.advance(1_000);
    expect((await titles('/api/v1/films')).titles).toEqual(['Renamed', 'Other']);
    expect(await detailTitle(film.id)).toBe('Renamed');
    expect((await titles('/api/v1/films/search?query=original')).titles).toEqual([]);
    expect((await titles('/api/v1/films/search?query=renamed')).titles).toEqual(['Renamed']);
  });

  it('reads the version at most once per 100 ms per process', async () => {
    const get = vi.spyOn(kino.kernel.engines.cache, 'get');
    clock.advance(1_000);
    await titles('/api/v1/films?page_size=7');
    await titles('/api/v1/films?page_size=8');
    await titles('/api/v1/films?page_size=9');
    expect(get.mock.calls.filter(([key]) => key === 'catalog:rm-version')).toHaveLength(1);
    clock.advance(150);
    await titles('/api/v1/films?page_size=7');
    expect(get.mock.calls.filter(([key]) => key === 'catalog:rm-version')).toHaveLength(2);
  });

  it('keys cached answers by the normalised query', async () => {
    await publish(film.id, 'Cached Title');
    expect((await titles('/api/v1/films/search?query=cached')).titles).toEqual(['Cached Title']);
    await rename(film.id, 'Changed Again');
    expect((await titles('/api/v1/films/search?query=%20CACHED%20')).titles).toEqual(['Cached Title']);
  });

  it('stores entries with CACHE_TTL', async () => {
    const set = vi.spyOn(kino.kernel.engines.cache, 'set');
    clock.advance(1_000);
    await titles('/api/v1/films?page_size=3');
    const stored = set.mock.calls.filter(
      ([key]) => key.startsWith('catalog:') && key !== 'catalog:rm-version',
    );
    expect(stored.length).toBeGreaterThan(0);
    for (const [, , ttl] of stored) expect(ttl).toBe(42);
  });

  it('answers from the database when the cache engine throws', async () => {
    await publish(film.id, 'Before Outage');
    const cache = kino.kernel.engines.cache;
    vi.spyOn(cache, 'get').mockRejectedValue(new Error('connection refused'));
    vi.spyOn(cache, 'getMany').mockRejectedValue(new Error('connection refused'));
    vi.spyOn(cache, 'set').mockRejectedValue(new Error('connection refused'));
    vi.spyOn(cache, 'incr').mockRejectedValue(new Error('connection refused'));
    clock.advance(1_000);
    expect((await titles('/api/v1/films')).titles).toEqual(['Before Outage', 'Other']);
    await rename(film.id, 'During Outage');
    clock.advance(1_000);
    expect((await titles('/api/v1/films')).titles).toEqual(['During Outage', 'Other']);
    expect(await detailTitle(film.id)).toBe('During Outage');
    expect((await titles('/api/v1/films/search?query=outage')).titles).toEqual(['During Outage']);
  });

  it('answers from the database when the cache engine forgets everything (fail-open reads)', async () => {
    const cache = kino.kernel.engines.cache;
    vi.spyOn(cache, 'get').mockResolvedValue(null);
    clock.advance(1_000);
    await rename(film.id, 'Unreachable One');
    expect(await detailTitle(film.id)).toBe('Unreachable One');
    await rename(film.id, 'Unreachable Two');
    expect(await detailTitle(film.id)).toBe('Unreachable Two');
    expect((await titles('/api/v1/films')).titles[0]).toBe('Unreachable Two');
  });

  it('counts hits and misses in the metrics', async () => {
    await publish(film.id, 'Metered');
    await titles('/api/v1/films?page_size=11');
    await titles('/api/v1/films?page_size=11');
    const metrics = await kino.kernel.metrics.registry.metrics();
    // A repeat is a hit in the shared cache, or in the process's near cache in front of Redis.
    expect(metrics).toMatch(/kino_catalog_cache_lookups_total\{[^}]*result="(hit|near)"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/kino_catalog_cache_lookups_total\{[^}]*result="miss"[^}]*\} [1-9]/);
  });
});

describe('with CACHE_TTL=0', () => {
  let uncached: TestKino;
  afterAll(async () => uncached?.close());

  it('does not cache at all', async () => {
    uncached = await createTestKino({ modules: ['catalog'], workers: false, env: { CACHE_TTL: '0' } });
    const f2 = readModelFixtures(uncached.kernel.engines.sql);
    const one = await f2.film({ title: 'First Name' });
    const url = `/api/v1/films/${one.id}`;
    expect((await uncached.app.inject({ method: 'GET', url })).json<{ title: string }>().title).toBe(
      'First Name',
    );
    await uncached.kernel.engines.sql.execute(
      `UPDATE catalog.film SET document = jsonb_set(document, '{title}', '"Second Name"') WHERE id = $1`,
      [one.id],
    );
    expect((await uncached.app.inject({ method: 'GET', url })).json<{ title: string }>().title).toBe(
      'Second Name',
    );
  });
});
