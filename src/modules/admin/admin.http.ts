/** Small HTTP helpers shared by the admin routes. */
import type { FastifyRequest } from 'fastify';
import { platformErrors, type ErrorFactory } from '../../platform/errors.js';
import { Permission, requirePermission } from '../../platform/security.js';
import { adminErrors } from './admin.errors.js';
import { contentErrors, type Actor } from './content.port.js';

/** What every admin content route may answer besides its own codes: see `editor` and `content()`. */
export const editorErrors = [platformErrors.PERMISSION_DENIED, adminErrors.CATALOG_NOT_IN_PROCESS];

/** What changing an object answers besides `editorErrors`: it is gone, or was changed since it was read. */
export const editErrors = (missing: ErrorFactory): ErrorFactory[] => [
  ...deleteErrors(missing),
  adminErrors.VERSION_REQUIRED,
];

/** What deleting an object answers besides `editorErrors` (the version it saw is optional). */
export const deleteErrors = (missing: ErrorFactory): ErrorFactory[] => [
  ...editorErrors,
  missing,
  contentErrors.VERSION_CONFLICT,
  adminErrors.INVALID_IF_MATCH,
];

/** Authorises a content edit and names who makes it (for the audit log). */
export function editor(request: FastifyRequest): Actor {
  const principal = request.principal;
  requirePermission(principal, Permission.crudFilms);
  return { id: principal.userId, login: principal.login };
}

const IF_MATCH = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/;

/**
 * The version an edit is based on: `version` in the body, else the If-Match header (an ETag
 * from GET, `"7"`). Edits without one are refused, so nobody overwrites a change they never saw.
 */
export function expectedVersion(
  request: FastifyRequest,
  fromBody: number | undefined,
  required: boolean,
): number | undefined {
  if (fromBody !== undefined) return fromBody;
  const header = request.headers['if-match'];
  if (typeof header === 'string' && header !== '') {
    const match = IF_MATCH.exec(header);
    if (!match?.[1]) throw adminErrors.INVALID_IF_MATCH();
    return Number(match[1]);
  }
  if (required) throw adminErrors.VERSION_REQUIRED();
  return undefined;
}

export const etag = (version: number) => `"${version}"`;

export type Defined<T> = { [K in keyof T]: Exclude<T[K], undefined> };

/** Drops keys whose value is undefined (exactOptionalPropertyTypes-friendly inputs). */
export function defined<T extends object>(value: T): Defined<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Defined<T>;
}

/** The content service answers `null` for an unknown id; the API answers `missing` (a 404). */
export function found<T>(value: T | null, missing: ErrorFactory): T {
  if (value === null) throw missing();
  return value;
}
