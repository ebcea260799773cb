/**
 * The files service: rules for uploading, reading, linking and deleting files, free of HTTP so
 * routes, tus, commands and tests call the same functions.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { BlobRead, BlobStore, ByteRange } from '../../ports/blob.js';
import type { Sql, SqlExecutor } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import { platformErrors } from '../../platform/errors.js';
import { event } from '../../platform/events.js';
import type { Logger } from '../../platform/logger.js';
import { emit } from '../../platform/outbox.js';
import { Permission, requirePermission, type Principal } from '../../platform/security.js';
import { canSee, catalogErrors, visibleLevels } from '../catalog/index.js';
import type { AccessLevel } from '../content/index.js';
import { filesErrors } from './files.errors.js';
import { contentDisposition } from './files.http.js';
import { isPublicKind, sanitizeFilename, sniff, type FileKind } from './files.ingest.js';
import type { LinkSigner } from './files.links.js';
import { createFilesRepository, type FileRow, type FilesRepository } from './files.repository.js';

export interface FilesServiceDeps {
  readonly sql: Sql;
  readonly repo: FilesRepository;
  readonly blob: BlobStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly links: LinkSigner;
  readonly limits: Readonly<Record<FileKind, number>>;
  /** Public base URL (no trailing slash) for poster and link URLs. */
  readonly baseUrl: string;
}

export interface UploadInput {
  readonly source: AsyncIterable<Uint8Array>;
  readonly filename: string | undefined;
  readonly kind: FileKind;
  readonly filmId: string | null;
  readonly principal: Principal;
  /** A given id (tus uploads keep theirs); else a new one. */
  readonly id?: string;
}

export interface OpenedContent {
  readonly file: FileRow;
  readonly read: BlobRead;
}

/**
 * Who may read a file: posters and trailers everyone; the rest follows its film's access level
 * (catalog's rule).
 */
export function mayRead(principal: Principal, kind: FileKind, access: AccessLevel | null): boolean {
  return isPublicKind(kind) || canSee(principal, access);
}

const SHORT_ALPHABET = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function shortName(): string {
  const bytes = randomBytes(12);
  return [...bytes].map((b) => SHORT_ALPHABET[b % SHORT_ALPHABET.length]).join('');
}

export const blobKeyOf = (id: string) => `files/${id.slice(0, 2)}/${id}`;
export const BLOB_PREFIX = 'files/';

export function createFilesService(deps: FilesServiceDeps) {
  const { sql, repo, blob, clock, logger } = deps;

  const contentUrl = (id: string) => `${deps.baseUrl}/api/v1/files/${id}/content`;

  async function readable(id: string, principal: Principal): Promise<FileRow> {
    const file = await repo.find(id);
    if (!file) throw filesErrors.FILE_NOT_FOUND();
    if (!mayRead(principal, file.kind, file.access)) {
      if (principal.kind === 'anonymous') throw platformErrors.AUTHENTICATION_REQUIRED();
      throw catalogErrors.FILM_ACCESS_DENIED();
    }
    return file;
  }

  async function posterEvent(tx: SqlExecutor, filmId: string) {
    const current = await createFilesRepository(tx).currentPoster(filmId);
    await emit(tx, [
      event('files.poster.changed', filmId, {
        filmId,
        fileId: current?.id ?? null,
        url: current ? contentUrl(current.id) : null,
      }),
    ]);
  }

  /** Checks what can be checked before any byte arrives (permission, film). */
  async function checkUpload(principal: Principal, filmId: string | null): Promise<void> {
    requirePermission(principal, Permission.crudFilms);
    if (filmId !== null && (await repo.filmAccess(filmId)) === null) throw catalogErrors.FILM_NOT_FOUND();
  }

  return {
    contentUrl,
    limitOf: (kind: FileKind) => deps.limits[kind],

    checkUpload,

    /**
     * Streams `source` into the blob store (type checked on the first bytes, size limited,
     * hashed), then records it; a poster attached to a film announces the film's new poster.
     * On any failure neither the blob nor the row remains.
     */
    async upload(input: UploadInput): Promise<FileRow> {
      await checkUpload(input.principal, input.filmId);
      const limit = deps.limits[input.kind];
      const sniffed = await sniff(input.source, input.kind, limit);
      const id = input.id ?? randomUUID();
      const key = blobKeyOf(id);
      await blob.put(key, sniffed.body, { contentType: sniffed.contentType });
      const { size, sha256 } = sniffed.result();
      try {
        return await sql.transaction(async (tx) => {
          const row = await createFilesRepository(tx).insert({
            id,
            short_name: shortName(),
            blob_key: key,
            filename: sanitizeFilename(input.filename),
            size,
            content_type: sniffed.contentType,
            sha256,
            kind: input.kind,
            film_id: input.filmId,
            created_by: input.principal.userId,
          });
          if (row.kind === 'poster' && row.film_id) await posterEvent(tx, row.film_id);
          return row;
        });
      } catch (error) {
        await blob.delete(key).catch((e: unknown) => logger.warn({ err: e, key }, 'cannot remove blob'));
        throw error;
      }
    },

    async get(id: string, principal: Principal): Promise<FileRow> {
      return readable(id, principal);
    },

    async list(
      query: { filmId?: string; kind?: FileKind; page: number; size: number },
      principal: Principal,
    ): Promise<{ rows: FileRow[]; total: number }> {
      return repo.list(
        {
          ...(query.filmId ? { filmId: query.filmId } : {}),
          ...(query.kind ? { kind: query.kind } : {}),
          limit: query.size,
          offset: (query.page - 1) * query.size,
        },
        visibleLevels(principal),
      );
    },

    /** Removes the metadata (and announces a film's poster change), then the blob. */
    async remove(id: string, principal: Principal): Promise<void> {
      requirePermission(principal, Permission.crudFilms);
      const removed = await sql.transaction(async (tx) => {
        const row = await createFilesRepository(tx).remove(id);
        if (row?.kind === 'poster' && row.film_id) await posterEvent(tx, row.film_id);
        return row;
      });
      if (!removed) throw filesErrors.FILE_NOT_FOUND();
      // A blob left by a crash here is found and removed by `kino files gc`.
      await blob.delete(removed.blob_key);
    },

    /** The file a caller (or a valid signed link) may read; throws 404/401/403 otherwise. */
    async authorise(
      id: string,
      who: { principal: Principal } | { expires: number; signature: string },
    ): Promise<FileRow> {
      if ('principal' in who) return readable(id, who.principal);
      if (!deps.links.verify(id, who.expires, who.signature)) throw filesErrors.LINK_INVALID();
      if (clock.now().getTime() > who.expires * 1000) throw filesErrors.LINK_EXPIRED();
      const file = await repo.find(id);
      if (!file) throw filesErrors.FILE_NOT_FOUND();
      return file;
    },

    async open(file: FileRow, range?: ByteRange): Promise<BlobRead> {
      const read = await blob.get(file.blob_key, range);
      if (!read) {
        logger.error({ file_id: file.id, key: file.blob_key }, 'file metadata without blob');
        throw filesErrors.FILE_CONTENT_MISSING();
      }
      return read;
    },

    /** A URL anyone holding it may GET until it expires: presigned by S3, or signed by us. */
    async link(
      id: string,
      principal: Principal,
      expiresIn: number,
    ): Promise<{ url: string; expires_at: Date }> {
      const file = await readable(id, principal);
      const expiresAt = Math.floor(clock.now().getTime() / 1000) + expiresIn;
      const presigned = await blob.signedUrl(file.blob_key, {
        expiresIn,
        contentType: file.content_type,
        contentDisposition: dispositionOf(file),
      });
      const url =
        presigned ??
        `${contentUrl(file.id)}?expires=${expiresAt}&signature=${deps.links.sign(file.id, expiresAt)}`;
      return { url, expires_at: new Date(expiresAt * 1000) };
    },
  };
}

export type FilesService = ReturnType<typeof createFilesService>;

export const dispositionOf = (file: Pick<FileRow, 'kind' | 'filename'>) =>
  contentDisposition(file.kind === 'other' ? 'attachment' : 'inline', file.filename);
