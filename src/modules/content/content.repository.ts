/** The only SQL of the content write model (schema `content`), bound to the executor it runs on. */
import type { SqlExecutor } from '../../ports/sql.js';

import type { FilmFacts } from './content.events.js';

import type {
  AccessLevel,
  ChangeLogEntry,
  FilmListQuery,
  FilmRecord,
  GenreRecord,
  PersonRecord,
  PersonRole,
} from './content.types.js';

/** A film as the database returns it: content's `FilmRecord` with its timestamps still dates. */
type FilmRow = Omit<FilmRecord, 'created' | 'modified'> & { created: Date; modified: Date };

const FILM_SELECT = `
  SELECT f.id, f.title, f.description, f.creation_date, f.rating, f.type, f.access, f.version, f.created, f.modified,
    coalesce((SELECT jsonb_agg(jsonb_build_object('id', g.id, 'name', g.name) ORDER BY g.name, g.id)
              FROM content.genre_film_work gf JOIN content.genre g ON g.id = gf.genre_id
              WHERE gf.film_work_id = f.id), '[]'::jsonb) AS genres,
    coalesce((SELECT jsonb_agg(jsonb_build_object('id', p.id, 'full_name', p.full_name, 'role', pf.role)
                               ORDER BY pf.role, p.full_name, p.id)
              FROM content.person_film_work pf JOIN content.person p ON p.id = pf.person_id
              WHERE pf.film_work_id = f.id), '[]'::jsonb) AS persons
  FROM content.film_work f`;

const iso = (d: Date) => d.toISOString();

function toFilm(row: FilmRow): FilmRecord {
  return { ...row, created: iso(row.created), modified: iso(row.modified) };
}

/** The columns of content.film_work a film write sets (version and timestamps are the database's). */
export type FilmRow2Write = Pick<
  FilmRecord,
  'id' | 'title' | 'description' | 'creation_date' | 'rating' | 'type' | 'access'
>;

/** A film list's filters: its query without the sort and the page. */
export type FilmFilter = Omit<FilmListQuery, 'sort' | 'page_number' | 'page_size'>;

interface NamedRow {
  id: string;
  version: number;
  created: Date;
  modified: Date;
  film_count: number;
  [k: string]: unknown;
}

const NAMED = {
  genre: {
    table: 'content.genre',
    link: 'content.genre_film_work',
    fk: 'genre_id',
    cols: 'name, description',
  },
  person: {
    table: 'content.person',
    link: 'content.person_film_work',
    fk: 'person_id',
    cols: 'full_name',
  },
} as const;

function named<T>(row: NamedRow): T {
  return { ...row, created: iso(row.created), modified: iso(row.modified) } as T;
}

function namedSelect(kind: 'genre' | 'person'): string {
  const n = NAMED[kind];
  return `SELECT t.id, ${n.cols.replace(/(\w+)/g, 't.$1')}, t.version, t.created, t.modified,
    (SELECT count(DISTINCT l.film_work_id)::int FROM ${n.link} l WHERE l.${n.fk} = t.id) AS film_count
    FROM ${n.table} t`;
}

/** A change-log entry to write: the entry without its id and time, with the states before and after. */
export type ChangeInput = Omit<ChangeLogEntry, 'id' | 'at'> & { before: unknown; after: unknown };

/** A change-log entry as the database returns it: its time still a date. */
type ChangeRow = Omit<ChangeLogEntry, 'at'> & { at: Date };

const toChange = (r: ChangeRow): ChangeLogEntry => ({ ...r, at: iso(r.at) });

const FACTS_SELECT = `
  SELECT f.id, f.title, f.rating, f.access, f.version,
    coalesce((SELECT array_agg(gf.genre_id ORDER BY gf.genre_id) FROM content.genre_film_work gf
              WHERE gf.film_work_id = f.id), '{}'::uuid[]) AS genre_ids
  FROM content.film_work f`;

async function filmsByIds(db: SqlExecutor, ids: readonly string[], lock: boolean): Promise<FilmRecord[]> {
  if (ids.length === 0) return [];
  if (lock)
    await db.query('SELECT id FROM content.film_work WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [
      ids,
    ]);
  const rows = await db.query<FilmRow>(`${FILM_SELECT} WHERE f.id = ANY($1::uuid[])`, [ids]);
  const byId = new Map(rows.map((r) => [r.id, toFilm(r)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export function createContentRepository(db: SqlExecutor) {
  return {
    /** The films of `ids` that exist, in the order of `ids`; `lock` locks their rows first. */
    filmsByIds: (ids: readonly string[], lock = false) => filmsByIds(db, ids, lock),

    async filmById(id: string, lock = false): Promise<FilmRecord | null> {
      return (await filmsByIds(db, [id], lock))[0] ?? null;
    },

    async insertFilm(f: FilmRow2Write): Promise<void> {
      await db.execute(
        `INSERT INTO content.film_work (id, title, description, creation_date, rating, type, access)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [f.id, f.title, f.description, f.creation_date, f.rating, f.type, f.access],
      );
    },

    async updateFilmRow(f: FilmRow2Write): Promise<void> {
      await db.execute(
        `UPDATE content.film_work SET title = $2, description = $3, creation_date = $4, rating = $5, type = $6,
           access = $7, version = version + 1, modified = now() WHERE id = $1`,
        [f.id, f.title, f.description, f.creation_date, f.rating, f.type, f.access],
      );
    },

    async replaceFilmGenres(filmId: string, genreIds: readonly string[]) {
      await db.execute('DELETE FROM content.genre_film_work WHERE film_work_id = $1', [filmId]);
      if (genreIds.length > 0)
        await db.execute(
          `INSERT INTO content.genre_film_work (id, film_work_id, genre_id)
           SELECT gen_random_uuid(), $1, g FROM unnest($2::uuid[]) AS g ON CONFLICT DO NOTHING`,
          [filmId, genreIds],
        );
    },

    async replaceFilmPersons(filmId: string, persons: readonly { person_id: string; role: PersonRole }[]) {
      await db.execute('DELETE FROM content.person_film_work WHERE film_work_id = $1', [filmId]);
      if (persons.length > 0)
        await db.execute(
          `INSERT INTO content.person_film_work (id, film_work_id, person_id, role)
           SELECT gen_random_uuid(), $1, p, r FROM unnest($2::uuid[], $3::text[]) AS u(p, r) ON CONFLICT DO NOTHING`,
          [filmId, persons.map((p) => p.person_id), persons.map((p) => p.role)],
        );
    },

    /** Ids among `ids` that do not exist in `table`. */
    async missingIds(table: 'genre' | 'person', ids: readonly string[]): Promise<string[]> {
      if (ids.length === 0) return [];
      const rows = await db.query<{ id: string }>(
        `SELECT u.id FROM unnest($1::uuid[]) AS u(id) WHERE NOT EXISTS (SELECT 1 FROM content.${table} t WHERE t.id = u.id)`,
        [ids],
      );
      return rows.map((r) => r.id);
    },

    async deleteFilms(ids: readonly string[]): Promise<string[]> {
      const rows = await db.query<{ id: string }>(
        'DELETE FROM content.film_work WHERE id = ANY($1::uuid[]) RETURNING id',
        [ids],
      );
      return rows.map((r) => r.id);
    },

    /** Sets the access level of films that do not have it yet; returns their previous levels. */
    async setAccess(
      ids: readonly string[],
      access: AccessLevel,
    ): Promise<{ id: string; before: AccessLevel; title: string }[]> {
      return db.query(
        `UPDATE content.film_work f SET access = $2, version = f.version + 1, modified = now()
         FROM (SELECT id, access, title FROM content.film_work WHERE id = ANY($1::uuid[]) AND access <> $2 ORDER BY id FOR UPDATE) o
         WHERE f.id = o.id RETURNING f.id, o.access AS before, o.title`,
        [ids, access],
      );
    },

    /** Returns one page of film ids (ordered by `orderBy`, a whitelisted expression) and the total. */
    async searchFilmIds(
      filter: FilmFilter,
      orderBy: string,
      limit: number,
      offset: number,
    ): Promise<{ ids: string[]; total: number }> {
      const where: string[] = [];
      const params: unknown[] = [];
      const p = (v: unknown) => {
        params.push(v);
        return `$${params.length}`;
      };
      if (filter.q) {
        const like = p(`%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
        where.push(`(f.title ILIKE ${like} OR f.description ILIKE ${like})`);
      }
      if (filter.genre_ids?.length)
        where.push(
          `EXISTS (SELECT 1 FROM content.genre_film_work gf WHERE gf.film_work_id = f.id AND gf.genre_id = ANY(${p(filter.genre_ids)}::uuid[]))`,
        );
      if (filter.type) where.push(`f.type = ${p(filter.type)}`);
      if (filter.access?.length) where.push(`f.access = ANY(${p(filter.access)}::text[])`);
      if (filter.year_from !== undefined)
        where.push(`f.creation_date >= make_date(${p(filter.year_from)}::int, 1, 1)`);
      if (filter.year_to !== undefined)
        where.push(`f.creation_date < make_date(${p(filter.year_to)}::int + 1, 1, 1)`);
      if (filter.rating_min !== undefined) where.push(`f.rating >= ${p(filter.rating_min)}`);
      if (filter.rating_max !== undefined) where.push(`f.rating <= ${p(filter.rating_max)}`);
      const rows = await db.query<{ id: string; total: number }>(
        `SELECT f.id, count(*) OVER ()::int AS total FROM content.film_work f
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY ${orderBy} LIMIT ${p(limit)} OFFSET ${p(offset)}`,
        params,
      );
      if (rows.length > 0) return { ids: rows.map((r) => r.id), total: rows[0]!.total };
      if (offset === 0) return { ids: [], total: 0 };
      const [count] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM content.film_work f ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`,
        params.slice(0, -2),
      );
      return { ids: [], total: count?.n ?? 0 };
    },

    async genreById(id: string, lock = false): Promise<GenreRecord | null> {
      const rows = await db.query<NamedRow>(
        `${namedSelect('genre')} WHERE t.id = $1${lock ? ' FOR UPDATE' : ''}`,
        [id],
      );
      return rows[0] ? named<GenreRecord>(rows[0]) : null;
    },

    async personById(id: string, lock = false): Promise<PersonRecord | null> {
      const rows = await db.query<NamedRow>(
        `${namedSelect('person')} WHERE t.id = $1${lock ? ' FOR UPDATE' : ''}`,
        [id],
      );
      return rows[0] ? named<PersonRecord>(rows[0]) : null;
    },

    async genreNameTaken(name: string, exceptId?: string): Promise<boolean> {
      const rows = await db.query(
        'SELECT 1 FROM content.genre WHERE lower(name) = lower($1) AND ($2::uuid IS NULL OR id <> $2::uuid)',
        [name, exceptId ?? null],
      );
      return rows.length > 0;
    },

    async insertGenre(g: { id: string; name: string; description: string | null }) {
      await db.execute('INSERT INTO content.genre (id, name, description) VALUES ($1, $2, $3)', [
        g.id,
        g.name,
        g.description,
      ]);
    },

    async updateGenreRow(g: { id: string; name: string; description: string | null }) {
      await db.execute(
        'UPDATE content.genre SET name = $2, description = $3, version = version + 1, modified = now() WHERE id = $1',
        [g.id, g.name, g.description],
      );
    },

    async insertPerson(p: { id: string; full_name: string }) {
      await db.execute('INSERT INTO content.person (id, full_name) VALUES ($1, $2)', [p.id, p.full_name]);
    },

    async updatePersonRow(p: { id: string; full_name: string }) {
      await db.execute(
        'UPDATE content.person SET full_name = $2, version = version + 1, modified = now() WHERE id = $1',
        [p.id, p.full_name],
      );
    },

    /** Films linked to a genre or person. */
    async linkedFilmIds(kind: 'genre' | 'person', id: string): Promise<string[]> {
      const n = NAMED[kind];
      const rows = await db.query<{ id: string }>(
        `SELECT DISTINCT film_work_id AS id FROM ${n.link} WHERE ${n.fk} = $1`,
        [id],
      );
      return rows.map((r) => r.id);
    },

    async deleteNamed(kind: 'genre' | 'person', id: string): Promise<void> {
      await db.execute(`DELETE FROM ${NAMED[kind].table} WHERE id = $1`, [id]);
    },

    async listNamed<T>(
      kind: 'genre' | 'person',
      q: string | undefined,
      orderBy: string,
      limit: number,
      offset: number,
    ): Promise<{ items: T[]; total: number }> {
      const nameCol = kind === 'genre' ? 'name' : 'full_name';
      const params: unknown[] = [limit, offset];
      let where = '';
      if (q) {
        params.push(`%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
        where = `WHERE t.${nameCol} ILIKE $3`;
      }
      const rows = await db.query<NamedRow & { total: number }>(
        `SELECT * FROM (${namedSelect(kind)} ${where}) t2 ORDER BY ${orderBy} LIMIT $1 OFFSET $2`,
        params,
      );
      const [count] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${NAMED[kind].table} t ${where.replace('$3', '$1')}`,
        q ? [params[2]] : [],
      );
      return { items: rows.map((r) => named<T>(r)), total: count?.n ?? 0 };
    },

    async logChanges(changes: readonly ChangeInput[]): Promise<void> {
      if (changes.length === 0) return;
      await db.execute(
        `INSERT INTO content.change_log (entity, entity_id, action, actor_id, actor_login, before, after, diff)
         SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::jsonb[], $7::jsonb[], $8::jsonb[])`,
        [
          changes.map((c) => c.entity),
          changes.map((c) => c.entity_id),
          changes.map((c) => c.action),
          changes.map((c) => c.actor_id),
          changes.map((c) => c.actor_login),
          changes.map((c) => (c.before === null ? null : JSON.stringify(c.before))),
          changes.map((c) => (c.after === null ? null : JSON.stringify(c.after))),
          changes.map((c) => JSON.stringify(c.diff)),
        ],
      );
    },

    async changes(
      filter: { entity?: string | undefined; id?: string | undefined; actor_id?: string | undefined },
      limit: number,
      offset: number,
    ): Promise<{ items: ChangeLogEntry[]; total: number }> {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.entity) where.push(`entity = $${params.push(filter.entity)}`);
      if (filter.id) where.push(`entity_id = $${params.push(filter.id)}::uuid`);
      if (filter.actor_id) where.push(`actor_id = $${params.push(filter.actor_id)}::uuid`);
      const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const rows = await db.query<ChangeRow>(
        `SELECT id, entity, entity_id, action, actor_id, actor_login, at, diff FROM content.change_log ${w}
         ORDER BY at DESC, id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, limit, offset],
      );
      const [count] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM content.change_log ${w}`,
        params,
      );
      return { items: rows.map(toChange), total: count?.n ?? 0 };
    },

    /** The facts other modules project of each of `ids` that exists (see FilmFacts). */
    async filmFactsOf(ids: readonly string[]): Promise<FilmFacts[]> {
      if (ids.length === 0) return [];
      return db.query<FilmFacts>(`${FACTS_SELECT} WHERE f.id = ANY($1::uuid[]) ORDER BY f.id`, [ids]);
    },

    /** Up to `limit` films' facts with an id after `after`, in id order (one index range scan). */
    async filmFactsPage(after: string | null, limit: number): Promise<FilmFacts[]> {
      return db.query<FilmFacts>(
        `${FACTS_SELECT} WHERE ($1::uuid IS NULL OR f.id > $1::uuid) ORDER BY f.id LIMIT $2`,
        [after, limit],
      );
    },

    /**
     * A fingerprint of every film's facts: each change bumps a film's version and `modified`, a
     * delete changes the count. Equal marks mean nothing a projection keeps has changed.
     */
    async filmFactsMark(): Promise<string> {
      const [row] = await db.query<{ mark: string }>(
        `SELECT count(*)::text || ':' || coalesce(sum(version), 0)::text || ':' || coalesce(max(modified)::text, '') AS mark
         FROM content.film_work`,
      );
      return row?.mark ?? '';
    },

    /** Whether the catalogue holds any film. */
    async anyFilm(): Promise<boolean> {
      const [row] = await db.query<{ any: boolean }>(
        'SELECT EXISTS (SELECT 1 FROM content.film_work) AS any',
      );
      return row?.any === true;
    },
  };
}

export type ContentRepository = ReturnType<typeof createContentRepository>;
