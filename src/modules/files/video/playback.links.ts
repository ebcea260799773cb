/**
 * Signed playback paths: `<film>.<job>.<expires>.<signature>` sits in the URL path before the
 * package's files (`/api/v1/hls/<token>/master.m3u8`), so the relative URIs inside the playlists
 * carry it down to every rendition and segment with no playlist rewriting. The signature is an
 * HMAC-SHA256 of (film, job, expires) under the files link key, domain-separated from download
 * links by its own prefix, so neither kind of signature is valid as the other.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface PlaybackToken {
  readonly filmId: string;
  readonly jobId: string;
  /** Unix seconds. */
  readonly expires: number;
  readonly signature: string;
}

export interface PlaybackSigner {
  /** The path token for (film, job, expires). */
  token(filmId: string, jobId: string, expires: number): string;
  /** True when the token's signature is that of its (film, job, expires); does not look at the time. */
  verify(token: PlaybackToken): boolean;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** Lower-case ids, a decimal expiry without leading zeros, 43 base64url characters (32 bytes). */
const TOKEN = new RegExp(`^(${UUID})\\.(${UUID})\\.([1-9][0-9]{0,11})\\.([A-Za-z0-9_-]{43})$`);

/** Splits a path token into its parts; null when it is not one (any other spelling included). */
export function parsePlaybackToken(text: string): PlaybackToken | null {
  const m = TOKEN.exec(text);
  if (!m) return null;
  return { filmId: m[1]!, jobId: m[2]!, expires: Number(m[3]), signature: m[4]! };
}

export function createPlaybackSigner(secret: string | Buffer): PlaybackSigner {
  const mac = (filmId: string, jobId: string, expires: number) =>
    createHmac('sha256', secret)
      .update(`files.playback:${filmId}:${jobId}:${expires}`)
      .digest()
      .toString('base64url');
  return {
    token: (filmId, jobId, expires) => `${filmId}.${jobId}.${expires}.${mac(filmId, jobId, expires)}`,
    verify({ filmId, jobId, expires, signature }) {
      // The canonical text, compared in constant time (see files.links.ts: decoded bytes would
      // let one signature have several spellings).
      const expected = Buffer.from(mac(filmId, jobId, expires));
      const given = Buffer.from(signature);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
