/**
 * What the admin module needs from the catalog module's content service. The catalog module's
 * public service (`ctx.services.require('catalog')`) satisfies this structurally; the admin module
 * never reads the content tables itself, so every edit gets the content service's rules,
 * optimistic concurrency, audit log and outbox events.
 */
export type AccessLevel = 'FREE' | 'PAID' | 'ARCHIVED';
export type FilmType = 'movie' | 'tv_show';
export type PersonRole = 'actor' | 'director' | 'writer';
export type AuditEntity = 'film' | 'genre' | 'person';

export interface Actor {
  readonly id: string | null;
  readonly login: string | null;
}

export interface FilmInput {
  title: string;
  description?: string | null;
  creation_date?: string | null;
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
  q?: string;
  genre_ids?: string[];
  type?: FilmType;
  access?: AccessLevel[];
  year_from?: number;
  year_to?: number;
  rating_min?: number;
  rating_max?: number;
  sort?: string;
  page_number: number;
  page_size: number;
}

export interface NamedListQuery {
  q?: string;
  sort?: string;
  page_number: number;
  page_size: number;
}

export interface ChangeLogEntry {
  id: number;
  entity: string;
  entity_id: string;
  action: 'create' | 'update' | 'delete';
  actor_id: string | null;
  actor_login: string | null;
  at: string;
  diff: Record<string, { before: unknown; after: unknown }>;
}

export interface AuditQuery {
  entity?: AuditEntity;
  id?: string;
  actor_id?: string;
  page_number: number;
  page_size: number;
}

export interface ContentService {
  createFilm(input: FilmInput, actor: Actor, id?: string): Promise<FilmRecord>;
  updateFilm(
    id: string,
    patch: Partial<FilmInput>,
    expectedVersion: number,
    actor: Actor,
  ): Promise<FilmRecord>;
  deleteFilm(id: string, actor: Actor, expectedVersion?: number): Promise<unknown>;
  getFilm(id: string): Promise<FilmRecord>;
  listFilms(query: FilmListQuery): Promise<Page<FilmRecord>>;
  bulkSetAccess(ids: string[], access: AccessLevel, actor: Actor): Promise<unknown>;
  bulkDeleteFilms(ids: string[], actor: Actor): Promise<unknown>;

  createGenre(input: GenreInput, actor: Actor, id?: string): Promise<GenreRecord>;
  updateGenre(
    id: string,
    patch: Partial<GenreInput>,
    expectedVersion: number,
    actor: Actor,
  ): Promise<GenreRecord>;
  deleteGenre(id: string, actor: Actor, expectedVersion?: number): Promise<unknown>;
  getGenre(id: string): Promise<GenreRecord>;
  listGenres(query: NamedListQuery): Promise<Page<GenreRecord>>;

  createPerson(input: PersonInput, actor: Actor, id?: string): Promise<PersonRecord>;
  updatePerson(
    id: string,
    patch: Partial<PersonInput>,
    expectedVersion: number,
    actor: Actor,
  ): Promise<PersonRecord>;
  deletePerson(id: string, actor: Actor, expectedVersion?: number): Promise<unknown>;
  getPerson(id: string): Promise<PersonRecord>;
  listPersons(query: NamedListQuery): Promise<Page<PersonRecord>>;

  history(entity: AuditEntity, id: string): Promise<ChangeLogEntry[]>;
  audit(query: AuditQuery): Promise<Page<ChangeLogEntry>>;
}

/** The part of the catalog module's public service the admin module calls. */
export interface CatalogContent {
  readonly content: ContentService;
}
