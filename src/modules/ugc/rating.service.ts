/** Ratings: one score 1..10 per user and film; exact average and count per film. */
import type { Sql } from '../../ports/sql.js';
import { event } from '../../platform/events.js';
import { emit } from '../../platform/outbox.js';
import { requireUser, type Principal } from '../../platform/security.js';
import { requireVisibleFilm } from './film.access.js';
import type { FilmRepository } from './film.repository.js';
import { createRatingRepository } from './rating.repository.js';

export interface FilmRating {
  readonly film_id: string;
  readonly average: number | null;
  readonly votes: number;
  readonly user_score: number | null;
}

export function createRatingService(deps: { sql: Sql; films: FilmRepository }) {
  const { sql, films } = deps;
  const ratings = createRatingRepository(sql);

  async function get(principal: Principal, filmId: string): Promise<FilmRating> {
    await requireVisibleFilm(films, filmId, principal);
    const summary = await ratings.summary(filmId);
    const userScore = principal.userId ? await ratings.userScore(principal.userId, filmId) : null;
    return {
      film_id: filmId,
      average: summary.votes === 0 ? null : summary.total / summary.votes,
      votes: summary.votes,
      user_score: userScore,
    };
  }

  return {
    get,

    async set(principal: Principal, filmId: string, score: number): Promise<FilmRating> {
      requireUser(principal);
      await requireVisibleFilm(films, filmId, principal);
      const userId = principal.userId;
      await sql.transaction(async (tx) => {
        const previous = await createRatingRepository(tx).set(userId, filmId, score);
        if (previous === score) return;
        const deltas = new Map<number, number>([[score, 1]]);
        if (previous !== null) deltas.set(previous, -1);
        await createRatingRepository(tx).adjust(filmId, deltas);
        await emit(tx, [event('ugc.rating.set', filmId, { userId, filmId, score, previous })]);
      });
      return get(principal, filmId);
    },

    async remove(principal: Principal, filmId: string): Promise<void> {
      requireUser(principal);
      await requireVisibleFilm(films, filmId, principal);
      const userId = principal.userId;
      await sql.transaction(async (tx) => {
        const previous = await createRatingRepository(tx).remove(userId, filmId);
        if (previous === null) return;
        await createRatingRepository(tx).adjust(filmId, new Map([[previous, -1]]));
        await emit(tx, [event('ugc.rating.set', filmId, { userId, filmId, score: null, previous })]);
      });
    },
  };
}

export type RatingService = ReturnType<typeof createRatingService>;
