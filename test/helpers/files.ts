/**
 * Helpers for files tests: fixed test tokens mapped to principals, multipart bodies, tiny real
 * file headers, and film events as the content module would emit them.
 */
import { randomUUID } from 'node:crypto';
import type { Principal, TokenVerifier } from '../../src/platform/security.js';
import { platformErrors } from '../../src/platform/errors.js';
import { emit } from '../../src/platform/outbox.js';
import { event } from '../../src/platform/events.js';
import type { Sql } from '../../src/ports/sql.js';
import '../../src/modules/content/index.js';

const user = (login: string, roles: string[], permissions: string[]): Principal => ({
  kind: 'user',
  userId: randomUUID(),
  sessionId: randomUUID(),
  login,
  roles,
  permissions: new Set(permissions),
});

export const TOKENS = {
  admin: user('admin', ['ADMIN'], ['CRUD_ROLE', 'ASSIGN_ROLE', 'FREE_FILMS', 'PAID_FILMS', 'CRUD_FILMS']),
  sub: user('sub', ['SUB_USER'], ['FREE_FILMS', 'PAID_FILMS']),
  unsub: user('unsub', ['UNSUB_USER'], ['FREE_FILMS']),
  /** A second editor: may upload, but not into another editor's upload. */
  editor: user('editor', ['EDITOR'], ['FREE_FILMS', 'PAID_FILMS', 'CRUD_FILMS']),
} as const;

export const auth = (who: keyof typeof TOKENS) => ({ authorization: `Bearer test-${who}` });

/** A verifier that knows the fixed test tokens: `createTestKino({ tokens: testTokens })`. */
export const testTokens: TokenVerifier = {
  async verify(token) {
    const name = token.replace(/^test-/, '') as keyof typeof TOKENS;
    const principal = TOKENS[name];
    if (!principal) throw platformErrors.TOKEN_INVALID();
    return principal;
  },
};

/** A multipart/form-data body with `fields` first, then one file part. */
export function multipart(
  fields: Record<string, string>,
  file: { filename: string; data: Buffer; type?: string },
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----kino${randomUUID().replace(/-/g, '')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields))
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.filename}"\r\n` +
        `Content-Type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`,
    ),
  );
  parts.push(file.data, Buffer.from(`\r\n--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(parts),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** Real file-format headers followed by filler, so type detection sees what it would in the wild. */
export const fakeFile = {
  png(size: number, fill = 0x42): Buffer {
    const head = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
    return Buffer.concat([head, patterned(size - head.length, fill)]);
  },
  mp4(size: number, fill = 0x17): Buffer {
    const head = Buffer.from('0000001866747970697336d00000000069736f6d6d703432', 'hex');
    head.write('ftypisom', 4, 'latin1');
    return Buffer.concat([head, patterned(size - head.length, fill)]);
  },
  exe(size: number): Buffer {
    const head = Buffer.alloc(128);
    head.write('MZ', 0, 'latin1');
    head.writeUInt32LE(64, 0x3c);
    head.write('PE\0\0', 64, 'latin1');
    return Buffer.concat([head, patterned(size - head.length, 0x90)]);
  },
};

/** Bytes whose value depends on their position, so a wrong slice never compares equal. */
export function patterned(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(Math.max(size, 0));
  for (let i = 0; i < out.length; i++) out[i] = (i * 31 + seed + (i >> 8)) & 0xff;
  return out;
}

export type Access = 'FREE' | 'PAID' | 'ARCHIVED';

/** Emits content.film.upserted as the content module does. */
export async function emitFilm(
  sql: Sql,
  access: Access,
  id: string = randomUUID(),
  version = 1,
): Promise<string> {
  await sql.transaction((tx) =>
    emit(tx, [
      event('content.film.upserted', id, {
        film: {
          id,
          title: `Film ${id.slice(0, 4)}`,
          description: null,
          creation_date: null,
          rating: null,
          type: 'movie',
          access,
          genre_ids: [],
          person_ids: [],
          version,
          modified: new Date().toISOString(),
        },
        previous: null,
      }),
    ]),
  );
  return id;
}
