/**
 * Temporary download links served by this service (local disk has no presigned URLs): the URL
 * carries an expiry and an HMAC-SHA256 of (file id, expiry) under a server-side key, so a link
 * cannot be extended or pointed at another file without the key.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface LinkSigner {
  sign(fileId: string, expiresAt: number): string;
  /** True when `signature` is the signature of (fileId, expiresAt); does not look at the time. */
  verify(fileId: string, expiresAt: number, signature: string): boolean;
}

export function createLinkSigner(secret: string | Buffer): LinkSigner {
  const mac = (fileId: string, expiresAt: number) =>
    createHmac('sha256', secret).update(`files.link:${fileId}:${expiresAt}`).digest();
  return {
    sign: (fileId, expiresAt) => mac(fileId, expiresAt).toString('base64url'),
    verify(fileId, expiresAt, signature) {
      // The canonical text, not the decoded bytes: Buffer's base64url decoder skips characters
      // outside the alphabet and ignores padding bits, so `sig!!`, `sig%3D` or another last
      // character would decode to the same bytes and one link would have many valid spellings.
      const expected = Buffer.from(mac(fileId, expiresAt).toString('base64url'));
      const given = Buffer.from(signature);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

/** FILES_LINK_SECRET, or a random key generated once into the data folder. */
export function loadLinkSecret(configured: string | undefined, dataDir: string): string | Buffer {
  if (configured) return configured;
  const file = path.join(dataDir, 'files-link.key');
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as { code?: string }).code === 'EEXIST')
      return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    throw error;
  }
}
