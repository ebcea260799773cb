/**
 * The upload pipeline, independent of the transport (multipart or tus): read the first bytes to
 * learn what the file really is, then pass every chunk on while counting and hashing, failing
 * the stream as soon as the size limit is passed (so the blob store discards what it had).
 */
import { createHash } from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type';
import { filesErrors } from './files.errors.js';

export const FILE_KINDS = ['poster', 'video', 'trailer', 'other'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

/** Kinds anyone may read whatever their film's access level: a film's shop window. */
export const PUBLIC_KINDS: readonly FileKind[] = ['poster', 'trailer'];
export const isPublicKind = (kind: FileKind): boolean => PUBLIC_KINDS.includes(kind);

const VIDEO_TYPES = [
  'video/mp4',
  'video/webm',
  'video/x-matroska',
  'video/quicktime',
  'video/x-m4v',
  'video/mp2t',
  'video/ogg',
  'video/mpeg',
  'video/x-msvideo',
];

/** Media types each kind accepts; `other` accepts anything but programs. */
const ACCEPTED: Readonly<Record<Exclude<FileKind, 'other'>, readonly string[]>> = {
  poster: ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif'],
  video: VIDEO_TYPES,
  trailer: VIDEO_TYPES,
};
const PROGRAMS = new Set([
  'application/x-msdownload',
  'application/x-elf',
  'application/x-mach-binary',
  'application/x-executable',
  'application/vnd.microsoft.portable-executable',
  'application/x-sharedlib',
]);

/** file-type needs at most this many bytes to recognise a format. */
const SNIFF_BYTES = 4100;

export const tooLarge = (limit: number) =>
  filesErrors.FILE_TOO_LARGE({
    detail: `The file is larger than the ${limit} bytes this kind of file may have.`,
    headers: { connection: 'close' },
  });

export interface Sniffed {
  readonly contentType: string;
  /** The bytes read so far followed by the rest of the source, counted and hashed. */
  readonly body: AsyncIterable<Uint8Array>;
  /** Valid once `body` has been read to its end. */
  result(): { size: number; sha256: string };
}

/** Reads the head of `source`, refuses a type `kind` does not accept (415), returns the guarded body. */
export async function sniff(
  source: AsyncIterable<Uint8Array>,
  kind: FileKind,
  limit: number,
): Promise<Sniffed> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  let done = false;
  while (headBytes < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.from(next.value);
    head.push(chunk);
    headBytes += chunk.length;
  }
  const first = Buffer.concat(head);
  if (first.length > limit) {
    await iterator.return?.();
    throw tooLarge(limit);
  }
  const detected = await fileTypeFromBuffer(first);
  const mime = detected?.mime ?? 'application/octet-stream';
  const accepted = kind === 'other' ? !PROGRAMS.has(mime) : ACCEPTED[kind].includes(mime);
  if (!accepted) {
    await iterator.return?.();
    throw filesErrors.UNSUPPORTED_FILE_TYPE({
      detail:
        kind === 'other'
          ? `Programs (${mime}) are not accepted.`
          : `A ${kind} must be one of ${ACCEPTED[kind].join(', ')}; this file is ${detected ? mime : 'of an unknown type'}.`,
    });
  }

  const hash = createHash('sha256');
  let size = 0;
  let finished = false;
  const take = (chunk: Uint8Array) => {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    hash.update(chunk);
    return chunk;
  };
  async function* body(): AsyncGenerator<Uint8Array> {
    if (first.length > 0) yield take(first);
    if (!done) {
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        yield take(next.value);
      }
    }
    finished = true;
  }
  let digest: string | undefined;
  return {
    contentType: mime,
    body: body(),
    result() {
      if (!finished) throw new Error('the body has not been read to its end');
      digest ??= hash.digest('hex');
      return { size, sha256: digest };
    },
  };
}

/** A display name that is only a name: no folders, no control characters, at most 255 chars. */
export function sanitizeFilename(raw: string | undefined): string {
  const base = (raw ?? '').normalize('NFC').split(/[\\/]/).pop() ?? '';
  const clean = base
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
    .replace(/[<>:"|?*]/g, '_')
    .replace(/^[.\s]+/, '')
    .trim();
  const cut = [...clean].slice(0, 255).join('');
  return cut === '' ? 'file' : cut;
}
