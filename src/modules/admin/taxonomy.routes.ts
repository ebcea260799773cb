/** /api/v1/admin/genres and /api/v1/admin/persons: the same five routes over the content service. */
import { Type } from '@sinclair/typebox';
import type { HttpApp } from '../../platform/http/app.js';
import {
  DeleteQuery,
  Genre,
  GenreCreate,
  GenreListQuery,
  GenrePatch,
  IdParams,
  Person,
  PersonCreate,
  PersonListQuery,
  PersonPatch,
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

export function genreRoutes(app: HttpApp, content: () => ContentService): void {
  const path = '/api/v1/admin/genres';
  app.get(
    path,
    {
      schema: {
        'x-errors': editorErrors,
        tags,
        security,
        summary: 'Genres (total in X-Total-Count)',
        querystring: GenreListQuery,
        response: { 200: Type.Array(Genre) },
      },
    },
    async (request, reply) => {
      editor(request);
      const q = request.query.q?.trim();
      const page = await content().listGenres(defined({ ...request.query, q: q === '' ? undefined : q }));
      reply.header('x-total-count', String(page.total));
      return page.items;
    },
  );
  app.get(
    `${path}/:id`,
    {
      schema: {
        'x-errors': [...editorErrors, catalogErrors.GENRE_NOT_FOUND],
        tags,
        security,
        params: IdParams,
        response: { 200: Genre },
      },
    },
    async (request, reply) => {
      editor(request);
      const genre = found(await content().getGenre(request.params.id), catalogErrors.GENRE_NOT_FOUND);
      reply.header('etag', etag(genre.version));
      return genre;
    },
  );
  app.post(
    path,
    {
      schema: {
        'x-errors': [...editorErrors, catalogErrors.GENRE_EXISTS, catalogErrors.GENRE_NAME_TAKEN],
        tags,
        security,
        body: GenreCreate,
        response: { 201: Genre },
      },
    },
    async (request, reply) => {
      const actor = editor(request);
      const { id, ...input } = request.body as GenreCreate;
      const genre = await content().createGenre(defined(input), actor, id);
      reply.code(201).header('location', `${path}/${genre.id}`).header('etag', etag(genre.version));
      return genre;
    },
  );
  app.patch(
    `${path}/:id`,
    {
      schema: {
        'x-errors': [...editErrors(catalogErrors.GENRE_NOT_FOUND), catalogErrors.GENRE_NAME_TAKEN],
        tags,
        security,
        params: IdParams,
        body: GenrePatch,
        response: { 200: Genre },
      },
    },
    async (request, reply) => {
      const actor = editor(request);
      const { version, ...patch } = request.body as GenrePatch;
      const expected = expectedVersion(request, version, true)!;
      const genre = await content().updateGenre(request.params.id, defined(patch), expected, actor);
      reply.header('etag', etag(genre.version));
      return genre;
    },
  );
  app.delete(
    `${path}/:id`,
    {
      schema: {
        'x-errors': deleteErrors(catalogErrors.GENRE_NOT_FOUND),
        tags,
        security,
        params: IdParams,
        querystring: DeleteQuery,
      },
    },
    async (request, reply) => {
      const actor = editor(request);
      await content().deleteGenre(
        request.params.id,
        actor,
        expectedVersion(request, request.query.version, false),
      );
      return reply.code(204).send();
    },
  );
}

export function personRoutes(app: HttpApp, content: () => ContentService): void {
  const path = '/api/v1/admin/persons';
  app.get(
    path,
    {
      schema: {
        'x-errors': editorErrors,
        tags,
        security,
        summary: 'Persons (total in X-Total-Count)',
        querystring: PersonListQuery,
        response: { 200: Type.Array(Person) },
      },
    },
    async (request, reply) => {
      editor(request);
      const q = request.query.q?.trim();
      const page = await content().listPersons(defined({ ...request.query, q: q === '' ? undefined : q }));
      reply.header('x-total-count', String(page.total));
      return page.items;
    },
  );
  app.get(
    `${path}/:id`,
    {
      schema: {
        'x-errors': [...editorErrors, catalogErrors.PERSON_NOT_FOUND],
        tags,
        security,
        params: IdParams,
        response: { 200: Person },
      },
    },
    async (request, reply) => {
      editor(request);
      const person = found(await content().getPerson(request.params.id), catalogErrors.PERSON_NOT_FOUND);
      reply.header('etag', etag(person.version));
      return person;
    },
  );
  app.post(
    path,
    {
      schema: {
        'x-errors': [...editorErrors, catalogErrors.PERSON_EXISTS],
        tags,
        security,
        body: PersonCreate,
        response: { 201: Person },
      },
    },
    async (request, reply) => {
      const actor = editor(request);
      const { id, ...input } = request.body;
      const person = await content().createPerson(input, actor, id);
      reply.code(201).header('location', `${path}/${person.id}`).header('etag', etag(person.version));
      return person;
    },
  );
  app.patch(
    `${path}/:id`,
    {
      schema: {
        'x-errors': editErrors(catalogErrors.PERSON_NOT_FOUND),
        tags,
        security,
        params: IdParams,
        body: PersonPatch,
        response: { 200: Person },
      },
    },
    async (request, reply) => {
      const actor = editor(request);
      const { version, ...patch } = request.body;
      const expected = expectedVersion(request, version, true)!;
      const person = await content().updatePerson(request.params.id, defined(patch), expected, actor);
      reply.header('etag', etag(person.version));
      return person;
    },
  );
  app.delete(
    `${path}/:id`,
    {
      schema: {
        'x-errors': deleteErrors(catalogErrors.PERSON_NOT_FOUND),
        tags,
        security,
        params: IdParams,
        querystring: DeleteQuery,
      },
    },
    async (request, reply) => {
      const actor = editor(request);
      await content().deletePerson(
        request.params.id,
        actor,
        expectedVersion(request, request.query.version, false),
      );
      return reply.code(204).send();
    },
  );
}
