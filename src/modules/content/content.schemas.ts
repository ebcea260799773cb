/**
 * Input schemas of the content service. The service validates with them itself, so every caller
 * (admin API, imports, tests) gets the same 400 VALIDATION_FAILED with field errors; the admin
 * routes can reuse them for their request bodies and OpenAPI.
 */
import { Type, type TSchema, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { platformErrors, type FieldError } from '../../platform/errors.js';
import { pagingFields, sortSchema } from '../../platform/http/paging.js';
import { SORT_COLUMNS } from './content.sorts.js';

export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const Uuid = Type.String({ pattern: UUID_PATTERN });
export const AccessLevelSchema = Type.Union([
  Type.Literal('FREE'),
  Type.Literal('PAID'),
  Type.Literal('ARCHIVED'),
]);
export const FilmTypeSchema = Type.Union([Type.Literal('movie'), Type.Literal('tv_show')]);
export const PersonRoleSchema = Type.Union([
  Type.Literal('actor'),
  Type.Literal('director'),
  Type.Literal('writer'),
]);

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const filmFields = {
  title: Type.String({ minLength: 1, maxLength: 500 }),
  description: Type.Optional(Nullable(Type.String({ maxLength: 20_000 }))),
  creation_date: Type.Optional(Nullable(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }))),
  rating: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 10 }))),
  type: Type.Optional(FilmTypeSchema),
  access: Type.Optional(AccessLevelSchema),
  genre_ids: Type.Optional(Type.Array(Uuid, { maxItems: 100 })),
  persons: Type.Optional(
    Type.Array(Type.Object({ person_id: Uuid, role: PersonRoleSchema }, { additionalProperties: false }), {
      maxItems: 1000,
    }),
  ),
};

export const FilmInputSchema = Type.Object(filmFields, { additionalProperties: false });
export const FilmPatchSchema = Type.Partial(Type.Object(filmFields), { additionalProperties: false });
export const GenreInputSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Nullable(Type.String({ maxLength: 5000 }))),
  },
  { additionalProperties: false },
);
export const GenrePatchSchema = Type.Partial(GenreInputSchema, { additionalProperties: false });
export const PersonInputSchema = Type.Object(
  { full_name: Type.String({ minLength: 1, maxLength: 300 }) },
  { additionalProperties: false },
);
export const PersonPatchSchema = Type.Partial(PersonInputSchema, { additionalProperties: false });

const pageFields = pagingFields({ max: 1000, default: null, numberDefault: null });
/** The film list's filters and sort, also those of the admin API's film list query. */
export const filmFilterFields = {
  type: Type.Optional(FilmTypeSchema),
  access: Type.Optional(Type.Array(AccessLevelSchema, { maxItems: 3 })),
  year_from: Type.Optional(Type.Integer({ minimum: 1800, maximum: 3000 })),
  year_to: Type.Optional(Type.Integer({ minimum: 1800, maximum: 3000 })),
  rating_min: Type.Optional(Type.Number({ minimum: 0, maximum: 10 })),
  rating_max: Type.Optional(Type.Number({ minimum: 0, maximum: 10 })),
  sort: Type.Optional(sortSchema(SORT_COLUMNS.films)),
};
export const FilmListQuerySchema = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 200 })),
  genre_ids: Type.Optional(Type.Array(Uuid, { maxItems: 100 })),
  ...filmFilterFields,
  ...pageFields,
});
const namedListQuery = (columns: readonly string[]) =>
  Type.Object({
    q: Type.Optional(Type.String({ maxLength: 200 })),
    sort: Type.Optional(sortSchema(columns)),
    ...pageFields,
  });
export const GenreListQuerySchema = namedListQuery(SORT_COLUMNS.genres);
export const PersonListQuerySchema = namedListQuery(SORT_COLUMNS.persons);
export const AuditQuerySchema = Type.Object({
  entity: Type.Optional(Type.Union([Type.Literal('film'), Type.Literal('genre'), Type.Literal('person')])),
  id: Type.Optional(Uuid),
  actor_id: Type.Optional(Uuid),
  ...pageFields,
});
export const BulkIdsSchema = Type.Array(Uuid, { minItems: 1, maxItems: 1000 });

/** Throws 400 VALIDATION_FAILED listing every problem when `value` does not match `schema`. */
export function validate<T extends TSchema>(schema: T, value: unknown, prefix = ''): Static<T> {
  if (Value.Check(schema, value)) return value;
  const errors: FieldError[] = [];
  for (const error of Value.Errors(schema, value)) {
    const field = `${prefix}${error.path}` || '/';
    if (!errors.some((e) => e.field === field)) errors.push({ field, message: error.message });
    if (errors.length >= 20) break;
  }
  throw platformErrors.VALIDATION_FAILED({ errors });
}

/** Checks a real calendar date (the pattern alone accepts 2024-02-31). */
export function checkDate(value: string | null | undefined, field: string): void {
  if (value === null || value === undefined) return;
  const d = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value)
    throw platformErrors.VALIDATION_FAILED({
      errors: [{ field, message: 'must be a real date YYYY-MM-DD' }],
    });
}
