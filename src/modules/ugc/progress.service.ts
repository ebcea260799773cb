/** Watch progress, continue-watching and history (rules in progress.rules.ts). */
import type { Sql } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import { event } from '../../platform/events.js';
import { emit } from '../../platform/outbox.js';
import { requireUser, type Principal } from '../../platform/security.js';
import { ownPage, requireVisibleFilm } from './film.access.js';
import type { FilmRepository } from './film.repository.js';
import { createProgressRepository, type ProgressRow } from './progress.repository.js';
import { applyProgress, inContinueWatching } from './progress.rules.js';
import { ugcErrors } from './ugc.errors.js';

export interface ProgressView {
  readonly film_id: string;
  readonly position_s: number;
  readonly duration_s: number;
  readonly percent: number;
  readonly completed: boolean;
  readonly in_continue_watching: boolean;
  readonly updated_at: string;
}

const percent = (position: number, duration: number) => Math.round((position / duration) * 1000) / 10;

function toView(row: ProgressRow): ProgressView {
  return {
    film_id: row.film_id,
    position_s: row.position_s,
    duration_s: row.duration_s,
    percent: percent(row.position_s, row.duration_s),
    completed: row.completed,
    in_continue_watching: !row.hidden && inContinueWatching(row.position_s, row.duration_s),
    updated_at: row.updated_at.toISOString(),
  };
}

export function createProgressService(deps: { sql: Sql; clock: Clock; films: FilmRepository }) {
  const { sql, clock, films } = deps;
  const progress = createProgressRepository(sql);

  async function get(principal: Principal, filmId: string): Promise<ProgressView> {
    requireUser(principal);
    const row = await progress.get(principal.userId, filmId);
    if (!row) throw ugcErrors.PROGRESS_NOT_FOUND();
    return toView(row);
  }

  return {
    get,

    /** Last write wins; repeating a write changes nothing. */
    async put(principal: Principal, filmId: string, input: { position_s: number; duration_s: number }) {
      requireUser(principal);
      if (input.position_s > input.duration_s)
        throw ugcErrors.POSITION_BEYOND_DURATION({
          errors: [{ field: '/position_s', message: 'must not exceed duration_s' }],
        });
      await requireVisibleFilm(films, filmId, principal);
      const userId = principal.userId;
      await sql.transaction(async (tx) => {
        const fresh = applyProgress(null, input);
        const before = await createProgressRepository(tx).lock(userId, filmId, fresh.next);
        const change = before ? applyProgress(before, input) : fresh;
        if (before && !change.unchanged) await createProgressRepository(tx).save(userId, filmId, change.next);
        if (change.completedNow) {
          const at = clock.now();
          await createProgressRepository(tx).addHistory(userId, filmId, at);
          await emit(tx, [
            event('ugc.progress.completed', userId, { userId, filmId, watchedAt: at.toISOString() }),
          ]);
        }
      });
      return get(principal, filmId);
    },

    /** Hides the film from continue-watching; its progress and history stay. */
    async hide(principal: Principal, filmId: string): Promise<void> {
      requireUser(principal);
      const userId = principal.userId;
      const found = await sql.transaction((tx) => createProgressRepository(tx).hide(userId, filmId));
      if (!found) throw ugcErrors.PROGRESS_NOT_FOUND();
    },

    async continueWatching(principal: Principal, pageNumber: number, pageSize: number) {
      const rows = await progress.continueWatching(ownPage(principal, pageNumber, pageSize));
      return rows.map((r) => ({
        film_id: r.film_id,
        title: r.title,
        position_s: r.position_s,
        duration_s: r.duration_s,
        percent: percent(r.position_s, r.duration_s),
        updated_at: r.updated_at.toISOString(),
      }));
    },

    async history(principal: Principal, pageNumber: number, pageSize: number) {
      const { rows, total } = await progress.history(ownPage(principal, pageNumber, pageSize));
      return {
        items: rows.map((r) => ({
          film_id: r.film_id,
          title: r.title,
          watched_at: r.watched_at.toISOString(),
        })),
        total,
      };
    },
  };
}

export type ProgressService = ReturnType<typeof createProgressService>;
