/** Reviews: one per user and film, with one like or dislike per user and review. */
import { randomUUID } from 'node:crypto';
import { isSqlError, SqlState, type Sql } from '../../ports/sql.js';
import { event } from '../../platform/events.js';
import { emit } from '../../platform/outbox.js';
import { hasPermission, Permission, requireUser, type Principal } from '../../platform/security.js';
import { requireVisibleFilm } from './film.access.js';
import { ugcErrors } from './ugc.errors.js';
import type { FilmRepository } from './film.repository.js';
import { createReviewRepository, type ReviewRow, type ReviewSort } from './review.repository.js';

export type Reaction = 'like' | 'dislike';

export interface ReviewView {
  readonly id: string;
  readonly film_id: string;
  readonly author: { readonly id: string; readonly login: string; readonly rating: number | null };
  readonly text: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly likes: number;
  readonly dislikes: number;
  readonly my_reaction: Reaction | null;
}

export function toReviewView(row: ReviewRow): ReviewView {
  return {
    id: row.id,
    film_id: row.film_id,
    author: { id: row.author_id, login: row.author_login, rating: row.author_score },
    text: row.text,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    likes: row.likes,
    dislikes: row.dislikes,
    my_reaction: row.my_reaction === 1 ? 'like' : row.my_reaction === -1 ? 'dislike' : null,
  };
}

/** Counter deltas when a reaction goes from `before` to `after` (1 like, -1 dislike, null none). */
export function reactionDelta(
  before: number | null,
  after: number | null,
): { likes: number; dislikes: number } {
  const likes = (after === 1 ? 1 : 0) - (before === 1 ? 1 : 0);
  const dislikes = (after === -1 ? 1 : 0) - (before === -1 ? 1 : 0);
  return { likes, dislikes };
}

export function createReviewService(deps: { sql: Sql; films: FilmRepository }) {
  const { sql, films } = deps;
  const reviews = createReviewRepository(sql);

  async function load(principal: Principal, id: string): Promise<ReviewRow> {
    const row = await reviews.get(id, principal.userId);
    if (!row) throw ugcErrors.REVIEW_NOT_FOUND();
    return row;
  }

  return {
    async create(principal: Principal, filmId: string, text: string): Promise<ReviewView> {
      requireUser(principal);
      await requireVisibleFilm(films, filmId, principal);
      const id = randomUUID();
      const authorId = principal.userId;
      // Errors are raised after the transaction: the embedded adapter rewraps coded errors thrown inside.
      const created = await sql.transaction(async (tx) => {
        const inserted = await createReviewRepository(tx).insert({
          id,
          filmId,
          authorId,
          authorLogin: principal.login ?? authorId,
          text,
        });
        if (inserted)
          await emit(tx, [event('ugc.review.created', filmId, { reviewId: id, filmId, authorId })]);
        return inserted;
      });
      if (!created) throw ugcErrors.REVIEW_EXISTS();
      return toReviewView(await load(principal, id));
    },

    async list(
      principal: Principal,
      filmId: string,
      sort: ReviewSort,
      pageNumber: number,
      pageSize: number,
    ): Promise<{ items: ReviewView[]; total: number }> {
      await requireVisibleFilm(films, filmId, principal);
      const { rows, total } = await reviews.list(
        filmId,
        principal.userId,
        sort,
        pageSize,
        (pageNumber - 1) * pageSize,
      );
      return { items: rows.map(toReviewView), total };
    },

    async update(principal: Principal, id: string, text: string): Promise<ReviewView> {
      requireUser(principal);
      const row = await load(principal, id);
      if (row.author_id !== principal.userId) throw ugcErrors.NOT_REVIEW_AUTHOR();
      await sql.transaction((tx) => createReviewRepository(tx).updateText(id, text));
      return toReviewView(await load(principal, id));
    },

    async remove(principal: Principal, id: string): Promise<void> {
      requireUser(principal);
      const row = await load(principal, id);
      if (row.author_id !== principal.userId && !hasPermission(principal, Permission.crudFilms))
        throw ugcErrors.NOT_REVIEW_AUTHOR();
      await sql.transaction((tx) => createReviewRepository(tx).remove(id));
    },

    async react(principal: Principal, id: string, reaction: Reaction): Promise<ReviewView> {
      requireUser(principal);
      const row = await load(principal, id);
      await requireVisibleFilm(films, row.film_id, principal);
      const userId = principal.userId;
      const value = reaction === 'like' ? 1 : -1;
      await sql
        .transaction(async (tx) => {
          const before = await createReviewRepository(tx).setReaction(id, userId, value);
          if (before === value) return;
          const d = reactionDelta(before, value);
          await createReviewRepository(tx).addCounts(id, d.likes, d.dislikes);
          if (value === 1 && row.author_id !== userId) {
            await emit(tx, [
              event('ugc.review.liked', row.author_id, {
                reviewId: id,
                filmId: row.film_id,
                authorId: row.author_id,
                likerId: userId,
              }),
            ]);
          }
        })
        .catch((error: unknown) => {
          // The review was deleted meanwhile.
          if (isSqlError(error, SqlState.foreignKeyViolation)) throw ugcErrors.REVIEW_NOT_FOUND();
          throw error;
        });
      return toReviewView(await load(principal, id));
    },

    async unreact(principal: Principal, id: string): Promise<void> {
      requireUser(principal);
      await load(principal, id);
      const userId = principal.userId;
      await sql.transaction(async (tx) => {
        const before = await createReviewRepository(tx).removeReaction(id, userId);
        const d = reactionDelta(before, null);
        await createReviewRepository(tx).addCounts(id, d.likes, d.dislikes);
      });
    },
  };
}

export type ReviewService = ReturnType<typeof createReviewService>;
