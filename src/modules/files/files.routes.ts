/** HTTP routes of the files module: thin handlers over the files service. */
import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { platformErrors } from '../../platform/errors.js';
import type { HttpApp } from '../../platform/http/app.js';
import { Permission, requirePermission } from '../../platform/security.js';
import { etagMatches, parseRange } from './files.http.js';
import { catalogErrors } from '../catalog/index.js';
import { filesErrors } from './files.errors.js';
import { FILE_KINDS, isPublicKind, type FileKind } from './files.ingest.js';
import {
  ContentQuery,
  FileSchema,
  IdParams,
  LinkBody,
  LinkResponse,
  ListQuery,
  toDto,
  UploadQuery,
} from './files.schemas.js';
import { dispositionOf, type FilesService } from './files.service.js';
import type { TusHandler } from './files.tus.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const tags = ['files'];
/** Reading a file (its metadata, a link, its bytes) needs a caller whose access covers its film. */
const readErrors = [
  filesErrors.FILE_NOT_FOUND,
  platformErrors.AUTHENTICATION_REQUIRED,
  catalogErrors.FILM_ACCESS_DENIED,
];

function fieldValue(fields: Record<string, unknown>, name: string): string | undefined {
  const raw = fields[name];
  const field: unknown = Array.isArray(raw) ? (raw as unknown[])[0] : raw;
  if (field && typeof field === 'object' && (field as { type?: string }).type === 'field') {
    const value = (field as { value?: unknown }).value;
    return typeof value === 'string' && value !== '' ? value : undefined;
  }
  return undefined;
}

export function filesRoutes(service: FilesService, tus: TusHandler): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify as unknown as HttpApp;
    await app.register(multipart, {
      limits: {
        // Our own per-kind limit trips first (413); this only bounds what busboy will pass on.
        fileSize: Math.max(...FILE_KINDS.map((k) => service.limitOf(k))) + 1,
        files: 1,
        fields: 10,
        fieldSize: 1024,
        parts: 12,
      },
    });

    app.post(
      '/api/v1/files',
      {
        schema: {
          tags,
          summary: 'Upload a file (multipart/form-data: kind, film_id, then file)',
          consumes: ['multipart/form-data'],
          querystring: UploadQuery,
          'x-errors': [
            platformErrors.AUTHENTICATION_REQUIRED,
            platformErrors.PERMISSION_DENIED,
            filesErrors.MULTIPART_REQUIRED,
            filesErrors.FILE_REQUIRED,
            filesErrors.INVALID_KIND,
            catalogErrors.FILM_NOT_FOUND,
            filesErrors.FILE_TOO_LARGE,
            filesErrors.UNSUPPORTED_FILE_TYPE,
          ],
          response: { 201: FileSchema },
        },
      },
      async (request, reply) => {
        requirePermission(request.principal, Permission.crudFilms);
        if (!request.isMultipart()) throw filesErrors.MULTIPART_REQUIRED();
        const part = await request.file();
        if (!part) throw filesErrors.FILE_REQUIRED();
        const kind = fieldValue(part.fields, 'kind') ?? request.query.kind;
        const filmId = fieldValue(part.fields, 'film_id') ?? request.query.film_id ?? null;
        if (!kind || !(FILE_KINDS as readonly string[]).includes(kind))
          throw filesErrors.INVALID_KIND({
            detail: `kind must be one of ${FILE_KINDS.join(', ')}, sent before the file.`,
            errors: [{ field: 'body/kind', message: `must be one of ${FILE_KINDS.join(', ')}` }],
          });
        if (filmId !== null && !UUID.test(filmId))
          throw platformErrors.VALIDATION_FAILED({
            detail: 'film_id must be a UUID.',
            errors: [{ field: 'body/film_id', message: 'must be a UUID' }],
          });
        // Refused mid-body (413, 415), Node answers with Connection: close and hangs up.
        const row = await service.upload({
          source: part.file,
          filename: part.filename,
          kind: kind as FileKind,
          filmId,
          principal: request.principal,
        });
        return reply.code(201).header('location', `/api/v1/files/${row.id}`).send(toDto(row));
      },
    );

    app.get(
      '/api/v1/files',
      {
        schema: {
          tags,
          summary: 'List files the caller may read (X-Total-Count has the total)',
          querystring: ListQuery,
          response: { 200: Type.Array(FileSchema) },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const { rows, total } = await service.list(
          {
            ...(q.film_id ? { filmId: q.film_id } : {}),
            ...(q.kind ? { kind: q.kind } : {}),
            page: q.page_number,
            size: q.page_size,
          },
          request.principal,
        );
        return reply.header('x-total-count', String(total)).send(rows.map(toDto));
      },
    );

    app.get(
      '/api/v1/files/:id',
      {
        schema: {
          tags,
          summary: 'File metadata',
          params: IdParams,
          'x-errors': readErrors,
          response: { 200: FileSchema },
        },
      },
      async (request) => toDto(await service.get(request.params.id, request.principal)),
    );

    app.delete(
      '/api/v1/files/:id',
      {
        schema: {
          tags,
          summary: 'Delete a file (blob and metadata)',
          params: IdParams,
          'x-errors': [
            platformErrors.AUTHENTICATION_REQUIRED,
            platformErrors.PERMISSION_DENIED,
            filesErrors.FILE_NOT_FOUND,
          ],
        },
      },
      async (request, reply) => {
        await service.remove(request.params.id, request.principal);
        return reply.code(204).send();
      },
    );

    app.post(
      '/api/v1/files/:id/link',
      {
        schema: {
          tags,
          summary: 'A temporary download link',
          params: IdParams,
          body: LinkBody,
          'x-errors': readErrors,
          response: { 200: LinkResponse },
        },
      },
      async (request) => {
        const { url, expires_at } = await service.link(
          request.params.id,
          request.principal,
          request.body.expires_in,
        );
        return { url, expires_at: expires_at.toISOString() };
      },
    );

    app.get(
      '/api/v1/files/:id/content',
      {
        schema: {
          tags,
          summary: 'File content: Range, ETag/If-None-Match, signed links',
          params: IdParams,
          querystring: ContentQuery,
          'x-errors': [
            ...readErrors,
            filesErrors.LINK_INVALID,
            filesErrors.LINK_EXPIRED,
            filesErrors.FILE_CONTENT_MISSING,
            filesErrors.RANGE_NOT_SATISFIABLE,
          ],
        },
      },
      async (request, reply) =>
        serveContent(service, request.params.id, request.query, request.headers, reply),
    );

    // tus resumable uploads: the tus server answers these requests itself.
    app.addContentTypeParser('application/offset+octet-stream', (_request, _payload, done) => done(null));
    for (const url of ['/api/v1/uploads', '/api/v1/uploads/:id']) {
      app.route({
        method: ['POST', 'HEAD', 'PATCH', 'DELETE', 'OPTIONS', 'GET'],
        url,
        exposeHeadRoute: false,
        schema: {
          tags,
          summary: 'tus 1.0 resumable uploads (Upload-Metadata: filename, kind, film_id)',
          'x-errors': [
            platformErrors.AUTHENTICATION_REQUIRED,
            platformErrors.PERMISSION_DENIED,
            platformErrors.VALIDATION_FAILED,
            filesErrors.UPLOAD_NOT_FOUND,
            filesErrors.INVALID_KIND,
            filesErrors.UPLOAD_LENGTH_REQUIRED,
            catalogErrors.FILM_NOT_FOUND,
            filesErrors.FILE_TOO_LARGE,
            filesErrors.UPLOAD_QUOTA_EXCEEDED,
            filesErrors.UNSUPPORTED_FILE_TYPE,
            filesErrors.TOO_MANY_UPLOADS,
          ],
        },
        handler: async (request, reply) => {
          if (request.method !== 'OPTIONS') requirePermission(request.principal, Permission.crudFilms);
          await tus.handle(request, reply);
        },
      });
    }
  };
}

async function serveContent(
  service: FilesService,
  id: string,
  query: { expires?: number; signature?: string },
  headers: FastifyRequest['headers'],
  reply: FastifyReply,
): Promise<FastifyReply> {
  const { expires, signature } = query;
  const file = await service.authorise(
    id,
    signature !== undefined || expires !== undefined
      ? { expires: expires ?? 0, signature: signature ?? '' }
      : { principal: reply.request.principal },
  );
  const etag = `"${file.sha256}"`;
  reply.header('etag', etag);
  reply.header('accept-ranges', 'bytes');
  const open = isPublicKind(file.kind);
  reply.header('cache-control', open ? 'public, max-age=86400' : 'private, no-cache');
  if (open) reply.header('cross-origin-resource-policy', 'cross-origin');
  if (etagMatches(headers['if-none-match'], etag)) return reply.code(304).send();

  const ifRange = headers['if-range'];
  const range =
    ifRange === undefined || ifRange === etag
      ? parseRange(headers.range, file.size)
      : ({ kind: 'full' } as const);
  if (range.kind === 'unsatisfiable') {
    throw filesErrors.RANGE_NOT_SATISFIABLE({
      detail: `The file has ${file.size} bytes.`,
      headers: { 'content-range': `bytes */${file.size}` },
    });
  }
  const read = await service.open(file, range.kind === 'partial' ? range.range : undefined);
  const length = read.range.end - read.range.start + 1;
  reply
    .header('content-type', file.content_type)
    .header('content-disposition', dispositionOf(file))
    .header('content-length', String(Math.max(length, 0)));
  if (range.kind === 'partial') {
    reply.code(206).header('content-range', `bytes ${read.range.start}-${read.range.end}/${read.size}`);
  }
  return reply.send(read.body);
}
