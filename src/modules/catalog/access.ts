/**
 * The film access rule (ADR 0005), written once: FREE for everyone, PAID with PAID_FILMS or
 * CRUD_FILMS, ARCHIVED with CRUD_FILMS. Catalog, ugc and files all decide through it, so a change
 * of the rule is one change.
 */
import { hasPermission, Permission, type Principal } from '../../platform/security.js';
import type { AccessLevel } from '../content/index.js';

/** Access levels `principal` may see, most open first. */
export function visibleLevels(principal: Principal): AccessLevel[] {
  const admin = hasPermission(principal, Permission.crudFilms);
  const levels: AccessLevel[] = ['FREE'];
  if (admin || hasPermission(principal, Permission.paidFilms)) levels.push('PAID');
  if (admin) levels.push('ARCHIVED');
  return levels;
}

/**
 * Whether `principal` may see a film of level `access`. An unknown level (a file of no film, a
 * film not yet projected) is as closed as ARCHIVED: only those who edit films see it.
 */
export function canSee(principal: Principal, access: AccessLevel | null): boolean {
  return visibleLevels(principal).includes(access ?? 'ARCHIVED');
}
