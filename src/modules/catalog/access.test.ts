/** The one access rule every module decides film visibility with (ADR 0005). */
import { describe, expect, it } from 'vitest';
import { ANONYMOUS, Permission, type Principal } from '../../platform/security.js';
import { canSee, visibleLevels } from './access.js';

const user = (...permissions: string[]): Principal => ({
  kind: 'user',
  userId: '00000000-0000-4000-8000-000000000001',
  sessionId: null,
  login: 'u',
  roles: [],
  permissions: new Set(permissions),
});

describe('film access rule', () => {
  it('gives FREE to everyone, PAID to subscribers and editors, ARCHIVED to editors only', () => {
    expect(visibleLevels(ANONYMOUS)).toEqual(['FREE']);
    expect(visibleLevels(user(Permission.freeFilms))).toEqual(['FREE']);
    expect(visibleLevels(user(Permission.freeFilms, Permission.paidFilms))).toEqual(['FREE', 'PAID']);
    expect(visibleLevels(user(Permission.crudFilms))).toEqual(['FREE', 'PAID', 'ARCHIVED']);
  });

  it('treats an unknown level as ARCHIVED', () => {
    expect(canSee(user(Permission.paidFilms), 'PAID')).toBe(true);
    expect(canSee(user(Permission.paidFilms), 'ARCHIVED')).toBe(false);
    expect(canSee(user(Permission.paidFilms), null)).toBe(false);
    expect(canSee(user(Permission.crudFilms), null)).toBe(true);
  });
});
