/** SQL for watch progress, continue-watching and history. */
import type { SqlExecutor } from '../../ports/sql.js';
import { ownFilmsPage, type OwnFilmsPage } from './film.repository.js';
import { COMPLETE_AT, CONTINUE_FROM, MIN_POSITION_S, type ProgressState } from './progress.rules.js';

export interface ProgressRow extends ProgressState {
  readonly film_id: string;
  readonly updated_at: Date;
}

export interface ContinueRow {
  readonly film_id: string;
  readonly title: string;
  readonly position_s: number;
  readonly duration_s: number;
  readonly updated_at: Date;
}

export interface HistoryRow {
  readonly film_id: string;
  readonly title: string;
  readonly watched_at: Date;
}

const COLUMNS = 'film_id, position_s, duration_s, completed, hidden, updated_at';

const HISTORY_COLUMNS = 't.film_id, f.title, t.watched_at';

export function createProgressRepository(db: SqlExecutor) {
  return {
    async get(userId: string, filmId: string): Promise<ProgressRow | null> {
      const [row] = await db.query<ProgressRow>(
        `SELECT ${COLUMNS} FROM ugc.progress WHERE user_id = $1 AND film_id = $2`,
        [userId, filmId],
      );
      return row ?? null;
    },

    /** Locks the row (creating it from `initial` when missing) and returns its state before. */
    async lock(userId: string, filmId: string, initial: ProgressState): Promise<ProgressRow | null> {
      for (;;) {
        const [existing] = await db.query<ProgressRow>(
          `SELECT ${COLUMNS} FROM ugc.progress WHERE user_id = $1 AND film_id = $2 FOR UPDATE`,
          [userId, filmId],
        );
        if (existing) return existing;
        const inserted = await db.execute(
          `INSERT INTO ugc.progress (user_id, film_id, position_s, duration_s, completed, hidden)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
          [userId, filmId, initial.position_s, initial.duration_s, initial.completed, initial.hidden],
        );
        if (inserted === 1) return null;
      }
    },

    async save(userId: string, filmId: string, state: ProgressState): Promise<void> {
      await db.execute(
        `UPDATE ugc.progress SET position_s = $3, duration_s = $4, completed = $5, hidden = $6, updated_at = now()
         WHERE user_id = $1 AND film_id = $2`,
        [userId, filmId, state.position_s, state.duration_s, state.completed, state.hidden],
      );
    },

    async hide(userId: string, filmId: string): Promise<boolean> {
      return (
        (await db.execute('UPDATE ugc.progress SET hidden = true WHERE user_id = $1 AND film_id = $2', [
          userId,
          filmId,
        ])) === 1
      );
    },

    async addHistory(userId: string, filmId: string, at: Date): Promise<void> {
      await db.execute('INSERT INTO ugc.watch_history (user_id, film_id, watched_at) VALUES ($1, $2, $3)', [
        userId,
        filmId,
        at,
      ]);
    },

    /** The page's films the user is part way through, most recently watched first. */
    async continueWatching(page: OwnFilmsPage): Promise<ContinueRow[]> {
      return db.query<ContinueRow>(
        `SELECT p.film_id, f.title, p.position_s, p.duration_s, p.updated_at
         FROM ugc.progress p JOIN ugc.film f ON f.id = p.film_id
         WHERE p.user_id = $1 AND NOT p.hidden AND f.access = ANY($2::text[])
           AND p.position_s / p.duration_s > $5 AND p.position_s / p.duration_s < $6 AND p.position_s >= $7
         ORDER BY p.updated_at DESC, p.film_id LIMIT $3 OFFSET $4`,
        [page.userId, page.access, page.limit, page.offset, CONTINUE_FROM, COMPLETE_AT, MIN_POSITION_S],
      );
    },

    /** Films watched to the end, latest first (a film watched twice is there twice). */
    history: (page: OwnFilmsPage) =>
      ownFilmsPage<HistoryRow>(
        db,
        'ugc.watch_history',
        HISTORY_COLUMNS,
        't.watched_at DESC, t.id DESC',
        page,
      ),
  };
}

export type ProgressRepository = ReturnType<typeof createProgressRepository>;
