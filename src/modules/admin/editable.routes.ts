/**
 * The five routes of one kind of object the editors keep (films, genres, persons): list, read,
 * create, edit and delete, each over one call of the content service. What differs per kind is
 * its path, schemas, codes and service calls; the HTTP side (authorisation, ETag and If-Match,
 * Location, X-Total-Count, status codes) is the same for all of them.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { ErrorFactory } from '../../platform/errors.js';
import type { HttpApp } from '../../platform/http/app.js';
import { bearerSecurity } from '../../platform/http/openapi.js';
import { DeleteQuery, IdParams } from './admin.schemas.js';
import {
  defined,
  deleteErrors,
  editErrors,
  editor,
  editorErrors,
  etag,
  expectedVersion,
  found,
  type Defined,
} from './admin.http.js';
import type { Actor } from './content.port.js';

const tags = ['admin'];
const security = bearerSecurity;

type Versioned = { readonly id: string; readonly version: number };
type CreateInput<S extends TSchema> = Defined<Omit<Static<S> & { id?: string }, 'id'>>;
type PatchInput<S extends TSchema> = Defined<Omit<Static<S> & { version?: number }, 'version'>>;

export interface EditableKind<
  Row extends Versioned,
  List extends TSchema,
  Create extends TSchema,
  Patch extends TSchema,
> {
  /** The collection; one object is `${path}/:id`. */
  readonly path: string;
  readonly schemas: {
    readonly row: TSchema;
    readonly list: List;
    readonly create: Create;
    readonly patch: Patch;
  };
  readonly summaries: { readonly list: string; readonly edit?: string };
  /** What an unknown id answers. */
  readonly missing: ErrorFactory;
  /** Codes a route answers besides those every edit shares. */
  readonly errors?: {
    readonly list?: readonly ErrorFactory[];
    readonly create?: readonly ErrorFactory[];
    readonly edit?: readonly ErrorFactory[];
  };
  list(query: Static<List>): Promise<{ items: Row[]; total: number }>;
  get(id: string): Promise<Row | null>;
  create(input: CreateInput<Create>, actor: Actor, id: string | undefined): Promise<Row>;
  update(id: string, patch: PatchInput<Patch>, expected: number, actor: Actor): Promise<Row>;
  remove(id: string, actor: Actor, expected: number | undefined): Promise<void>;
}

/** `q` as the content service takes it: trimmed, and absent when blank. */
export function searchText(q: string | undefined): string | undefined {
  const text = q?.trim();
  return text === '' ? undefined : text;
}

export function editableRoutes<
  Row extends Versioned,
  List extends TSchema,
  Create extends TSchema,
  Patch extends TSchema,
>(app: HttpApp, kind: EditableKind<Row, List, Create, Patch>): void {
  const { path, schemas, summaries, missing, errors = {} } = kind;
  app.get(
    path,
    {
      schema: {
        'x-errors': [...editorErrors, ...(errors.list ?? [])],
        tags,
        security,
        summary: summaries.list,
        querystring: schemas.list,
        response: { 200: Type.Array(schemas.row) },
      },
    },
    async (request, reply) => {
      editor(request);
      const page = await kind.list(request.query);
      reply.header('x-total-count', String(page.total));
      return page.items;
    },
  );
  app.get(
    `${path}/:id`,
    {
      schema: {
        'x-errors': [...editorErrors, missing],
        tags,
        security,
        params: IdParams,
        response: { 200: schemas.row },
      },
    },
    async (request, reply) => {
      editor(request);
      const row = found(await kind.get(request.params.id), missing);
      reply.header('etag', etag(row.version));
      return row;
    },
  );
  app.post(
    path,
    {
      schema: {
        'x-errors': [...editorErrors, ...(errors.create ?? [])],
        tags,
        security,
        body: schemas.create,
        response: { 201: schemas.row },
      },
    },
    async (request, reply) => {
      const actor = editor(request);
      const { id, ...input } = request.body as Static<Create> & { id?: string };
      const row = await kind.create(defined(input), actor, id);
      reply.code(201).header('location', `${path}/${row.id}`).header('etag', etag(row.version));
      return row;
    },
  );
  app.patch(
    `${path}/:id`,
    {
      schema: {
        'x-errors': [...editErrors(missing), ...(errors.edit ?? [])],
        tags,
        security,
        ...(summaries.edit === undefined ? {} : { summary: summaries.edit }),
        params: IdParams,
        body: schemas.patch,
        response: { 200: schemas.row },
      },
    },
    async (request, reply) => {
      const actor = editor(request);
      const { version, ...patch } = request.body as Static<Patch> & { version?: number };
      const expected = expectedVersion(request, version, true)!;
      const row = await kind.update(request.params.id, defined(patch), expected, actor);
      reply.header('etag', etag(row.version));
      return row;
    },
  );
  app.delete(
    `${path}/:id`,
    {
      schema: {
        'x-errors': deleteErrors(missing),
        tags,
        security,
        params: IdParams,
        querystring: DeleteQuery,
      },
    },
    async (request, reply) => {
      const actor = editor(request);
      const expected = expectedVersion(request, request.query.version, false);
      await kind.remove(request.params.id, actor, expected);
      return reply.code(204).send();
    },
  );
}
