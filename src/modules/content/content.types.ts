/**
 * The content service's public contract: what the admin API, imports and tests code against.
 * Records are plain JSON-friendly objects; timestamps are ISO-8601 strings.
 */
import type { AccessLevel, FilmType, PersonRole } from './content.events.js';

export type { AccessLevel, FilmType, PersonRole };

/** Who makes a change (recorded in the change log); `null`s for system changes. */
export interface Actor {
  id: string | null;
  login: string | null;
}

export interface FilmInput {
  title: string;
  description?: string | null;
  /** 'YYYY-MM-DD'. */
  creation_date?: string | null;
  /** 0..10. */
  rating?: number | null;
  type?: FilmType;
  access?: AccessLevel;
  genre_ids?: string[];
  persons?: { person_id: string; role: PersonRole }[];
}

export interface FilmRecord {
  id: string;
  title: string;
  description: string | null;
  creation_date: string | null;
  rating: number | null;
  type: FilmType;
  access: AccessLevel;
  version: number;
  created: string;
  modified: string;
  genres: { id: string; name: string }[];
  persons: { id: string; full_name: string; role: PersonRole }[];
}

export interface GenreInput {
  name: string;
  description?: string | null;
}

export interface GenreRecord {
  id: string;
  name: string;
  description: string | null;
  version: number;
  created: string;
  modified: string;
  film_count: number;
}

export interface PersonInput {
  full_name: string;
}

export interface PersonRecord {
  id: string;
  full_name: string;
  version: number;
  created: string;
  modified: string;
  film_count: number;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface FilmListQuery {
  /** Text search in title and description (case-insensitive substring). */
  q?: string;
  /** Films in any of these genres. */
  genre_ids?: string[];
  type?: FilmType;
  access?: AccessLevel[];
  year_from?: number;
  year_to?: number;
  rating_min?: number;
  rating_max?: number;
  /**
   * A column, `-` for descending: title, rating, creation_date, created, modified, access, type.
   * Default `-modified`. Nulls always sort last.
   */
  sort?: string;
  page_number: number;
  page_size: number;
}

export interface NamedListQuery {
  q?: string;
  /** Genres: name, created, modified, film_count; persons: full_name, created, modified, film_count. */
  sort?: string;
  page_number: number;
  page_size: number;
}

export type ContentEntity = 'film' | 'genre' | 'person';

export interface ChangeLogEntry {
  id: number;
  entity: ContentEntity;
  entity_id: string;
  action: 'create' | 'update' | 'delete';
  actor_id: string | null;
  actor_login: string | null;
  at: string;
  /** Changed fields only. */
  diff: Record<string, { before: unknown; after: unknown }>;
}

export interface AuditQuery {
  entity?: string;
  id?: string;
  actor_id?: string;
  page_number: number;
  page_size: number;
}

/**
 * Creates, changes and deletes films, genres and persons. Every change runs in one transaction
 * that writes the rows, bumps the version, records a change-log entry (who, when, before/after of
 * the changed fields) and emits outbox events for the read model and other modules.
 *
 * Errors: 400 VALIDATION_FAILED (field errors; unknown genre/person ids), 404
 * FILM_NOT_FOUND / GENRE_NOT_FOUND / PERSON_NOT_FOUND, 409 VERSION_CONFLICT (stale
 * `expectedVersion`), 409 GENRE_NAME_TAKEN.
 */
export interface ContentService {
  createFilm(input: FilmInput, actor: Actor, id?: string): Promise<FilmRecord>;
  updateFilm(
    id: string,
    patch: Partial<FilmInput>,
    expectedVersion: number | undefined,
    actor: Actor,
  ): Promise<FilmRecord>;
  deleteFilm(id: string, actor: Actor, expectedVersion?: number): Promise<void>;
  getFilm(id: string): Promise<FilmRecord | null>;
  listFilms(query: FilmListQuery): Promise<Page<FilmRecord>>;
  bulkSetAccess(ids: string[], access: AccessLevel, actor: Actor): Promise<{ updated: number }>;
  bulkDeleteFilms(ids: string[], actor: Actor): Promise<{ deleted: number }>;

  createGenre(input: GenreInput, actor: Actor, id?: string): Promise<GenreRecord>;
  updateGenre(
    id: string,
    patch: Partial<GenreInput>,
    expectedVersion: number | undefined,
    actor: Actor,
  ): Promise<GenreRecord>;
  deleteGenre(id: string, actor: Actor, expectedVersion?: number): Promise<void>;
  getGenre(id: string): Promise<GenreRecord | null>;
  listGenres(query: NamedListQuery): Promise<Page<GenreRecord>>;

  createPerson(input: PersonInput, actor: Actor, id?: string): Promise<PersonRecord>;
  updatePerson(
    id: string,
    patch: Partial<PersonInput>,
    expectedVersion: number | undefined,
    actor: Actor,
  ): Promise<PersonRecord>;
  deletePerson(id: string, actor: Actor, expectedVersion?: number): Promise<void>;
  getPerson(id: string): Promise<PersonRecord | null>;
  listPersons(query: NamedListQuery): Promise<Page<PersonRecord>>;

  /** Every change of one object, newest first. */
  history(entity: ContentEntity, id: string): Promise<ChangeLogEntry[]>;
  /** The change log, newest first, filtered. */
  audit(query: AuditQuery): Promise<Page<ChangeLogEntry>>;
}
