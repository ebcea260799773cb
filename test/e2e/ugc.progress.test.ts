/** Bookmarks, watch progress, continue-watching and history over HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import {
  SUBSCRIBER,
  VIEWER,
  count,
  newFilm,
  outboxEvents,
  testUsers,
  type FilmItemJson,
  type ProblemJson,
  type ProgressJson,
  type TestUser,
} from './ugc.helpers.js';

describe('ugc bookmarks and watch progress', () => {
  let kino: TestKino;
  let users: ReturnType<typeof testUsers>;

  beforeAll(async () => {
    users = testUsers();
    kino = await createTestKino({ modules: ['ugc'], tokens: users.tokens });
  });
  afterAll(async () => {
    await kino?.close();
  });

  const req = (method: 'GET' | 'PUT' | 'DELETE', url: string, headers = {}, payload?: unknown) =>
    kino.app.inject({
      method,
      url,
      headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const put = (u: TestUser, film: string, position_s: number, duration_s = 1000) =>
    req('PUT', `/api/v1/progress/${film}`, u.headers, { position_s, duration_s });
  const continueIds = async (u: TestUser) =>
    (await req('GET', '/api/v1/continue-watching', u.headers)).json<FilmItemJson[]>().map((i) => i.film_id);
  const history = async (u: TestUser) =>
    (await req('GET', '/api/v1/history', u.headers)).json<FilmItemJson[]>();

  it('bookmarks: add (201), update (200), list newest first with title and rating, remove', async () => {
    const u = users.user(VIEWER);
    const a = await newFilm(kino, { title: 'Alpha', rating: 8.1 });
    const b = await newFilm(kino, { title: 'Beta', rating: null });
    const paid = await newFilm(kino, { title: 'Paid', access: 'PAID' });
    expect((await req('PUT', `/api/v1/bookmarks/${a}`, u.headers, {})).statusCode).toBe(201);
    expect((await req('PUT', `/api/v1/bookmarks/${b}`, u.headers, { note: 'with friends' })).statusCode).toBe(
      201,
    );
    expect((await req('PUT', `/api/v1/bookmarks/${a}`, u.headers, { note: 'later' })).statusCode).toBe(200);
    expect((await req('PUT', `/api/v1/bookmarks/${paid}`, u.headers, {})).statusCode).toBe(403);
    expect((await req('GET', '/api/v1/bookmarks')).statusCode).toBe(401);
    const list = await req('GET', '/api/v1/bookmarks', u.headers);
    expect(list.headers['x-total-count']).toBe('2');
    expect(list.json()).toMatchObject([
      { film_id: b, title: 'Beta', rating: null, note: 'with friends' },
      { film_id: a, title: 'Alpha', rating: 8.1, note: 'later' },
    ]);
    expect((await req('DELETE', `/api/v1/bookmarks/${b}`, u.headers)).statusCode).toBe(204);
    expect((await req('DELETE', `/api/v1/bookmarks/${b}`, u.headers)).statusCode).toBe(204);
    expect(
      (await req('GET', '/api/v1/bookmarks', u.headers)).json<FilmItemJson[]>().map((x) => x.film_id),
    ).toEqual([a]);
    const added = (await outboxEvents<{ userId: string }>(kino, 'ugc.bookmark.added')).filter(
      (e) => e.userId === u.id,
    );
    const removed = (await outboxEvents<{ userId: string }>(kino, 'ugc.bookmark.removed')).filter(
      (e) => e.userId === u.id,
    );
    expect([added.length, removed.length]).toEqual([2, 1]);
  });

  it('a bookmarked film that becomes PAID leaves the list of a viewer without a subscription', async () => {
    const u = users.user(VIEWER);
    const film = await newFilm(kino, { title: 'Soon paid' });
    await req('PUT', `/api/v1/bookmarks/${film}`, u.headers, {});
    await newFilm(kino, { id: film, title: 'Soon paid', access: 'PAID', version: 2 });
    expect((await req('GET', '/api/v1/bookmarks', u.headers)).json()).toEqual([]);
    const sub = users.user(SUBSCRIBER);
    await req('PUT', `/api/v1/bookmarks/${film}`, sub.headers, {});
    expect((await req('GET', '/api/v1/bookmarks', sub.headers)).json()).toHaveLength(1);
  });

  it('last write wins, repeats change nothing, and a position beyond the duration is refused', async () => {
    const u = users.user();
    const film = await newFilm(kino);
    expect((await req('GET', `/api/v1/progress/${film}`, u.headers)).statusCode).toBe(404);
    await put(u, film, 300);
    const first = (await put(u, film, 120)).json<ProgressJson>();
    expect(first).toMatchObject({
      film_id: film,
      position_s: 120,
      duration_s: 1000,
      percent: 12,
      completed: false,
    });
    const again = (await put(u, film, 120)).json<ProgressJson>();
    expect(again.updated_at).toBe(first.updated_at);
    expect((await req('GET', `/api/v1/progress/${film}`, u.headers)).json<ProgressJson>().position_s).toBe(
      120,
    );
    const bad = await put(u, film, 1001);
    expect(bad.statusCode).toBe(400);
    expect(bad.json<ProblemJson>().code).toBe('POSITION_BEYOND_DURATION');
    expect((await put(u, film, -1)).statusCode).toBe(400);
  });

  it('continue-watching needs more than 5 %, less than 90 % and at least 30 s', async () => {
    const u = users.user();
    const [f5, f6, f89, f90, short, longShort] = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(() => newFilm(kino)),
    );
    await put(u, f5!, 50); // exactly 5 %: not yet
    await put(u, f6!, 51); // just past 5 %
    await put(u, f89!, 899); // just under 90 %
    await put(u, f90!, 900); // 90 %: watched
    await put(u, short!, 29, 200); // 14.5 % but under 30 s
    await put(u, longShort!, 30, 200); // 15 % and 30 s
    expect(new Set(await continueIds(u))).toEqual(new Set([f6, f89, longShort]));
    expect((await continueIds(u))[0]).toBe(longShort); // most recent first
  });

  it('hiding removes a film from continue-watching without losing progress or history; watching again shows it', async () => {
    const u = users.user();
    const film = await newFilm(kino);
    await put(u, film, 950); // watched once
    await put(u, film, 10); // rewatch starts
    await put(u, film, 400);
    expect(await continueIds(u)).toEqual([film]);
    expect((await req('DELETE', `/api/v1/continue-watching/${film}`, u.headers)).statusCode).toBe(204);
    expect(await continueIds(u)).toEqual([]);
    expect((await req('GET', `/api/v1/progress/${film}`, u.headers)).json()).toMatchObject({
      position_s: 400,
      in_continue_watching: false,
    });
    expect(await history(u)).toHaveLength(1);
    await put(u, film, 400); // the same report again keeps it hidden
    expect(await continueIds(u)).toEqual([]);
    await put(u, film, 460); // playing again
    expect(await continueIds(u)).toEqual([film]);
    const unknown = await req('DELETE', `/api/v1/continue-watching/${await newFilm(kino)}`, u.headers);
    expect(unknown.statusCode).toBe(404);
  });

  it('history: past 90 % adds one entry per watch, repeated reports do not, a rewatch adds another', async () => {
    const u = users.user();
    const film = await newFilm(kino, { title: 'Twice' });
    await put(u, film, 500);
    expect(await history(u)).toEqual([]);
    await put(u, film, 900);
    await put(u, film, 950);
    await put(u, film, 950);
    await put(u, film, 600); // seeking back within the same watch
    await put(u, film, 990);
    expect(await history(u)).toHaveLength(1);
    await put(u, film, 0); // from the start: a rewatch
    await put(u, film, 300);
    expect(await history(u)).toHaveLength(1);
    await put(u, film, 1000);
    const entries = await history(u);
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ film_id: film, title: 'Twice' });
    expect(Date.parse(entries[0]!.watched_at)).toBeGreaterThanOrEqual(Date.parse(entries[1]!.watched_at));
    const completed = (await outboxEvents<{ userId: string }>(kino, 'ugc.progress.completed')).filter(
      (e) => e.userId === u.id,
    );
    expect(completed).toHaveLength(2);
    expect(await count(kino, 'ugc.watch_history', 'user_id = $1', [u.id])).toBe(2);
  });

  it('concurrent first reports of one watch add a single history entry', async () => {
    const u = users.user();
    const film = await newFilm(kino);
    await Promise.all(Array.from({ length: 10 }, () => put(u, film, 950)));
    expect(await count(kino, 'ugc.watch_history', 'user_id = $1', [u.id])).toBe(1);
  });
});
