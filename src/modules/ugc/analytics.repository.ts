/**
 * Analytics queries. Views and completions come from ugc.film_daily, which the sink increments in
 * the transaction that stores the events (each read is a range on an index); signed-in and
 * anonymous counts are kept apart and rankings use the signed-in ones; ratings from
 * ugc.rating and ugc.rating_count.
 */
import type { SqlExecutor } from '../../ports/sql.js';

export interface TopRow {
  readonly film_id: string;
  readonly title: string | null;
  readonly value: number;
  readonly votes?: number;
}

export interface DayRow {
  readonly day: string;
  readonly views: number;
  readonly completions: number;
  readonly anonymous_views: number;
  readonly anonymous_completions: number;
}

export function createAnalyticsRepository(db: SqlExecutor) {
  return {
    async topByCounter(counter: 'views' | 'completions', since: string, limit: number): Promise<TopRow[]> {
      const column = counter === 'views' ? 'views' : 'completions';
      return db.query<TopRow>(
        `SELECT t.film_id, f.title, t.value FROM (
           SELECT film_id, sum(${column})::int AS value FROM ugc.film_daily
           WHERE day >= $1::date GROUP BY film_id HAVING sum(${column}) > 0
           ORDER BY value DESC, film_id LIMIT $2) t
         LEFT JOIN ugc.film f ON f.id = t.film_id
         ORDER BY t.value DESC, t.film_id`,
        [since, limit],
      );
    },

    /** Best average of the scores given (or changed) since `since`, among films with enough votes. */
    async topByRating(since: Date, limit: number, minVotes: number): Promise<TopRow[]> {
      return db.query<TopRow>(
        `SELECT t.film_id, f.title, t.value, t.votes FROM (
           SELECT film_id, avg(score)::float8 AS value, count(*)::int AS votes FROM ugc.rating
           WHERE updated_at >= $1 GROUP BY film_id HAVING count(*) >= $3
           ORDER BY value DESC, votes DESC, film_id LIMIT $2) t
         LEFT JOIN ugc.film f ON f.id = t.film_id
         ORDER BY t.value DESC, t.votes DESC, t.film_id`,
        [since, limit, minVotes],
      );
    },

    async days(filmId: string, since: string): Promise<DayRow[]> {
      return db.query<DayRow>(
        'SELECT day, views, completions, anonymous_views, anonymous_completions FROM ugc.film_daily WHERE film_id = $1 AND day >= $2::date ORDER BY day',
        [filmId, since],
      );
    },
  };
}

export type AnalyticsRepository = ReturnType<typeof createAnalyticsRepository>;
