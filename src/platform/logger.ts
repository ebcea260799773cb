import { pino, type Logger, type DestinationStream } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

/** Paths whose values never reach a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.new_password',
  '*.old_password',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.secret',
  'password',
  'secret',
  'token',
];

/**
 * Query parameters that carry a one-time secret (email and unsubscribe tokens, signed download
 * links, OAuth code and state, S3 presigned signatures): their values never reach the access log.
 * Any name containing one of the `SECRET_PARAM_PARTS` counts too (`X-Amz-Security-Token`, `mfa_token`).
 */
export const SECRET_QUERY_PARAMS = ['sig', 'code', 'state', 'key', 'otp', 'ticket'] as const;
const SECRET_PARAM_PARTS = ['token', 'signature', 'secret', 'password', 'credential'] as const;

export function isSecretParam(name: string): boolean {
  const n = name.toLowerCase();
  return (
    (SECRET_QUERY_PARAMS as readonly string[]).includes(n) || SECRET_PARAM_PARTS.some((p) => n.includes(p))
  );
}

/** A playback path: its last dot-separated part is the signature (`<film>.<job>.<expires>.<sig>`). */
const SIGNED_PATH = /^(\/api\/v1\/hls\/[^/?#]*\.)[^/?#.]+(?=[/?#]|$)/;

/**
 * The request target as it may be logged: secret query values, and the signature of a playback
 * path, replaced by `[redacted]`. The rest of the path and the other parameters stay as sent, so a
 * log line still says which link was used.
 */
export function redactUrl(target: string): string {
  const url = target.replace(SIGNED_PATH, '$1[redacted]');
  const q = url.indexOf('?');
  if (q === -1) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash === -1 ? undefined : hash);
  const parts = query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const rawName = eq === -1 ? pair : pair.slice(0, eq);
    let name = rawName;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
    } catch {
      // A malformed escape: judge the raw name.
    }
    return eq !== -1 && isSecretParam(name) ? `${rawName}=[redacted]` : pair;
  });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/** JSON logs on stdout (or `destination`), secrets redacted. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
