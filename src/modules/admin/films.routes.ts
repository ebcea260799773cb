/** /api/v1/admin/films: the film editor's API. Thin: authorise, call the content service, map. */
import type { HttpApp } from '../../platform/http/app.js';
import { bearerSecurity } from '../../platform/http/openapi.js';
import { adminErrors } from './admin.errors.js';
import { defined, editor, editorErrors } from './admin.http.js';
import { BulkBody, BulkResult, Film, FilmCreate, FilmListQuery, FilmPatch } from './admin.schemas.js';
import { contentErrors, type ContentService } from './content.port.js';
import { editableRoutes, searchText } from './editable.routes.js';

const tags = ['admin'];
const security = bearerSecurity;

export function filmRoutes(app: HttpApp, content: () => ContentService): void {
  editableRoutes(app, {
    path: '/api/v1/admin/films',
    schemas: { row: Film, list: FilmListQuery, create: FilmCreate, patch: FilmPatch },
    summaries: {
      list: 'Films with search, filters, sort and pagination (total in X-Total-Count)',
      edit: 'Edit a film (with its genres and persons); a stale version answers 409',
    },
    missing: contentErrors.FILM_NOT_FOUND,
    errors: { list: [adminErrors.INVALID_RANGE], create: [contentErrors.FILM_EXISTS] },
    list: (query) => {
      const { genre, q, ...rest } = query;
      if (rest.year_from !== undefined && rest.year_to !== undefined && rest.year_from > rest.year_to)
        throw adminErrors.INVALID_RANGE({ detail: 'year_from must not be after year_to.' });
      if (rest.rating_min !== undefined && rest.rating_max !== undefined && rest.rating_min > rest.rating_max)
        throw adminErrors.INVALID_RANGE({ detail: 'rating_min must not be above rating_max.' });
      return content().listFilms(defined({ ...rest, q: searchText(q), genre_ids: genre }));
    },
    get: (id) => content().getFilm(id),
    create: (input, actor, id) => content().createFilm(input, actor, id),
    update: (id, patch, expected, actor) => content().updateFilm(id, patch, expected, actor),
    remove: (id, actor, expected) => content().deleteFilm(id, actor, expected),
  });

  app.post(
    '/api/v1/admin/films/bulk',
    {
      schema: {
        'x-errors': [...editorErrors, adminErrors.ACCESS_REQUIRED],
        tags,
        security,
        summary: 'Set the access level of, or delete, many films at once',
        body: BulkBody,
        response: { 200: BulkResult },
      },
    },
    async (request) => {
      const actor = editor(request);
      const { ids, action, access } = request.body;
      if (action === 'set_access') {
        if (!access) throw adminErrors.ACCESS_REQUIRED();
        const { updated } = await content().bulkSetAccess(ids, access, actor);
        return { action, ids, affected: updated };
      }
      const { deleted } = await content().bulkDeleteFilms(ids, actor);
      return { action, ids, affected: deleted };
    },
  );
}
