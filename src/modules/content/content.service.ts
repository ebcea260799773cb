/**
 * The content service: every edit of the catalogue (films, genres, persons) goes through here.
 * Each change is one transaction: rows, version bump, change-log entry and outbox events.
 */
import { randomUUID } from 'node:crypto';
import type { TSchema } from '@sinclair/typebox';
import type { Sql, SqlExecutor } from '../../ports/sql.js';
import { isSqlError, SqlState } from '../../ports/sql.js';
import { platformErrors } from '../../platform/errors.js';
import { contentErrors } from './content.errors.js';
import { event, type NewEvent } from '../../platform/events.js';
import { emit } from '../../platform/outbox.js';
import { createContentRepository, type ChangeInput } from './content.repository.js';
import type { SortColumn } from './content.sorts.js';
import {
  AuditQuerySchema,
  BulkIdsSchema,
  checkDate,
  FilmInputSchema,
  FilmListQuerySchema,
  FilmPatchSchema,
  GenreInputSchema,
  GenrePatchSchema,
  GenreListQuerySchema,
  PersonListQuerySchema,
  PersonInputSchema,
  PersonPatchSchema,
  Uuid,
  AccessLevelSchema,
  validate,
} from './content.schemas.js';
import type {
  AccessLevel,
  Actor,
  ContentEntity,
  ContentService,
  FilmInput,
  FilmRecord,
  GenreInput,
  GenreRecord,
  NamedListQuery,
  Page,
  PersonInput,
  PersonRecord,
} from './content.types.js';
import type { FilmSnapshot } from './content.events.js';

export type * from './content.types.js';

export interface ContentServiceDeps {
  sql: Sql;
  /** Id factory (injected for deterministic tests). */
  newId?: () => string;
}

type Diff = Record<string, { before: unknown; after: unknown }>;

/** Fields that differ between two states (compared as JSON). */
export function diffOf(before: Record<string, unknown> | null, after: Record<string, unknown> | null): Diff {
  const diff: Diff = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const key of keys) {
    const b = before?.[key] ?? null;
    const a = after?.[key] ?? null;
    if (JSON.stringify(b) !== JSON.stringify(a)) diff[key] = { before: b, after: a };
  }
  return diff;
}

/** The change-log entry of `actor`'s change to one film, genre or person (its diff by default). */
function changeOf(
  entity: ContentEntity,
  action: ChangeInput['action'],
  id: string,
  actor: Actor,
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  diff: Diff = diffOf(before, after),
): ChangeInput {
  return { entity, entity_id: id, action, actor_id: actor.id, actor_login: actor.login, before, after, diff };
}

/** The editable state of a film, as the change log records it. */
function filmState(f: FilmRecord): Record<string, unknown> {
  return {
    title: f.title,
    description: f.description,
    creation_date: f.creation_date,
    rating: f.rating,
    type: f.type,
    access: f.access,
    genres: f.genres,
    persons: f.persons,
  };
}

export function snapshotOf(f: FilmRecord): FilmSnapshot {
  return {
    id: f.id,
    title: f.title,
    description: f.description,
    creation_date: f.creation_date,
    rating: f.rating,
    type: f.type,
    access: f.access,
    genre_ids: f.genres.map((g) => g.id),
    person_ids: [...new Set(f.persons.map((p) => p.id))],
    version: f.version,
    modified: f.modified,
  };
}

/** The SQL each sort column orders by; the columns themselves are SORT_COLUMNS. */
const FILM_SORTS: Record<SortColumn<'films'>, string> = {
  title: 'f.title',
  rating: 'f.rating',
  creation_date: 'f.creation_date',
  created: 'f.created',
  modified: 'f.modified',
  access: 'f.access',
  type: 'f.type',
};
const NAMED_SORTS: {
  genre: Record<SortColumn<'genres'>, string>;
  person: Record<SortColumn<'persons'>, string>;
} = {
  genre: { name: 'lower(name)', created: 'created', modified: 'modified', film_count: 'film_count' },
  person: {
    full_name: 'lower(full_name)',
    created: 'created',
    modified: 'modified',
    film_count: 'film_count',
  },
};

function orderBy(sort: string | undefined, columns: Record<string, string>, fallback: string, idCol: string) {
  const s = sort ?? fallback;
  const desc = s.startsWith('-');
  const col = columns[desc ? s.slice(1) : s];
  if (!col)
    throw fieldError('/sort', `must be one of ${Object.keys(columns).join(', ')} (prefix - for descending)`);
  return `${col} ${desc ? 'DESC' : 'ASC'} NULLS LAST, ${idCol}`;
}

function versionCheck(entity: string, current: number, expected: number | undefined): void {
  if (expected !== undefined && expected !== current)
    throw contentErrors.VERSION_CONFLICT({
      detail: `The ${entity} was changed by someone else (version ${current}, yours ${expected}); reload and retry.`,
    });
}

function fieldError(field: string, message: string) {
  return platformErrors.VALIDATION_FAILED({ errors: [{ field, message }] });
}

export function createContentService(deps: ContentServiceDeps): ContentService {
  const { sql } = deps;
  const newId = deps.newId ?? randomUUID;
  /** The content repository bound to `db` (the pool, or a transaction). */
  const repo = (db: SqlExecutor) => createContentRepository(db);

  async function checkRefs(tx: SqlExecutor, input: Partial<FilmInput>): Promise<void> {
    const genres = await repo(tx).missingIds('genre', [...new Set(input.genre_ids ?? [])]);
    if (genres.length > 0) throw fieldError('/genre_ids', `unknown genre id(s): ${genres.join(', ')}`);
    const persons = await repo(tx).missingIds('person', [
      ...new Set((input.persons ?? []).map((p) => p.person_id)),
    ]);
    if (persons.length > 0) throw fieldError('/persons', `unknown person id(s): ${persons.join(', ')}`);
  }

  function dedupePersons(persons: FilmInput['persons']) {
    const seen = new Set<string>();
    return (persons ?? []).filter((p) => {
      const k = `${p.person_id.toLowerCase()}:${p.role}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }

  async function logAndEmit(tx: SqlExecutor, changes: ChangeInput[], events: NewEvent[]): Promise<void> {
    await repo(tx).logChanges(changes);
    await emit(tx, events);
  }

  /** Maps a unique violation on the genre name to 409. */
  async function guardGenreName<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (isSqlError(error, SqlState.uniqueViolation) && error.constraint === 'genre_name_key')
        throw contentErrors.GENRE_NAME_TAKEN();
      throw error;
    }
  }

  function checkId(id: string, field = '/id') {
    validate(Uuid, id, field === '/id' ? '' : field);
  }

  /**
   * Create, update, delete, read and list of a named entity (genre, person): the same transaction,
   * change log and events for each; the spec says what differs.
   */
  function namedEntity<R extends { id: string; version: number }, I extends object>(spec: {
    kind: 'genre' | 'person';
    input: TSchema;
    patch: TSchema;
    list: TSchema;
    sorts: Record<string, string>;
    defaultSort: string;
    byId: (db: SqlExecutor, id: string, lock?: boolean) => Promise<R | null>;
    insert: (db: SqlExecutor, row: { id: string } & Record<string, unknown>) => Promise<unknown>;
    update: (db: SqlExecutor, row: { id: string } & Record<string, unknown>) => Promise<unknown>;
    /** The fields the change log records, from a stored row. */
    state: (rec: R) => Record<string, unknown>;
    upserted: (rec: R) => NewEvent;
    deleted: (id: string, filmIds: string[]) => NewEvent;
    /** The stored fields after `data`, over `current` when it exists. */
    next: (data: Partial<I>, current?: R) => Record<string, unknown>;
    exists: () => Error;
    notFound: () => Error;
    /** Refuses a value another row already holds (checked before writing). */
    unique?: (tx: SqlExecutor, data: Partial<I>, exceptId?: string) => Promise<void>;
    /** Runs the write, mapping the database's own uniqueness errors. */
    guard?: <T>(fn: () => Promise<T>) => Promise<T>;
  }) {
    const guard = spec.guard ?? (<T>(fn: () => Promise<T>) => fn());
    return {
      create: (input: I, actor: Actor, id?: string): Promise<R> => {
        const data = validate(spec.input, input) as I;
        const entityId = (id ?? newId()).toLowerCase();
        checkId(entityId);
        return guard(() =>
          sql.transaction(async (tx) => {
            await spec.unique?.(tx, data);
            if (await spec.byId(tx, entityId)) throw spec.exists();
            await spec.insert(tx, { id: entityId, ...spec.next(data) });
            const rec = (await spec.byId(tx, entityId))!;
            const after = spec.state(rec);
            await logAndEmit(
              tx,
              [changeOf(spec.kind, 'create', entityId, actor, null, after)],
              [spec.upserted(rec)],
            );
            return rec;
          }),
        );
      },
      update: (
        id: string,
        patch: Partial<I>,
        expectedVersion: number | undefined,
        actor: Actor,
      ): Promise<R> => {
        checkId(id);
        const data = validate(spec.patch, patch) as Partial<I>;
        return guard(() =>
          sql.transaction(async (tx) => {
            const current = await spec.byId(tx, id, true);
            if (!current) throw spec.notFound();
            versionCheck(spec.kind, current.version, expectedVersion);
            const next = spec.next(data, current);
            const diff = diffOf(spec.state(current), next);
            if (Object.keys(diff).length === 0) return current;
            await spec.unique?.(tx, data, id);
            await spec.update(tx, { id, ...next });
            const rec = (await spec.byId(tx, id))!;
            await logAndEmit(
              tx,
              [changeOf(spec.kind, 'update', id, actor, spec.state(current), spec.state(rec), diff)],
              [spec.upserted(rec)],
            );
            return rec;
          }),
        );
      },
      remove: async (id: string, actor: Actor, expectedVersion?: number): Promise<void> => {
        checkId(id);
        await sql.transaction(async (tx) => {
          const current = await spec.byId(tx, id, true);
          if (!current) throw spec.notFound();
          versionCheck(spec.kind, current.version, expectedVersion);
          const filmIds = await repo(tx).linkedFilmIds(spec.kind, id);
          await repo(tx).deleteNamed(spec.kind, id);
          const before = spec.state(current);
          await logAndEmit(
            tx,
            [changeOf(spec.kind, 'delete', id, actor, before, null)],
            [spec.deleted(id, filmIds)],
          );
        });
      },
      get: async (id: string): Promise<R | null> => {
        if (!new RegExp(Uuid.pattern!).test(id)) return null;
        return spec.byId(sql, id);
      },
      list: (query: NamedListQuery): Promise<Page<R>> => {
        const q = validate(spec.list, query) as NamedListQuery & { page_number: number; page_size: number };
        return repo(sql).listNamed<R>(
          spec.kind,
          q.q,
          orderBy(q.sort, spec.sorts, spec.defaultSort, 'id'),
          q.page_size,
          (q.page_number - 1) * q.page_size,
        );
      },
    };
  }

  const genres = namedEntity<GenreRecord, GenreInput>({
    kind: 'genre',
    input: GenreInputSchema,
    patch: GenrePatchSchema,
    list: GenreListQuerySchema,
    sorts: NAMED_SORTS.genre,
    defaultSort: 'name',
    byId: (db, id, lock) => repo(db).genreById(id, lock),
    insert: (db, row) =>
      repo(db).insertGenre(row as { id: string; name: string; description: string | null }),
    update: (db, row) =>
      repo(db).updateGenreRow(row as { id: string; name: string; description: string | null }),
    state: (rec) => ({ name: rec.name, description: rec.description }),
    upserted: (rec) =>
      event('content.genre.upserted', rec.id, {
        genre: { id: rec.id, name: rec.name, description: rec.description },
      }),
    deleted: (id, filmIds) => event('content.genre.deleted', id, { genreId: id, filmIds }),
    next: (data, current) => ({
      name: data.name ?? current?.name,
      description: data.description === undefined ? (current?.description ?? null) : data.description,
    }),
    exists: () => contentErrors.GENRE_EXISTS(),
    notFound: () => contentErrors.GENRE_NOT_FOUND(),
    unique: async (tx, data, exceptId) => {
      if (data.name !== undefined && (await repo(tx).genreNameTaken(data.name, exceptId)))
        throw contentErrors.GENRE_NAME_TAKEN();
    },
    guard: guardGenreName,
  });

  const persons = namedEntity<PersonRecord, PersonInput>({
    kind: 'person',
    input: PersonInputSchema,
    patch: PersonPatchSchema,
    list: PersonListQuerySchema,
    sorts: NAMED_SORTS.person,
    defaultSort: 'full_name',
    byId: (db, id, lock) => repo(db).personById(id, lock),
    insert: (db, row) => repo(db).insertPerson(row as { id: string; full_name: string }),
    update: (db, row) => repo(db).updatePersonRow(row as { id: string; full_name: string }),
    state: (rec) => ({ full_name: rec.full_name }),
    upserted: (rec) =>
      event('content.person.upserted', rec.id, { person: { id: rec.id, full_name: rec.full_name } }),
    deleted: (id, filmIds) => event('content.person.deleted', id, { personId: id, filmIds }),
    next: (data, current) => ({ full_name: data.full_name ?? current?.full_name }),
    exists: () => contentErrors.PERSON_EXISTS(),
    notFound: () => contentErrors.PERSON_NOT_FOUND(),
  });

  const service: ContentService = {
    async createFilm(input, actor, id) {
      const data = validate(FilmInputSchema, input);
      checkDate(data.creation_date, '/creation_date');
      const filmId = (id ?? newId()).toLowerCase();
      checkId(filmId);
      return sql.transaction(async (tx) => {
        await checkRefs(tx, data);
        if (await repo(tx).filmById(filmId)) throw contentErrors.FILM_EXISTS();
        await repo(tx).insertFilm({
          id: filmId,
          title: data.title,
          description: data.description ?? null,
          creation_date: data.creation_date ?? null,
          rating: data.rating ?? null,
          type: data.type ?? 'movie',
          access: data.access ?? 'FREE',
        });
        await repo(tx).replaceFilmGenres(filmId, [...new Set(data.genre_ids ?? [])]);
        await repo(tx).replaceFilmPersons(filmId, dedupePersons(data.persons));
        const film = (await repo(tx).filmById(filmId))!;
        const after = filmState(film);
        await logAndEmit(
          tx,
          [changeOf('film', 'create', filmId, actor, null, after)],
          [event('content.film.upserted', filmId, { film: snapshotOf(film), previous: null })],
        );
        return film;
      });
    },

    async updateFilm(id, patch, expectedVersion, actor) {
      checkId(id);
      const data = validate(FilmPatchSchema, patch);
      checkDate(data.creation_date, '/creation_date');
      return sql
        .transaction(async (tx) => {
          const current = await repo(tx).filmById(id, true);
          if (!current) throw contentErrors.FILM_NOT_FOUND();
          versionCheck('film', current.version, expectedVersion);
          await checkRefs(tx, data);
          const next = {
            id: current.id,
            title: data.title ?? current.title,
            description: data.description === undefined ? current.description : data.description,
            creation_date: data.creation_date === undefined ? current.creation_date : data.creation_date,
            rating: data.rating === undefined ? current.rating : data.rating,
            type: data.type ?? current.type,
            access: data.access ?? current.access,
          };
          await repo(tx).updateFilmRow(next);
          if (data.genre_ids) await repo(tx).replaceFilmGenres(id, [...new Set(data.genre_ids)]);
          if (data.persons) await repo(tx).replaceFilmPersons(id, dedupePersons(data.persons));
          const film = (await repo(tx).filmById(id))!;
          const diff = diffOf(filmState(current), filmState(film));
          if (Object.keys(diff).length === 0) {
            // Nothing changed: undo the version bump by rolling back, report the current state.
            throw new Unchanged(current);
          }
          await logAndEmit(
            tx,
            [changeOf('film', 'update', id, actor, filmState(current), filmState(film), diff)],
            [
              event('content.film.upserted', id, {
                film: snapshotOf(film),
                previous: { access: current.access, title: current.title },
              }),
            ],
          );
          return film;
        })
        .catch((error: unknown) => {
          if (error instanceof Unchanged) return error.film;
          throw error;
        });
    },

    async deleteFilm(id, actor, expectedVersion) {
      checkId(id);
      await sql.transaction(async (tx) => {
        const current = await repo(tx).filmById(id, true);
        if (!current) throw contentErrors.FILM_NOT_FOUND();
        versionCheck('film', current.version, expectedVersion);
        await repo(tx).deleteFilms([id]);
        const before = filmState(current);
        await logAndEmit(
          tx,
          [changeOf('film', 'delete', id, actor, before, null)],
          [event('content.film.deleted', id, { filmId: id })],
        );
      });
    },

    async getFilm(id) {
      if (!new RegExp(Uuid.pattern!).test(id)) return null;
      return repo(sql).filmById(id);
    },

    async listFilms(query) {
      const q = validate(FilmListQuerySchema, query);
      const order = orderBy(q.sort, FILM_SORTS, '-modified', 'f.id');
      const { ids, total } = await repo(sql).searchFilmIds(
        q,
        order,
        q.page_size,
        (q.page_number - 1) * q.page_size,
      );
      return { items: await repo(sql).filmsByIds(ids), total };
    },

    async bulkSetAccess(ids, access, actor) {
      const list = [...new Set(validate(BulkIdsSchema, ids, '/ids').map((i) => i.toLowerCase()))];
      validate(AccessLevelSchema, access, '/access');
      return sql.transaction(async (tx) => {
        const changed = await repo(tx).setAccess(list, access);
        const ids = changed.map((c) => c.id);
        const films = await repo(tx).filmFactsOf(ids);
        await logAndEmit(
          tx,
          // setAccess returns only the films whose level it changed: each diff is their access.
          changed.map((c) => changeOf('film', 'update', c.id, actor, { access: c.before }, { access })),
          changed.length > 0 ? [event('content.films.bulk_changed', 'bulk', { filmIds: ids, films })] : [],
        );
        return { updated: changed.length };
      });
    },

    async bulkDeleteFilms(ids, actor) {
      const list = [...new Set(validate(BulkIdsSchema, ids, '/ids').map((i) => i.toLowerCase()))];
      return sql.transaction(async (tx) => {
        const current = await repo(tx).filmsByIds(list, true);
        const deleted = await repo(tx).deleteFilms(current.map((f) => f.id));
        await logAndEmit(
          tx,
          current.map((f) => changeOf('film', 'delete', f.id, actor, filmState(f), null)),
          deleted.map((id) => event('content.film.deleted', id, { filmId: id })),
        );
        return { deleted: deleted.length };
      });
    },

    createGenre: genres.create,
    updateGenre: genres.update,
    deleteGenre: genres.remove,
    getGenre: genres.get,
    listGenres: genres.list,

    createPerson: persons.create,
    updatePerson: persons.update,
    deletePerson: persons.remove,
    getPerson: persons.get,
    listPersons: persons.list,

    async history(entity, id) {
      checkId(id);
      validate(AuditQuerySchema.properties.entity, entity, '/entity');
      return (await repo(sql).changes({ entity, id }, 1000, 0)).items;
    },

    async audit(query) {
      const q = validate(AuditQuerySchema, query);
      return repo(sql).changes(q, q.page_size, (q.page_number - 1) * q.page_size);
    },
  };
  return service;
}

/** Thrown inside a transaction to roll back an update that changed nothing. */
class Unchanged extends Error {
  constructor(readonly film: FilmRecord) {
    super('unchanged');
  }
}

export type { AccessLevel };
