/** SQL for reviews and reactions. Like/dislike counters change only by atomic increments. */
import type { SqlExecutor } from '../../ports/sql.js';
import { swapValue, type SwapStatements } from './swap.repository.js';

export interface ReviewRow {
  readonly id: string;
  readonly film_id: string;
  readonly author_id: string;
  readonly author_login: string;
  readonly text: string;
  readonly likes: number;
  readonly dislikes: number;
  readonly created_at: Date;
  readonly updated_at: Date;
  /** The author's score of the film, if any. */
  readonly author_score: number | null;
  /** The caller's reaction: 1 like, -1 dislike. */
  readonly my_reaction: number | null;
}

export type ReviewSort = '-created_at' | '-likes';

const SELECT = `SELECT r.id, r.film_id, r.author_id, r.author_login, r.text, r.likes, r.dislikes,
    r.created_at, r.updated_at, ar.score AS author_score, rr.value AS my_reaction
  FROM ugc.review r
  LEFT JOIN ugc.rating ar ON ar.user_id = r.author_id AND ar.film_id = r.film_id
  LEFT JOIN ugc.review_reaction rr ON rr.review_id = r.id AND rr.user_id = $2::uuid`;

const ORDER: Record<ReviewSort, string> = {
  '-created_at': 'r.created_at DESC, r.id',
  '-likes': 'r.likes DESC, r.created_at DESC, r.id',
};

const SET_REACTION: SwapStatements = {
  insert:
    'INSERT INTO ugc.review_reaction (review_id, user_id, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
  lock: 'SELECT value FROM ugc.review_reaction WHERE review_id = $1 AND user_id = $2 FOR UPDATE',
  update: 'UPDATE ugc.review_reaction SET value = $3 WHERE review_id = $1 AND user_id = $2',
};

export function createReviewRepository(db: SqlExecutor) {
  return {
    /** Inserts a review; false when this author already reviewed the film. */
    async insert(review: {
      id: string;
      filmId: string;
      authorId: string;
      authorLogin: string;
      text: string;
    }): Promise<boolean> {
      const n = await db.execute(
        `INSERT INTO ugc.review (id, film_id, author_id, author_login, text) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (film_id, author_id) DO NOTHING`,
        [review.id, review.filmId, review.authorId, review.authorLogin, review.text],
      );
      return n === 1;
    },

    async get(id: string, viewerId: string | null): Promise<ReviewRow | null> {
      const [row] = await db.query<ReviewRow>(`${SELECT} WHERE r.id = $1`, [id, viewerId]);
      return row ?? null;
    },

    async list(
      filmId: string,
      viewerId: string | null,
      sort: ReviewSort,
      limit: number,
      offset: number,
    ): Promise<{ rows: ReviewRow[]; total: number }> {
      const rows = await db.query<ReviewRow>(
        `${SELECT} WHERE r.film_id = $1 ORDER BY ${ORDER[sort]} LIMIT $3 OFFSET $4`,
        [filmId, viewerId, limit, offset],
      );
      const [count] = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM ugc.review WHERE film_id = $1',
        [filmId],
      );
      return { rows, total: count?.n ?? 0 };
    },

    async updateText(id: string, text: string): Promise<void> {
      await db.execute('UPDATE ugc.review SET text = $2, updated_at = now() WHERE id = $1', [id, text]);
    },

    async remove(id: string): Promise<void> {
      await db.execute('DELETE FROM ugc.review WHERE id = $1', [id]);
    },

    /**
     * Sets the user's reaction and returns the previous one (null if none). Concurrent writes of
     * one user serialise on the reaction row.
     */
    setReaction: (reviewId: string, userId: string, value: 1 | -1): Promise<number | null> =>
      swapValue(db, SET_REACTION, [reviewId, userId], value),

    async removeReaction(reviewId: string, userId: string): Promise<number | null> {
      const [row] = await db.query<{ value: number }>(
        'DELETE FROM ugc.review_reaction WHERE review_id = $1 AND user_id = $2 RETURNING value',
        [reviewId, userId],
      );
      return row?.value ?? null;
    },

    async addCounts(reviewId: string, likes: number, dislikes: number): Promise<void> {
      if (likes === 0 && dislikes === 0) return;
      await db.execute('UPDATE ugc.review SET likes = likes + $2, dislikes = dislikes + $3 WHERE id = $1', [
        reviewId,
        likes,
        dislikes,
      ]);
    },
  };
}

export type ReviewRepository = ReturnType<typeof createReviewRepository>;
