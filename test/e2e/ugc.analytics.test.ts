/** Analytics for admins: top films and one film's numbers, from stored events and ratings. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import {
  ADMIN,
  SUBSCRIBER,
  count,
  newFilm,
  testUsers,
  type ProblemJson,
  type TestUser,
} from './ugc.helpers.js';

interface TopJson {
  film_id: string;
  title: string | null;
  value: number;
  votes?: number;
}
interface FilmAnalyticsJson {
  film_id: string;
  views: number;
  completions: number;
  completion_rate: number | null;
  views_per_day: { day: string; views: number; completions: number }[];
  rating: { average: number | null; votes: number; histogram: { score: number; votes: number }[] };
}

const DAY = 86_400_000;

describe('ugc analytics', () => {
  let kino: TestKino;
  let users: ReturnType<typeof testUsers>;
  let admin: TestUser;
  let hit: string;
  let quiet: string;
  let old: string;

  const get = (url: string, u?: TestUser) =>
    kino.app.inject({ method: 'GET', url, headers: u ? u.headers : {} });
  const views = (film: string, n: number, type: string, at: number) =>
    Array.from({ length: n }, (_, i) => ({ type, film_id: film, ts: new Date(at - i).toISOString() }));

  beforeAll(async () => {
    users = testUsers();
    kino = await createTestKino({ modules: ['ugc'], tokens: users.tokens });
    admin = users.user(ADMIN);
    hit = await newFilm(kino, { title: 'Hit' });
    quiet = await newFilm(kino, { title: 'Quiet' });
    old = await newFilm(kino, { title: 'Old news' });
    const now = Date.now();
    const events = [
      ...views(hit, 30, 'view_start', now),
      ...views(hit, 12, 'view_complete', now),
      ...views(hit, 5, 'view_start', now - 2 * DAY),
      ...views(quiet, 4, 'view_start', now),
      ...views(quiet, 4, 'view_complete', now),
      ...views(old, 50, 'view_start', now - 3 * DAY),
      ...views(old, 7, 'click', now),
    ];
    // Signed-in views: anonymous ones are counted apart and never ranked.
    const res = await kino.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: events,
      headers: users.user().headers,
    });
    expect(res.statusCode).toBe(202);
    await kino.settle();
    expect(await count(kino, 'ugc.events')).toBe(events.length);
    const rate = (u: TestUser, film: string, score: number) =>
      kino.app.inject({
        method: 'PUT',
        url: `/api/v1/films/${film}/rating`,
        headers: u.headers,
        payload: { score },
      });
    for (const score of [10, 9, 9]) await rate(users.user(), quiet, score);
    for (const score of [6, 8]) await rate(users.user(), hit, score);
  });
  afterAll(async () => {
    await kino?.close();
  });

  it('is for admins only', async () => {
    expect((await get('/api/v1/analytics/films/top?metric=views')).statusCode).toBe(401);
    const res = await get('/api/v1/analytics/films/top?metric=views', users.user(SUBSCRIBER));
    expect(res.statusCode).toBe(403);
    expect(res.json<ProblemJson>().code).toBe('PERMISSION_DENIED');
    expect((await get(`/api/v1/analytics/films/${hit}`, users.user(SUBSCRIBER))).statusCode).toBe(403);
    expect((await get('/api/v1/analytics/films/top?metric=likes', admin)).statusCode).toBe(400);
  });

  it('ranks films by views and completions over a day, a week and a month', async () => {
    const top = async (metric: string, period: string) =>
      (await get(`/api/v1/analytics/films/top?metric=${metric}&period=${period}`, admin))
        .json<TopJson[]>()
        .map((t) => [t.title, t.value]);
    expect(await top('views', 'day')).toEqual([
      ['Hit', 30],
      ['Quiet', 4],
    ]);
    expect(await top('views', 'week')).toEqual([
      ['Old news', 50],
      ['Hit', 35],
      ['Quiet', 4],
    ]);
    expect(await top('completions', 'month')).toEqual([
      ['Hit', 12],
      ['Quiet', 4],
    ]);
    const limited = await get('/api/v1/analytics/films/top?metric=views&period=month&limit=1', admin);
    expect(limited.json<TopJson[]>()).toHaveLength(1);
  });

  it('ranks films by average rating, with a minimum number of votes', async () => {
    const res = await get('/api/v1/analytics/films/top?metric=rating&period=week', admin);
    expect(res.json<TopJson[]>().map((t) => [t.title, t.value, t.votes])).toEqual([
      ['Quiet', 28 / 3, 3],
      ['Hit', 7, 2],
    ]);
    const strict = await get('/api/v1/analytics/films/top?metric=rating&period=week&min_votes=3', admin);
    expect(strict.json<TopJson[]>().map((t) => t.title)).toEqual(['Quiet']);
  });

  it("gives a film's views per day, completion rate and rating histogram", async () => {
    const res = await get(`/api/v1/analytics/films/${hit}?days=7`, admin);
    expect(res.statusCode).toBe(200);
    const body = res.json<FilmAnalyticsJson>();
    expect(body.views_per_day).toHaveLength(7);
    expect(body.views_per_day.map((d) => d.views)).toEqual([0, 0, 0, 0, 5, 0, 30]);
    expect(body.views_per_day[6]!.day).toBe(new Date().toISOString().slice(0, 10));
    expect([body.views, body.completions, body.completion_rate]).toEqual([35, 12, 0.3429]);
    expect(body.rating.average).toBe(7);
    expect(body.rating.histogram.filter((h) => h.votes > 0)).toEqual([
      { score: 6, votes: 1 },
      { score: 8, votes: 1 },
    ]);
    expect((await get(`/api/v1/analytics/films/${randomUUID()}`, admin)).statusCode).toBe(404);
  });
});
