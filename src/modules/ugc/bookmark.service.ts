/** Bookmarks: a user's list of films to watch later, with an optional note. */
import type { Sql } from '../../ports/sql.js';
import { event } from '../../platform/events.js';
import { emit } from '../../platform/outbox.js';
import { requireUser, type Principal } from '../../platform/security.js';
import { ownPage, requireVisibleFilm } from './film.access.js';
import type { FilmRepository } from './film.repository.js';
import { createBookmarkRepository } from './bookmark.repository.js';

export interface BookmarkView {
  readonly film_id: string;
  readonly title: string;
  readonly rating: number | null;
  readonly note: string | null;
  readonly created_at: string;
}

export function createBookmarkService(deps: { sql: Sql; films: FilmRepository }) {
  const { sql, films } = deps;
  const bookmarks = createBookmarkRepository(sql);
  return {
    /** Returns true when the bookmark is new. */
    async put(principal: Principal, filmId: string, note: string | null): Promise<boolean> {
      requireUser(principal);
      await requireVisibleFilm(films, filmId, principal);
      const userId = principal.userId;
      return sql.transaction(async (tx) => {
        const added = await createBookmarkRepository(tx).put(userId, filmId, note);
        if (added) await emit(tx, [event('ugc.bookmark.added', userId, { userId, filmId })]);
        return added;
      });
    },

    /** Removing a bookmark that does not exist is not an error (the outcome is the same). */
    async remove(principal: Principal, filmId: string): Promise<void> {
      requireUser(principal);
      const userId = principal.userId;
      await sql.transaction(async (tx) => {
        if (await createBookmarkRepository(tx).remove(userId, filmId))
          await emit(tx, [event('ugc.bookmark.removed', userId, { userId, filmId })]);
      });
    },

    async list(
      principal: Principal,
      pageNumber: number,
      pageSize: number,
    ): Promise<{ items: BookmarkView[]; total: number }> {
      const { rows, total } = await bookmarks.list(ownPage(principal, pageNumber, pageSize));
      return {
        items: rows.map((r) => ({
          film_id: r.film_id,
          title: r.title,
          rating: r.rating,
          note: r.note,
          created_at: r.created_at.toISOString(),
        })),
        total,
      };
    },
  };
}

export type BookmarkService = ReturnType<typeof createBookmarkService>;
