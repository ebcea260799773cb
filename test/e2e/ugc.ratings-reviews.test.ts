/**
 * Ratings and reviews over HTTP: visibility, validation, exact counts under concurrency, and
 * the events other modules hear.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKino, type TestKino } from '../helpers/kino.js';
import {
  ADMIN,
  SUBSCRIBER,
  VIEWER,
  count,
  newFilm,
  outboxEvents,
  testUsers,
  type ProblemJson,
  type RatingJson,
  type ReviewJson,
} from './ugc.helpers.js';

describe('ugc ratings and reviews', () => {
  let kino: TestKino;
  let users: ReturnType<typeof testUsers>;

  beforeAll(async () => {
    users = testUsers();
    kino = await createTestKino({ modules: ['ugc'], tokens: users.tokens });
  });
  afterAll(async () => {
    await kino?.close();
  });

  const req = (
    method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    headers = {},
    payload?: unknown,
  ) =>
    kino.app.inject({
      method,
      url,
      headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  it('refuses unknown and invisible films with 404 and 403', async () => {
    const viewer = users.user(VIEWER);
    const paid = await newFilm(kino, { access: 'PAID' });
    const archived = await newFilm(kino, { access: 'ARCHIVED' });
    expect((await req('GET', `/api/v1/films/${randomUUID()}/rating`)).json<ProblemJson>().code).toBe(
      'FILM_NOT_FOUND',
    );
    const forbidden = await req('PUT', `/api/v1/films/${paid}/rating`, viewer.headers, { score: 5 });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json<ProblemJson>().code).toBe('FILM_ACCESS_DENIED');
    expect((await req('GET', `/api/v1/films/${paid}/rating`)).statusCode).toBe(403);
    const sub = users.user(SUBSCRIBER);
    expect((await req('PUT', `/api/v1/films/${paid}/rating`, sub.headers, { score: 5 })).statusCode).toBe(
      200,
    );
    expect((await req('GET', `/api/v1/films/${archived}/rating`, sub.headers)).statusCode).toBe(403);
    expect((await req('GET', `/api/v1/films/${archived}/rating`, users.user(ADMIN).headers)).statusCode).toBe(
      200,
    );
  });

  it('needs a login to rate and validates the score', async () => {
    const film = await newFilm(kino);
    expect((await req('PUT', `/api/v1/films/${film}/rating`, {}, { score: 5 })).statusCode).toBe(401);
    const u = users.user();
    for (const score of [0, 11, 5.5, '7x']) {
      const res = await req('PUT', `/api/v1/films/${film}/rating`, u.headers, { score });
      expect(res.statusCode).toBe(400);
      expect(res.json<ProblemJson>().code).toBe('VALIDATION_FAILED');
    }
    expect((await req('GET', `/api/v1/films/not-a-uuid/rating`)).statusCode).toBe(400);
  });

  it('keeps one score per user, changes it, withdraws it and publishes ugc.rating.set', async () => {
    const film = await newFilm(kino);
    const a = users.user();
    const b = users.user();
    expect((await req('PUT', `/api/v1/films/${film}/rating`, a.headers, { score: 8 })).json()).toEqual({
      film_id: film,
      average: 8,
      votes: 1,
      user_score: 8,
    });
    await req('PUT', `/api/v1/films/${film}/rating`, b.headers, { score: 3 });
    await req('PUT', `/api/v1/films/${film}/rating`, a.headers, { score: 6 });
    await req('PUT', `/api/v1/films/${film}/rating`, a.headers, { score: 6 });
    expect((await req('GET', `/api/v1/films/${film}/rating`)).json()).toEqual({
      film_id: film,
      average: 4.5,
      votes: 2,
      user_score: null,
    });
    expect((await req('DELETE', `/api/v1/films/${film}/rating`, b.headers)).statusCode).toBe(204);
    expect((await req('GET', `/api/v1/films/${film}/rating`, b.headers)).json()).toMatchObject({
      average: 6,
      votes: 1,
      user_score: null,
    });
    const events = (
      await outboxEvents<{ filmId: string; score: number | null; previous: number | null }>(
        kino,
        'ugc.rating.set',
      )
    ).filter((e) => e.filmId === film);
    expect(events.map((e) => [e.score, e.previous])).toEqual([
      [8, null],
      [3, null],
      [6, 8],
      [null, 3],
    ]);
  });

  it('200 concurrent votes give the exact mean', async () => {
    const film = await newFilm(kino);
    const voters = Array.from({ length: 200 }, (_, i) => ({ user: users.user(), score: ((i * 7) % 10) + 1 }));
    const results = await Promise.all(
      voters.map((v) => req('PUT', `/api/v1/films/${film}/rating`, v.user.headers, { score: v.score })),
    );
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    // Half of them change their minds at the same time.
    const changed = voters.map((v, i) => (i % 2 === 0 ? { ...v, score: 11 - v.score } : v));
    await Promise.all(
      changed
        .filter((_, i) => i % 2 === 0)
        .map((v) => req('PUT', `/api/v1/films/${film}/rating`, v.user.headers, { score: v.score })),
    );
    const total = changed.reduce((n, v) => n + v.score, 0);
    const body = (await req('GET', `/api/v1/films/${film}/rating`)).json<RatingJson>();
    expect(body.votes).toBe(200);
    expect(body.average).toBe(total / 200);
    expect(await count(kino, 'ugc.rating', 'film_id = $1', [film])).toBe(200);
  });

  it('one review per user per film, listed with author, rating, likes and the caller reaction', async () => {
    const film = await newFilm(kino);
    const author = users.user(VIEWER, 'alice');
    const other = users.user(VIEWER, 'bob');
    await req('PUT', `/api/v1/films/${film}/rating`, author.headers, { score: 9 });
    const created = await req('POST', `/api/v1/films/${film}/reviews`, author.headers, {
      text: 'A fine film.',
    });
    expect(created.statusCode).toBe(201);
    const review = created.json<ReviewJson>();
    expect(review).toMatchObject({
      film_id: film,
      author: { id: author.id, login: 'alice', rating: 9 },
      text: 'A fine film.',
      likes: 0,
      dislikes: 0,
      my_reaction: null,
    });
    const again = await req('POST', `/api/v1/films/${film}/reviews`, author.headers, { text: 'Second try.' });
    expect(again.statusCode).toBe(409);
    expect(again.json<ProblemJson>().code).toBe('REVIEW_EXISTS');
    expect(
      (await req('POST', `/api/v1/films/${film}/reviews`, other.headers, { text: 'abc' })).statusCode,
    ).toBe(400);
    const second = (
      await req('POST', `/api/v1/films/${film}/reviews`, other.headers, { text: 'Too long for me.' })
    ).json<ReviewJson>();

    await req('PUT', `/api/v1/reviews/${second.id}/reaction`, author.headers, { value: 'like' });
    const list = await req('GET', `/api/v1/films/${film}/reviews?sort=-likes&page_size=10`, author.headers);
    expect(list.headers['x-total-count']).toBe('2');
    expect(list.json<ReviewJson[]>().map((r) => r.id)).toEqual([second.id, review.id]);
    expect(list.json<ReviewJson[]>()[0]).toMatchObject({
      likes: 1,
      my_reaction: 'like',
      author: { login: 'bob', rating: null },
    });
    const anon = await req('GET', `/api/v1/films/${film}/reviews?page_size=1&page_number=2`);
    expect(anon.json<ReviewJson[]>()).toHaveLength(1);
    expect(anon.json<ReviewJson[]>()[0]!.my_reaction).toBeNull();

    const patched = await req('PATCH', `/api/v1/reviews/${review.id}`, author.headers, {
      text: 'A great film.',
    });
    expect(patched.json<ReviewJson>().text).toBe('A great film.');
    expect(
      (await req('PATCH', `/api/v1/reviews/${review.id}`, other.headers, { text: 'Hijacked!' })).statusCode,
    ).toBe(403);
    expect((await req('DELETE', `/api/v1/reviews/${review.id}`, other.headers)).statusCode).toBe(403);
    expect((await req('DELETE', `/api/v1/reviews/${second.id}`, users.user(ADMIN).headers)).statusCode).toBe(
      204,
    );
    expect((await req('DELETE', `/api/v1/reviews/${review.id}`, author.headers)).statusCode).toBe(204);
    expect(
      (
        await req('PATCH', `/api/v1/reviews/${review.id}`, author.headers, { text: 'Gone now.' })
      ).json<ProblemJson>().code,
    ).toBe('REVIEW_NOT_FOUND');
    const created2 = await outboxEvents<{ reviewId: string }>(kino, 'ugc.review.created');
    expect(created2.map((e) => e.reviewId)).toEqual(expect.arrayContaining([review.id, second.id]));
  });

  it('100 users liking one review at once count 100; one user liking twice counts once', async () => {
    const film = await newFilm(kino);
    const author = users.user();
    const review = (
      await req('POST', `/api/v1/films/${film}/reviews`, author.headers, { text: 'Worth a look.' })
    ).json<ReviewJson>();
    const likers = Array.from({ length: 100 }, () => users.user());
    const results = await Promise.all(
      likers.map((u) => req('PUT', `/api/v1/reviews/${review.id}/reaction`, u.headers, { value: 'like' })),
    );
    expect(results.map((r) => r.statusCode).filter((s) => s !== 200)).toEqual([]);
    // The same user twice, concurrently and again later.
    const twice = likers[0]!;
    await Promise.all([
      req('PUT', `/api/v1/reviews/${review.id}/reaction`, twice.headers, { value: 'like' }),
      req('PUT', `/api/v1/reviews/${review.id}/reaction`, twice.headers, { value: 'like' }),
    ]);
    const after = (await req('GET', `/api/v1/films/${film}/reviews`)).json<ReviewJson[]>()[0]!;
    expect(after.likes).toBe(100);
    expect(after.dislikes).toBe(0);

    // Switching to dislike moves the vote; withdrawing removes it.
    await req('PUT', `/api/v1/reviews/${review.id}/reaction`, twice.headers, { value: 'dislike' });
    await req('DELETE', `/api/v1/reviews/${review.id}/reaction`, likers[1]!.headers);
    await req('DELETE', `/api/v1/reviews/${review.id}/reaction`, likers[1]!.headers);
    const final = (await req('GET', `/api/v1/films/${film}/reviews`, twice.headers)).json<ReviewJson[]>()[0];
    expect(final).toMatchObject({ likes: 98, dislikes: 1, my_reaction: 'dislike' });

    const liked = (
      await outboxEvents<{ reviewId: string; authorId: string; likerId: string }>(kino, 'ugc.review.liked')
    ).filter((e) => e.reviewId === review.id);
    expect(liked).toHaveLength(100);
    expect(new Set(liked.map((e) => e.likerId)).size).toBe(100);
    expect(liked.every((e) => e.authorId === author.id)).toBe(true);
  });

  it('answers 404 for reactions to unknown reviews', async () => {
    const u = users.user();
    const res = await req('PUT', `/api/v1/reviews/${randomUUID()}/reaction`, u.headers, { value: 'like' });
    expect(res.statusCode).toBe(404);
    expect(res.json<ProblemJson>().code).toBe('REVIEW_NOT_FOUND');
  });
});
