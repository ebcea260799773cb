/** SQL for recipients, preferences, the inbox and the film/bookmark/rating projections. */
import type { SqlExecutor } from '../../ports/sql.js';
import type { FilmFacts } from '../content/index.js';
import type { InboxRow, Recipient } from './notify.model.js';

const RECIPIENT_COLUMNS =
  'user_id, login, email, first_name, locale, time_zone, quiet_start, quiet_end, roles';

export interface NewInboxEntry {
  readonly id: string;
  readonly userId: string;
  readonly deliveryId: string | null;
  readonly category: string;
  readonly title: string;
  readonly body: string;
  readonly data: Record<string, unknown>;
  readonly createdAt: Date;
}

export interface RecipientPatch {
  readonly locale?: string;
  readonly timeZone?: string;
  readonly quiet?: { start: number; end: number } | null;
}

export function createRecipientRepository(db: SqlExecutor) {
  return {
    async upsertRegistered(r: {
      userId: string;
      login: string;
      email: string;
      firstName: string | null;
      locale: string;
    }): Promise<void> {
      await db.execute(
        `INSERT INTO notify.recipient (user_id, login, email, first_name, locale) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_id) DO UPDATE SET login = EXCLUDED.login, email = EXCLUDED.email,
           first_name = EXCLUDED.first_name, locale = EXCLUDED.locale, updated_at = now()`,
        [r.userId, r.login, r.email, r.firstName, r.locale],
      );
    },

    /** Makes sure a row exists (events may name a user before the registration arrives). */
    async touch(r: {
      userId: string;
      login?: string | null;
      email?: string | null;
      locale?: string;
    }): Promise<void> {
      await db.execute(
        `INSERT INTO notify.recipient (user_id, login, email, locale) VALUES ($1, $2, $3, coalesce($4, 'en'))
         ON CONFLICT (user_id) DO UPDATE SET login = coalesce(EXCLUDED.login, notify.recipient.login),
           email = coalesce(EXCLUDED.email, notify.recipient.email), updated_at = now()`,
        [r.userId, r.login ?? null, r.email ?? null, r.locale ?? null],
      );
    },

    async setRoles(userId: string, roles: readonly string[]): Promise<void> {
      await db.execute(
        `INSERT INTO notify.recipient (user_id, roles) VALUES ($1, $2::text[])
         ON CONFLICT (user_id) DO UPDATE SET roles = EXCLUDED.roles, updated_at = now()`,
        [userId, roles],
      );
    },

    /** Forgets a user: their recipient row, preferences, inbox, digests and pending messages. */
    async forget(userId: string): Promise<void> {
      for (const table of ['inbox', 'digest_item', 'bookmark', 'high_rating'])
        await db.execute(`DELETE FROM notify.${table} WHERE user_id = $1`, [userId]);
      await db.execute(
        `UPDATE notify.delivery SET status = 'cancelled', data = '{}'::jsonb, finished_at = now()
         WHERE user_id = $1 AND status IN ('pending', 'sending')`,
        [userId],
      );
      await db.execute('DELETE FROM notify.recipient WHERE user_id = $1', [userId]);
    },

    async get(userId: string): Promise<Recipient | undefined> {
      const [row] = await db.query<Recipient>(
        `SELECT ${RECIPIENT_COLUMNS} FROM notify.recipient WHERE user_id = $1`,
        [userId],
      );
      return row;
    },

    async many(userIds: readonly string[]): Promise<Map<string, Recipient>> {
      const rows = await db.query<Recipient>(
        `SELECT ${RECIPIENT_COLUMNS} FROM notify.recipient WHERE user_id = ANY($1::uuid[])`,
        [userIds],
      );
      return new Map(rows.map((r) => [r.user_id, r]));
    },

    async patch(userId: string, patch: RecipientPatch): Promise<void> {
      await db.execute(
        `UPDATE notify.recipient SET
           locale = coalesce($2, locale),
           time_zone = coalesce($3, time_zone),
           quiet_start = CASE WHEN $4::boolean THEN $5::smallint ELSE quiet_start END,
           quiet_end = CASE WHEN $4::boolean THEN $6::smallint ELSE quiet_end END,
           updated_at = now()
         WHERE user_id = $1`,
        [
          userId,
          patch.locale ?? null,
          patch.timeZone ?? null,
          patch.quiet !== undefined,
          patch.quiet?.start ?? null,
          patch.quiet?.end ?? null,
        ],
      );
    },

    /** Explicit preferences of these users: `${user}|${category}|${channel}` → enabled. */
    async preferences(userIds: readonly string[]): Promise<Map<string, boolean>> {
      const rows = await db.query<{ user_id: string; category: string; channel: string; enabled: boolean }>(
        'SELECT user_id, category, channel, enabled FROM notify.preference WHERE user_id = ANY($1::uuid[])',
        [userIds],
      );
      return new Map(rows.map((r) => [`${r.user_id}|${r.category}|${r.channel}`, r.enabled]));
    },

    async setPreferences(
      userId: string,
      entries: readonly { category: string; channel: string; enabled: boolean }[],
    ): Promise<void> {
      if (entries.length === 0) return;
      await db.execute(
        `INSERT INTO notify.preference (user_id, category, channel, enabled)
         SELECT $1, u.category, u.channel, u.enabled
         FROM unnest($2::text[], $3::text[], $4::boolean[]) AS u(category, channel, enabled)
         ON CONFLICT (user_id, category, channel) DO UPDATE SET enabled = EXCLUDED.enabled`,
        [
          userId,
          entries.map((e) => e.category),
          entries.map((e) => e.channel),
          entries.map((e) => e.enabled),
        ],
      );
    },

    async insertInbox(entries: readonly NewInboxEntry[]): Promise<InboxRow[]> {
      if (entries.length === 0) return [];
      return db.query<InboxRow>(
        `INSERT INTO notify.inbox (id, user_id, delivery_id, category, title, body, data, created_at)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::timestamptz[])
         ON CONFLICT (delivery_id) DO NOTHING
         RETURNING seq, id, user_id, category, title, body, data, created_at, read_at`,
        [
          entries.map((e) => e.id),
          entries.map((e) => e.userId),
          entries.map((e) => e.deliveryId),
          entries.map((e) => e.category),
          entries.map((e) => e.title),
          entries.map((e) => e.body),
          entries.map((e) => JSON.stringify(e.data)),
          entries.map((e) => e.createdAt),
        ],
      );
    },

    async inbox(
      userId: string,
      options: { unread: boolean; limit: number; offset: number },
    ): Promise<{ rows: InboxRow[]; total: number }> {
      const filter = options.unread ? 'AND read_at IS NULL' : '';
      const rows = await db.query<InboxRow>(
        `SELECT seq, id, user_id, category, title, body, data, created_at, read_at FROM notify.inbox
         WHERE user_id = $1 ${filter} ORDER BY seq DESC LIMIT $2 OFFSET $3`,
        [userId, options.limit, options.offset],
      );
      const [count] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM notify.inbox WHERE user_id = $1 ${filter}`,
        [userId],
      );
      return { rows, total: count?.n ?? 0 };
    },

    async unreadCount(userId: string): Promise<number> {
      const [row] = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM notify.inbox WHERE user_id = $1 AND read_at IS NULL',
        [userId],
      );
      return row?.n ?? 0;
    },

    async lastSeq(): Promise<number> {
      const [row] = await db.query<{ n: number }>(
        'SELECT coalesce(max(seq), 0)::int8 AS n FROM notify.inbox',
      );
      return row?.n ?? 0;
    },

    /** Inbox rows after `seq` for these users (live push across processes). */
    async inboxSince(seq: number, userIds: readonly string[]): Promise<InboxRow[]> {
      return db.query<InboxRow>(
        `SELECT seq, id, user_id, category, title, body, data, created_at, read_at FROM notify.inbox
         WHERE seq > $1 AND user_id = ANY($2::uuid[]) ORDER BY seq LIMIT 1000`,
        [seq, userIds],
      );
    },

    async markRead(userId: string, id: string, at: Date): Promise<boolean> {
      const [row] = await db.query<{ id: string }>(
        `UPDATE notify.inbox SET read_at = coalesce(read_at, $3) WHERE user_id = $1 AND id = $2 RETURNING id`,
        [userId, id, at],
      );
      return row !== undefined;
    },

    async markAllRead(userId: string, at: Date): Promise<number> {
      return db.execute('UPDATE notify.inbox SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL', [
        userId,
        at,
      ]);
    },

    /** Applies film facts, each unless a newer version is already stored; one statement. */
    async upsertFilms(films: readonly FilmFacts[]): Promise<void> {
      if (films.length === 0) return;
      await db.execute(
        `INSERT INTO notify.film (id, title, access, genre_ids, version)
         SELECT id, title, access, genre_ids, version
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, title text, access text, genre_ids uuid[], version int)
         ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, access = EXCLUDED.access,
           genre_ids = EXCLUDED.genre_ids, version = EXCLUDED.version
         WHERE notify.film.version < EXCLUDED.version`,
        [
          JSON.stringify(
            films.map(({ id, title, access, genre_ids, version }) => ({
              id,
              title,
              access,
              genre_ids,
              version,
            })),
          ),
        ],
      );
    },

    async deleteFilm(filmId: string): Promise<void> {
      await db.execute('DELETE FROM notify.film WHERE id = $1', [filmId]);
      await db.execute('DELETE FROM notify.bookmark WHERE film_id = $1', [filmId]);
      await db.execute('DELETE FROM notify.high_rating WHERE film_id = $1', [filmId]);
    },

    async filmTitle(filmId: string): Promise<string | null> {
      const [row] = await db.query<{ title: string }>('SELECT title FROM notify.film WHERE id = $1', [
        filmId,
      ]);
      return row?.title ?? null;
    },

    async setBookmark(userId: string, filmId: string, on: boolean): Promise<void> {
      if (on)
        await db.execute(
          'INSERT INTO notify.bookmark (user_id, film_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
          [userId, filmId],
        );
      else
        await db.execute('DELETE FROM notify.bookmark WHERE user_id = $1 AND film_id = $2', [userId, filmId]);
    },

    /** Keeps only ratings of 8 and above: the ones that say "more like this". */
    async setRating(userId: string, filmId: string, score: number | null): Promise<void> {
      if (score !== null && score >= 8)
        await db.execute(
          `INSERT INTO notify.high_rating (user_id, film_id, score) VALUES ($1, $2, $3)
           ON CONFLICT (user_id, film_id) DO UPDATE SET score = EXCLUDED.score`,
          [userId, filmId, score],
        );
      else
        await db.execute('DELETE FROM notify.high_rating WHERE user_id = $1 AND film_id = $2', [
          userId,
          filmId,
        ]);
    },
  };
}

export type RecipientRepository = ReturnType<typeof createRecipientRepository>;
