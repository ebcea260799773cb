/** SQL for bookmarks. */
import type { SqlExecutor } from '../../ports/sql.js';
import { ownFilmsPage, type OwnFilmsPage } from './film.repository.js';

export interface BookmarkRow {
  readonly film_id: string;
  readonly note: string | null;
  readonly created_at: Date;
  readonly title: string;
  readonly rating: number | null;
}

const LIST_COLUMNS = 't.film_id, t.note, t.created_at, f.title, f.rating';

export function createBookmarkRepository(db: SqlExecutor) {
  return {
    /** Adds or updates the bookmark; true when it is new. */
    async put(userId: string, filmId: string, note: string | null): Promise<boolean> {
      const [row] = await db.query<{ inserted: boolean }>(
        `INSERT INTO ugc.bookmark (user_id, film_id, note) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, film_id) DO UPDATE SET note = EXCLUDED.note
         RETURNING (xmax = 0) AS inserted`,
        [userId, filmId, note],
      );
      return row?.inserted ?? false;
    },

    async remove(userId: string, filmId: string): Promise<boolean> {
      return (
        (await db.execute('DELETE FROM ugc.bookmark WHERE user_id = $1 AND film_id = $2', [
          userId,
          filmId,
        ])) === 1
      );
    },

    /** The user's bookmarks of films they may see, newest first. */
    list: (page: OwnFilmsPage) =>
      ownFilmsPage<BookmarkRow>(db, 'ugc.bookmark', LIST_COLUMNS, 't.created_at DESC, t.film_id', page),
  };
}

export type BookmarkRepository = ReturnType<typeof createBookmarkRepository>;
