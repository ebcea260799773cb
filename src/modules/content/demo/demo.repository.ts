/** Bulk inserts of a generated catalogue into the content tables (set-based, idempotent). */
import type { SqlExecutor } from '../../../ports/sql.js';

export interface DemoFilmRow {
  id: string;
  title: string;
  description: string;
  creation_date: string;
  rating: number | null;
  type: string;
  access: string;
}

export function createDemoRepository(db: SqlExecutor) {
  return {
    /** Whether the connected role is a superuser (it may then skip foreign-key triggers). */
    async isSuperuser(): Promise<boolean> {
      const [role] = await db.query<{ superuser: boolean }>(
        'SELECT rolsuper AS superuser FROM pg_roles WHERE rolname = current_user',
      );
      return role?.superuser === true;
    },

    async insertGenres(genres: readonly { id: string; name: string; description: string }[]): Promise<void> {
      await db.execute(
        `INSERT INTO content.genre (id, name, description)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`,
        [genres.map((g) => g.id), genres.map((g) => g.name), genres.map((g) => g.description)],
      );
    },

    /** Genres whose lower-cased name is among `names` (lower-cased), with that name. */
    async genresByLowerName(names: readonly string[]): Promise<{ id: string; name: string }[]> {
      return db.query<{ id: string; name: string }>(
        'SELECT id, lower(name) AS name FROM content.genre WHERE lower(name) = ANY($1::text[])',
        [names],
      );
    },

    async insertPersons(persons: readonly { id: string; full_name: string }[]): Promise<void> {
      await db.execute(
        `INSERT INTO content.person (id, full_name) SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT DO NOTHING`,
        [persons.map((p) => p.id), persons.map((p) => p.full_name)],
      );
    },

    /** Skips per-row foreign-key triggers until the transaction of `db` ends (superuser only). */
    async skipForeignKeyTriggers(): Promise<void> {
      await db.execute('SET LOCAL session_replication_role = replica');
    },

    async insertFilms(films: readonly DemoFilmRow[]): Promise<void> {
      await db.execute(
        `INSERT INTO content.film_work (id, title, description, creation_date, rating, type, access)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::float8[], $6::text[], $7::text[])
         ON CONFLICT DO NOTHING`,
        [
          films.map((f) => f.id),
          films.map((f) => f.title),
          films.map((f) => f.description),
          films.map((f) => f.creation_date),
          films.map((f) => f.rating),
          films.map((f) => f.type),
          films.map((f) => f.access),
        ],
      );
    },

    /** Links as [film id, genre id]. */
    async insertGenreLinks(links: readonly (readonly [string, string])[]): Promise<void> {
      await db.execute(
        `INSERT INTO content.genre_film_work (id, film_work_id, genre_id)
         SELECT gen_random_uuid(), f, g FROM unnest($1::uuid[], $2::uuid[]) AS u(f, g) ON CONFLICT DO NOTHING`,
        [links.map((l) => l[0]), links.map((l) => l[1])],
      );
    },

    /** Links as [film id, person id, role]. */
    async insertPersonLinks(links: readonly (readonly [string, string, string])[]): Promise<void> {
      await db.execute(
        `INSERT INTO content.person_film_work (id, film_work_id, person_id, role)
         SELECT gen_random_uuid(), f, p, r FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS u(f, p, r)
         ON CONFLICT DO NOTHING`,
        [links.map((l) => l[0]), links.map((l) => l[1]), links.map((l) => l[2])],
      );
    },
  };
}

export type DemoRepository = ReturnType<typeof createDemoRepository>;
