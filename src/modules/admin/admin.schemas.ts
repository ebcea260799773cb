/**
 * Request and response schemas of the admin API. Types for handlers come from these objects,
 * and so does the OpenAPI document.
 */
import {
  Type,
  type NumberOptions,
  type Static,
  type StringOptions,
  type TOptional,
  type TProperties,
} from '@sinclair/typebox';
import { pagingFields, sortSchema } from '../../platform/http/paging.js';
import { contentSchemas, SORT_COLUMNS } from '../content/index.js';

const Uuid = Type.String({ format: 'uuid' });
/**
 * `type: [T, "null"]` rather than `anyOf`: with query/body coercion on, AJV would coerce a null
 * into the first branch of an anyOf (null → 0 for a number), silently changing the value.
 */
const NullableString = (options: StringOptions = {}) =>
  Type.Unsafe<string | null>({ ...options, type: ['string', 'null'] });
const NullableNumber = (options: NumberOptions = {}) =>
  Type.Unsafe<number | null>({ ...options, type: ['number', 'null'] });

export const Access = Type.Union([Type.Literal('FREE'), Type.Literal('PAID'), Type.Literal('ARCHIVED')]);
export const FilmTypeSchema = Type.Union([Type.Literal('movie'), Type.Literal('tv_show')]);
export const Role = Type.Union([Type.Literal('actor'), Type.Literal('director'), Type.Literal('writer')]);
const Timestamp = Type.String({ format: 'date-time' });
const Version = Type.Integer({ minimum: 0, description: 'The version the edit is based on (or If-Match).' });

/**
 * The bodies that create and edit one kind, from its fields: creating may name the id, editing
 * names the version it is based on and may leave out any field.
 */
function editBodies<F extends TProperties>(fields: F) {
  const optional = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Type.Optional(v)])) as {
    [K in keyof F]: TOptional<F[K]>;
  };
  return [
    Type.Object({ id: Type.Optional(Uuid), ...fields }, { additionalProperties: false }),
    Type.Object({ version: Type.Optional(Version), ...optional }, { additionalProperties: false }),
  ] as const;
}

export const IdParams = Type.Object({ id: Uuid });
export type IdParams = Static<typeof IdParams>;

const page = pagingFields({ default: 25 });
const q = Type.String({ maxLength: 200, description: 'Text search.' });

export const FilmListQuery = Type.Object(
  {
    q: Type.Optional(q),
    genre: Type.Optional(Type.Array(Uuid, { maxItems: 50, description: 'Genre ids (any of).' })),
    ...contentSchemas.filmFilterFields,
    ...page,
  },
  { additionalProperties: false },
);
export type FilmListQuery = Static<typeof FilmListQuery>;

export const GenreListQuery = Type.Object(
  { q: Type.Optional(q), sort: Type.Optional(sortSchema(SORT_COLUMNS.genres)), ...page },
  { additionalProperties: false },
);
export type GenreListQuery = Static<typeof GenreListQuery>;
export const PersonListQuery = Type.Object(
  { q: Type.Optional(q), sort: Type.Optional(sortSchema(SORT_COLUMNS.persons)), ...page },
  { additionalProperties: false },
);
export type PersonListQuery = Static<typeof PersonListQuery>;

const title = Type.String({ minLength: 1, maxLength: 500 });
const description = NullableString({ maxLength: 20_000 });
const creationDate = NullableString({ format: 'date' });
const rating = NullableNumber({ minimum: 0, maximum: 10 });
const filmPersons = Type.Array(
  Type.Object({ person_id: Uuid, role: Role }, { additionalProperties: false }),
  {
    maxItems: 500,
  },
);
const genreIds = Type.Array(Uuid, { maxItems: 100, uniqueItems: true });

export const [FilmCreate, FilmPatch] = editBodies({
  title,
  description: Type.Optional(description),
  creation_date: Type.Optional(creationDate),
  rating: Type.Optional(rating),
  type: Type.Optional(FilmTypeSchema),
  access: Type.Optional(Access),
  genre_ids: Type.Optional(genreIds),
  persons: Type.Optional(filmPersons),
});
export type FilmCreate = Static<typeof FilmCreate>;
export type FilmPatch = Static<typeof FilmPatch>;

export const Film = Type.Object({
  id: Uuid,
  title: Type.String(),
  description: NullableString(),
  creation_date: NullableString(),
  rating: NullableNumber(),
  type: FilmTypeSchema,
  access: Access,
  version: Type.Integer(),
  created: Timestamp,
  modified: Timestamp,
  genres: Type.Array(Type.Object({ id: Uuid, name: Type.String() })),
  persons: Type.Array(Type.Object({ id: Uuid, full_name: Type.String(), role: Role })),
});

export const [GenreCreate, GenrePatch] = editBodies({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(description),
});
export type GenreCreate = Static<typeof GenreCreate>;
export type GenrePatch = Static<typeof GenrePatch>;
export const Genre = Type.Object({
  id: Uuid,
  name: Type.String(),
  description: NullableString(),
  version: Type.Integer(),
  created: Timestamp,
  modified: Timestamp,
  film_count: Type.Integer(),
});

export const [PersonCreate, PersonPatch] = editBodies({
  full_name: Type.String({ minLength: 1, maxLength: 300 }),
});
export type PersonCreate = Static<typeof PersonCreate>;
export type PersonPatch = Static<typeof PersonPatch>;
export const Person = Type.Object({
  id: Uuid,
  full_name: Type.String(),
  version: Type.Integer(),
  created: Timestamp,
  modified: Timestamp,
  film_count: Type.Integer(),
});

export const DeleteQuery = Type.Object({ version: Type.Optional(Version) }, { additionalProperties: false });
export type DeleteQuery = Static<typeof DeleteQuery>;

export const BulkBody = Type.Object(
  {
    ids: Type.Array(Uuid, { minItems: 1, maxItems: 1000, uniqueItems: true }),
    action: Type.Union([Type.Literal('set_access'), Type.Literal('delete')]),
    access: Type.Optional(Access),
  },
  { additionalProperties: false },
);
export type BulkBody = Static<typeof BulkBody>;
export const BulkResult = Type.Object({
  action: Type.String(),
  ids: Type.Array(Uuid),
  affected: Type.Integer(),
});

export const Entity = Type.Union([Type.Literal('film'), Type.Literal('genre'), Type.Literal('person')]);
export const ChangeLogEntry = Type.Object({
  id: Type.Integer(),
  entity: Type.String(),
  entity_id: Type.String(),
  action: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('delete')]),
  actor_id: NullableString(),
  actor_login: NullableString(),
  at: Timestamp,
  diff: Type.Record(Type.String(), Type.Object({ before: Type.Unknown(), after: Type.Unknown() })),
});
export const AuditQuery = Type.Object(
  {
    entity: Type.Optional(Entity),
    id: Type.Optional(Uuid),
    actor_id: Type.Optional(Uuid),
    ...page,
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;
