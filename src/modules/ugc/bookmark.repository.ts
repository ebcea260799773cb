/** SQL for bookmarks. */
import type { SqlExecutor } from '../../ports/sql.js';
import type { AccessLevel } from '../content/index.js';

export interface BookmarkRow {
  readonly film_id: string;
  readonly note: string | null;
  readonly created_at: Date;
  readonly title: string;
  readonly rating: number | null;
}

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
    async list(
      userId: string,
      access: readonly AccessLevel[],
      limit: number,
      offset: number,
    ): Promise<{ rows: BookmarkRow[]; total: number }> {
      const rows = await db.query<BookmarkRow>(
        `SELECT b.film_id, b.note, b.created_at, f.title, f.rating
         FROM ugc.bookmark b JOIN ugc.film f ON f.id = b.film_id
         WHERE b.user_id = $1 AND f.access = ANY($2::text[])
         ORDER BY b.created_at DESC, b.film_id LIMIT $3 OFFSET $4`,
        [userId, access, limit, offset],
      );
      const [count] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ugc.bookmark b JOIN ugc.film f ON f.id = b.film_id
         WHERE b.user_id = $1 AND f.access = ANY($2::text[])`,
        [userId, access],
      );
      return { rows, total: count?.n ?? 0 };
    },
  };
}

export type BookmarkRepository = ReturnType<typeof createBookmarkRepository>;
