/** /api/v1/admin/genres and /api/v1/admin/persons: the editable routes over the content service. */
import type { HttpApp } from '../../platform/http/app.js';
import {
  Genre,
  GenreCreate,
  GenreListQuery,
  GenrePatch,
  Person,
  PersonCreate,
  PersonListQuery,
  PersonPatch,
} from './admin.schemas.js';
import { defined } from './admin.http.js';
import { contentErrors, type ContentService } from './content.port.js';
import { editableRoutes, searchText } from './editable.routes.js';

export function genreRoutes(app: HttpApp, content: () => ContentService): void {
  editableRoutes(app, {
    path: '/api/v1/admin/genres',
    schemas: { row: Genre, list: GenreListQuery, create: GenreCreate, patch: GenrePatch },
    summaries: { list: 'Genres (total in X-Total-Count)' },
    missing: contentErrors.GENRE_NOT_FOUND,
    errors: {
      create: [contentErrors.GENRE_EXISTS, contentErrors.GENRE_NAME_TAKEN],
      edit: [contentErrors.GENRE_NAME_TAKEN],
    },
    list: (query) => content().listGenres(defined({ ...query, q: searchText(query.q) })),
    get: (id) => content().getGenre(id),
    create: (input, actor, id) => content().createGenre(input, actor, id),
    update: (id, patch, expected, actor) => content().updateGenre(id, patch, expected, actor),
    remove: (id, actor, expected) => content().deleteGenre(id, actor, expected),
  });
}

export function personRoutes(app: HttpApp, content: () => ContentService): void {
  editableRoutes(app, {
    path: '/api/v1/admin/persons',
    schemas: { row: Person, list: PersonListQuery, create: PersonCreate, patch: PersonPatch },
    summaries: { list: 'Persons (total in X-Total-Count)' },
    missing: contentErrors.PERSON_NOT_FOUND,
    errors: { create: [contentErrors.PERSON_EXISTS] },
    list: (query) => content().listPersons(defined({ ...query, q: searchText(query.q) })),
    get: (id) => content().getPerson(id),
    create: (input, actor, id) => content().createPerson(input, actor, id),
    update: (id, patch, expected, actor) => content().updatePerson(id, patch, expected, actor),
    remove: (id, actor, expected) => content().deletePerson(id, actor, expected),
  });
}
