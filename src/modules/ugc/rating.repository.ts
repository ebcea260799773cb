/** SQL for ratings. Counts change only by atomic increments in the transaction that sets a score. */
import type { SqlExecutor } from '../../ports/sql.js';
import { swapValue, type SwapStatements } from './swap.repository.js';

export interface RatingSummary {
  readonly votes: number;
  /** Sum of every score (exact: average = total / votes). */
  readonly total: number;
  /** Votes per score 1..10 (index 0 is score 1). */
  readonly histogram: readonly number[];
}

const SET_SCORE: SwapStatements = {
  insert: 'INSERT INTO ugc.rating (user_id, film_id, score) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
  lock: 'SELECT score AS value FROM ugc.rating WHERE user_id = $1 AND film_id = $2 FOR UPDATE',
  update: 'UPDATE ugc.rating SET score = $3, updated_at = now() WHERE user_id = $1 AND film_id = $2',
};

export function createRatingRepository(db: SqlExecutor) {
  return {
    /**
     * Sets the user's score and returns the previous one (null if there was none). Two writes by
     * the same user serialise on the row: the second sees the first's score as its previous.
     */
    set: (userId: string, filmId: string, score: number): Promise<number | null> =>
      swapValue(db, SET_SCORE, [userId, filmId], score),

    /** Removes the user's score and returns it (null if there was none). */
    async remove(userId: string, filmId: string): Promise<number | null> {
      const [row] = await db.query<{ score: number }>(
        'DELETE FROM ugc.rating WHERE user_id = $1 AND film_id = $2 RETURNING score',
        [userId, filmId],
      );
      return row?.score ?? null;
    },

    /** Applies vote deltas per score in score order (a fixed lock order: no deadlocks). */
    async adjust(filmId: string, deltas: ReadonlyMap<number, number>): Promise<void> {
      const changes = [...deltas].filter(([, d]) => d !== 0).sort(([a], [b]) => a - b);
      for (const [score, delta] of changes) {
        await db.execute(
          `INSERT INTO ugc.rating_count (film_id, score, votes) VALUES ($1, $2, GREATEST($3, 0))
           ON CONFLICT (film_id, score) DO UPDATE SET votes = ugc.rating_count.votes + $3`,
          [filmId, score, delta],
        );
      }
    },

    async summary(filmId: string): Promise<RatingSummary> {
      const rows = await db.query<{ score: number; votes: number }>(
        'SELECT score, votes FROM ugc.rating_count WHERE film_id = $1',
        [filmId],
      );
      const histogram = Array.from({ length: 10 }, () => 0);
      let votes = 0;
      let total = 0;
      for (const r of rows) {
        histogram[r.score - 1] = r.votes;
        votes += r.votes;
        total += r.votes * r.score;
      }
      return { votes, total, histogram };
    },

    async userScore(userId: string, filmId: string): Promise<number | null> {
      const [row] = await db.query<{ score: number }>(
        'SELECT score FROM ugc.rating WHERE user_id = $1 AND film_id = $2',
        [userId, filmId],
      );
      return row?.score ?? null;
    },
  };
}

export type RatingRepository = ReturnType<typeof createRatingRepository>;
