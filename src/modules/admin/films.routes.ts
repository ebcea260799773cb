/** /api/v1/admin/films: the film editor's API. Thin: authorise, call the content service, map. */
import { Type } from '@sinclair/typebox';
import type { HttpApp } from '../../platform/http/app.js';
import { adminErrors } from './admin.errors.js';

import {
  BulkBody,
  BulkResult,
  DeleteQuery,
  Film,
  FilmCreate,
  FilmListQuery,
  FilmPatch,
  IdParams,
} from './admin.schemas.js';
import {
  defined,
  deleteErrors,
  editErrors,
  editor,
  editorErrors,
  etag,
  expectedVersion,
  found,
} from './admin.http.js';
import { catalogErrors, type ContentService } from './content.port.js';
import { bearerSecurity } from '../../platform/http/openapi.js';

const tags = ['admin'];
const security = bearerSecurity;

export function filmRoutes(app: HttpApp, content: () => ContentService): void {
  app.get(
    '/api/v1/admin/films',
    {
      schema: {
        'x-errors': [...editorErrors, adminErrors.INVALID_RANGE],
        tags,
        security,
        summary: 'Films with search, filters, sort and pagination (total in X-Total-Count)',
        querystring: FilmListQuery,
        response: { 200: Type.Array(Film) },
      },
    },
    async (request, reply) => {
      editor(request);
      const { genre, q, ...rest } = request.query;
      if (rest.year_from !== undefined && rest.year_to !== undefined && rest.year_from > rest.year_to)
        throw adminErrors.INVALID_RANGE({ detail: 'year_from must not be after year_to.' });
      if (rest.rating_min !== undefined && rest.rating_max !== undefined && rest.rating_min > rest.rating_max)
        throw adminErrors.INVALID_RANGE({ detail: 'rating_min must not be above rating_max.' });
      const text = q?.trim();
      const page = await content().listFilms(
        defined({ ...rest, q: text === '' ? undefined : text, genre_ids: genre }),
      );
      reply.header('x-total-count', String(page.total));
      return page.items;
    },
  );

  app.get(
    '/api/v1/admin/films/:id',
    {
      schema: {
        'x-errors': [...editorErrors, catalogErrors.FILM_NOT_FOUND],
        tags,
        security,
        params: IdParams,
        response: { 200: Film },
      },
    },
    async (request, reply) => {
      editor(request);
      const film = found(await content().getFilm(request.params.id), catalogErrors.FILM_NOT_FOUND);
      reply.header('etag', etag(film.version));
      return film;
    },
  );

  app.post(
    '/api/v1/admin/films',
    {
      schema: {
        'x-errors': [...editorErrors, catalogErrors.FILM_EXISTS],
        tags,
        security,
        body: FilmCreate,
        response: { 201: Film },
      },
    },
    async (request, reply) => {
      const actor = editor(request);
      const { id, ...input } = request.body as FilmCreate;
      const film = await content().createFilm(defined(input), actor, id);
      reply.code(201).header('location', `/api/v1/admin/films/${film.id}`).header('etag', etag(film.version));
      return film;
    },
  );

  app.patch(
    '/api/v1/admin/films/:id',
    {
      schema: {
        'x-errors': editErrors(catalogErrors.FILM_NOT_FOUND),
        tags,
        security,
        summary: 'Edit a film (with its genres and persons); a stale version answers 409',
        params: IdParams,
        body: FilmPatch,
        response: { 200: Film },
      },
    },
    async (request, reply) => {
      const actor = editor(request);
      const { version, ...patch } = request.body as FilmPatch;
      const expected = expectedVersion(request, version, true)!;
      const film = await content().updateFilm(request.params.id, defined(patch), expected, actor);
      reply.header('etag', etag(film.version));
      return film;
    },
  );

  app.delete(
    '/api/v1/admin/films/:id',
    {
      schema: {
        'x-errors': deleteErrors(catalogErrors.FILM_NOT_FOUND),
        tags,
        security,
        params: IdParams,
        querystring: DeleteQuery,
      },
    },
    async (request, reply) => {
      const actor = editor(request);
      const expected = expectedVersion(request, request.query.version, false);
      await content().deleteFilm(request.params.id, actor, expected);
      return reply.code(204).send();
    },
  );

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
