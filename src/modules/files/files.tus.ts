/**
 * Resumable uploads (tus 1.0, https://tus.io) at /api/v1/uploads. Chunks are staged on local
 * disk (KINO_DATA_DIR/uploads) by @tus/file-store; when the last byte arrives the staged file
 * goes through the same pipeline as a multipart upload (type check, size limit, sha256) into the
 * blob store, the file record takes the upload's id, and the staged copy is removed.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { FileStore } from '@tus/file-store';
import { Server, type Upload } from '@tus/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, platformErrors } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import { problemOf } from '../../platform/http/problem.js';
import type { Principal } from '../../platform/security.js';
import { filesErrors } from './files.errors.js';
import { FILE_KINDS, tooLarge, type FileKind } from './files.ingest.js';
import type { FilesService } from './files.service.js';

export interface TusHandler {
  handle(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Removes staged uploads older than the expiry (24 h). */
  cleanUp(): Promise<number>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A tus hook error: tus answers with its `status_code` and `body` (problem+json text). */
class TusRefusal extends Error {
  readonly status_code: number;
  readonly body: string;
  constructor(error: AppError) {
    super(error.message);
    this.status_code = error.status;
    this.body = JSON.stringify(problemOf(error));
  }
}
const refuse = (error: AppError) => new TusRefusal(error);

/** Upload-Metadata key holding the creator's user id (set by the server, never by the client). */
const OWNER = 'kino_owner';

export function createTusHandler(deps: {
  service: FilesService;
  dataDir: string;
  logger: Logger;
  /** FILES_UPLOADS_PER_USER and FILES_UPLOAD_STAGED_PER_USER. */
  limits: { readonly openPerUser: number; readonly stagedBytesPerUser: number };
}): TusHandler {
  const { service, logger, limits } = deps;
  const principals = new WeakMap<IncomingMessage, Principal>();
  const datastore = new FileStore({
    directory: path.join(deps.dataDir, 'uploads'),
    expirationPeriodInMilliseconds: 24 * 3600 * 1000,
  });
  const principalOf = (req: unknown): Principal | undefined => {
    const raw = (req as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
    return raw ? principals.get(raw) : undefined;
  };
  /** Unfinished uploads of `userId` staged here (a small set: only editors upload). */
  const openUploadsOf = async (userId: string): Promise<Upload[]> => {
    const ids = (await datastore.configstore.list?.()) ?? [];
    const mine: Upload[] = [];
    for (const id of ids) {
      const upload = await datastore.configstore.get(id);
      if (upload?.metadata?.[OWNER] === userId && upload.offset !== upload.size) mine.push(upload);
    }
    return mine;
  };
  // Creations of one user run one at a time in this process, so two at once cannot both pass the caps.
  let creating: Promise<unknown> = Promise.resolve();
  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const next = creating.then(work, work);
    creating = next.catch(() => undefined);
    return next;
  };
  const metadataOf = (upload: Upload) => {
    const meta = upload.metadata ?? {};
    return {
      kind: meta.kind ?? undefined,
      filmId: meta.film_id ?? null,
      filename: meta.filename ?? meta.name ?? undefined,
    };
  };

  const server = new Server({
    path: '/api/v1/uploads',
    datastore,
    relativeLocation: true,
    maxSize: Math.max(...FILE_KINDS.map((k) => service.limitOf(k))),
    exposedHeaders: ['Kino-File-Id'],
    namingFunction: () => randomUUID(),
    /**
     * An upload belongs to its creator: for anyone else (another editor who learnt the id
     * included) it does not exist, whatever the method (HEAD, PATCH, DELETE, GET).
     */
    async onIncomingRequest(req, id) {
      if (req.method === 'POST') return;
      const owner = (await datastore.configstore.get(id))?.metadata?.[OWNER];
      const principal = principalOf(req);
      if (!owner || !principal?.userId || owner !== principal.userId)
        throw refuse(filesErrors.UPLOAD_NOT_FOUND());
    },
    async onUploadCreate(req, upload) {
      const { kind, filmId } = metadataOf(upload);
      if (!kind || !(FILE_KINDS as readonly string[]).includes(kind))
        throw refuse(
          filesErrors.INVALID_KIND({ detail: `Upload-Metadata needs kind (${FILE_KINDS.join(', ')}).` }),
        );
      if (filmId !== null && !UUID.test(filmId))
        throw refuse(platformErrors.VALIDATION_FAILED({ detail: 'film_id must be a UUID.' }));
      if (upload.size === undefined) throw refuse(filesErrors.UPLOAD_LENGTH_REQUIRED());
      const limit = service.limitOf(kind as FileKind);
      if (upload.size > limit) throw refuse(tooLarge(limit));
      const principal = principalOf(req);
      if (!principal) throw refuse(platformErrors.AUTHENTICATION_REQUIRED());
      try {
        await service.checkUpload(principal, filmId);
      } catch (error) {
        if (error instanceof AppError) throw refuse(error);
        throw error;
      }
      const owner = principal.userId;
      if (!owner) throw refuse(platformErrors.AUTHENTICATION_REQUIRED());
      const size = upload.size;
      return serialised(async () => {
        const open = await openUploadsOf(owner);
        if (open.length >= limits.openPerUser)
          throw refuse(
            filesErrors.TOO_MANY_UPLOADS({
              detail: `At most ${limits.openPerUser} unfinished uploads per user; finish or delete one first.`,
            }),
          );
        const staged = open.reduce((n, u) => n + (u.size ?? 0), 0);
        if (staged + size > limits.stagedBytesPerUser)
          throw refuse(
            filesErrors.UPLOAD_QUOTA_EXCEEDED({
              detail: `Unfinished uploads of one user may add up to ${limits.stagedBytesPerUser} bytes.`,
            }),
          );
        return { metadata: { ...upload.metadata, [OWNER]: owner } };
      });
    },
    async onUploadFinish(req, upload) {
      const { kind, filmId, filename } = metadataOf(upload);
      const principal = principalOf(req);
      if (!principal) throw refuse(platformErrors.AUTHENTICATION_REQUIRED());
      try {
        const row = await service.upload({
          id: upload.id,
          source: datastore.read(upload.id),
          filename,
          kind: kind as FileKind,
          filmId,
          principal,
        });
        await datastore.remove(upload.id).catch(() => undefined);
        return { headers: { 'Kino-File-Id': row.id, 'Content-Location': `/api/v1/files/${row.id}` } };
      } catch (error) {
        if (error instanceof AppError) {
          // The bytes can never become a file: drop the staged copy.
          await datastore.remove(upload.id).catch(() => undefined);
          throw refuse(error);
        }
        logger.error({ err: error, upload_id: upload.id }, 'tus upload could not be stored');
        throw error;
      }
    },
  });

  return {
    async handle(request, reply) {
      principals.set(request.raw, request.principal);
      reply.hijack();
      await server.handle(request.raw, reply.raw);
    },
    cleanUp: () => server.cleanUpExpiredUploads(),
  };
}
