/**
 * TypeBox schemas of the public catalog API (the Practicum "Async API" contract, docs/modules/catalog-api.md).
 * Query and path schemas validate and coerce input; response schemas drive fast serialisation
 * and the OpenAPI document.
 */
import { Type, type Static } from '@sinclair/typebox';
import { pageNumberSchema, pageSizeSchema } from '../../platform/http/paging.js';

export const Uuid = Type.String({ format: 'uuid', description: 'A UUID.' });

const pageNumber = pageNumberSchema();
const pageSize = pageSizeSchema();
const searchText = Type.String({ minLength: 1, maxLength: 200, description: 'What to search for.' });

export const IdParams = Type.Object({ uuid: Uuid });
export type IdParams = Static<typeof IdParams>;

export const FilmsQuery = Type.Object({
  sort: Type.Optional(
    Type.Union([Type.Literal('-imdb_rating'), Type.Literal('imdb_rating')], {
      description:
        'Order by rating, descending (-imdb_rating, the default) or ascending; unrated films last.',
    }),
  ),
  genre: Type.Optional(
    Type.Array(Uuid, { maxItems: 50, description: 'Genre ids; repeat the parameter for any of several.' }),
  ),
  page_number: pageNumber,
  page_size: pageSize,
});
export type FilmsQuery = Static<typeof FilmsQuery>;

export const SearchQuery = Type.Object({ query: searchText, page_number: pageNumber, page_size: pageSize });
export type SearchQuery = Static<typeof SearchQuery>;

/** Genres are few: without paging parameters the whole list comes back. */
export const GenresQuery = Type.Object({
  page_number: Type.Optional(pageNumberSchema({ default: null })),
  page_size: Type.Optional(pageSizeSchema({ default: null })),
});
export type GenresQuery = Static<typeof GenresQuery>;

const rating = Type.Union([Type.Number(), Type.Null()]);

export const FilmListItem = Type.Object({ uuid: Type.String(), title: Type.String(), imdb_rating: rating });
export const FilmList = Type.Array(FilmListItem);

export const Genre = Type.Object({ uuid: Type.String(), name: Type.String() });
export const GenreList = Type.Array(Genre);

const PersonRef = Type.Object({ uuid: Type.String(), full_name: Type.String() });

export const FilmDetail = Type.Object({
  uuid: Type.String(),
  title: Type.String(),
  imdb_rating: rating,
  description: Type.Union([Type.String(), Type.Null()]),
  creation_date: Type.Union([Type.String(), Type.Null()]),
  type: Type.String({ description: 'Access level: FREE, PAID or ARCHIVED.' }),
  genre: Type.Array(Genre),
  actors: Type.Array(PersonRef),
  writers: Type.Array(PersonRef),
  directors: Type.Array(PersonRef),
  poster_url: Type.Union([Type.String(), Type.Null()]),
});
export type FilmDetail = Static<typeof FilmDetail>;

export const PersonDetail = Type.Object({
  uuid: Type.String(),
  full_name: Type.String(),
  films: Type.Array(Type.Object({ uuid: Type.String(), roles: Type.Array(Type.String()) })),
});
export type PersonDetail = Static<typeof PersonDetail>;
export const PersonList = Type.Array(PersonDetail);

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { description: 'application/problem+json' },
);
