/**
 * Signed unsubscribe tokens: `<base64url payload>.<base64url HMAC-SHA256>`, so a link in a mail
 * works without logging in and cannot be forged for another user or category. The key comes from
 * NOTIFY_SIGNING_KEY or is generated once into KINO_DATA_DIR.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface UnsubscribeClaim {
  readonly userId: string;
  /** A category, or `all` for every optional category. */
  readonly category: string;
}

export interface Signer {
  sign(claim: UnsubscribeClaim): string;
  /** The claim of a genuine token, or null. */
  verify(token: string): UnsubscribeClaim | null;
}

export function loadSigningKey(configured: string | undefined, dataDir: string): Buffer {
  if (configured) return Buffer.from(configured, 'utf8');
  const file = path.join(dataDir, 'notify-signing.key');
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  } catch {
    mkdirSync(dataDir, { recursive: true });
    const key = randomBytes(32).toString('hex');
    try {
      writeFileSync(file, key + '\n', { mode: 0o600, flag: 'wx' });
    } catch {
      // Another process wrote it first: use theirs.
      return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    }
    return Buffer.from(key, 'hex');
  }
}

export function createSigner(key: Buffer): Signer {
  const mac = (payload: string) => createHmac('sha256', key).update(`unsubscribe:${payload}`).digest();
  return {
    sign(claim) {
      const payload = Buffer.from(`${claim.userId}|${claim.category}`, 'utf8').toString('base64url');
      return `${payload}.${mac(payload).toString('base64url')}`;
    },
    verify(token) {
      const [payload, signature, extra] = token.split('.');
      if (!payload || !signature || extra !== undefined) return null;
      // Compared as canonical text: decoding would accept other spellings of the same bytes.
      const given = Buffer.from(signature);
      const expected = Buffer.from(mac(payload).toString('base64url'));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      const [userId, category] = Buffer.from(payload, 'base64url').toString('utf8').split('|');
      return userId && category ? { userId, category } : null;
    },
  };
}
