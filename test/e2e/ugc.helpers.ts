/**
 * Helpers for the ugc tests: callers with chosen permissions (a test token verifier for the
 * process) and films created the way production creates them, by content events.
 */
import { randomUUID } from 'node:crypto';
import { emit } from '../../src/platform/outbox.js';
import { event } from '../../src/platform/events.js';
import type { Principal, TokenVerifier } from '../../src/platform/security.js';
import { platformErrors } from '../../src/platform/errors.js';
import type { AccessLevel } from '../../src/modules/content/index.js';
import '../../src/modules/content/index.js';
import '../../src/modules/ugc/index.js';
import type { TestKino } from '../helpers/kino.js';

export interface TestUser {
  readonly id: string;
  readonly login: string;
  readonly token: string;
  readonly headers: { authorization: string };
}

export const ADMIN = ['CRUD_ROLE', 'ASSIGN_ROLE', 'FREE_FILMS', 'PAID_FILMS', 'CRUD_FILMS'];
export const SUBSCRIBER = ['FREE_FILMS', 'PAID_FILMS'];
export const VIEWER = ['FREE_FILMS'];

/**
 * Callers for one process: `tokens` verifies exactly the tokens `user()` hands out
 * (`createTestKino({ tokens: users.tokens })`).
 */
export function testUsers() {
  const principals = new Map<string, Principal>();
  const tokens: TokenVerifier = {
    async verify(token) {
      const p = principals.get(token);
      if (!p) throw platformErrors.TOKEN_INVALID();
      return p;
    },
  };
  return {
    tokens,
    user(permissions: readonly string[] = VIEWER, login = `u${randomUUID().slice(0, 8)}`): TestUser {
      const id = randomUUID();
      const token = `t${randomUUID().replace(/-/g, '')}`;
      principals.set(token, {
        kind: 'user',
        userId: id,
        sessionId: randomUUID(),
        login,
        roles: [],
        permissions: new Set(permissions),
      });
      return { id, login, token, headers: { authorization: `Bearer ${token}` } };
    },
  };
}

/** Creates (or changes) a film through a content.film.upserted event and waits for the projection. */
export async function newFilm(
  kino: TestKino,
  film: { id?: string; title?: string; access?: AccessLevel; rating?: number | null; version?: number } = {},
): Promise<string> {
  const id = film.id ?? randomUUID();
  const version = film.version ?? 1;
  await kino.kernel.engines.sql.transaction((tx) =>
    emit(tx, [
      event('content.film.upserted', id, {
        film: {
          id,
          title: film.title ?? `Film ${id.slice(0, 6)}`,
          description: null,
          creation_date: null,
          rating: film.rating === undefined ? 7.5 : film.rating,
          type: 'movie',
          access: film.access ?? 'FREE',
          genre_ids: [],
          person_ids: [],
          version,
          modified: new Date().toISOString(),
        },
        previous: null,
      }),
    ]),
  );
  await kino.settle();
  const rows = await kino.kernel.engines.sql.query<{ version: number }>(
    'SELECT version FROM ugc.film WHERE id = $1',
    [id],
  );
  if (rows[0] === undefined || rows[0].version < version)
    throw new Error(`the ugc film projection lacks ${id} v${version} once every consumer caught up`);
  return id;
}

/** Counts rows of a ugc table (optionally filtered). */
export async function count(
  kino: TestKino,
  from: string,
  where = 'true',
  params: unknown[] = [],
): Promise<number> {
  const [row] = await kino.kernel.engines.sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${from} WHERE ${where}`,
    params,
  );
  return row?.n ?? 0;
}

/** Outbox events of `type` written so far. */
export async function outboxEvents<T = unknown>(kino: TestKino, type: string): Promise<T[]> {
  const rows = await kino.kernel.engines.sql.query<{ payload: T }>(
    'SELECT payload FROM platform.outbox WHERE type = $1 ORDER BY seq',
    [type],
  );
  return rows.map((r) => r.payload);
}

/** Response shapes the tests read. */
export interface ProblemJson {
  readonly code: string;
  readonly status: number;
}
export interface RatingJson {
  readonly film_id: string;
  readonly average: number | null;
  readonly votes: number;
  readonly user_score: number | null;
}
export interface ReviewJson {
  readonly id: string;
  readonly film_id: string;
  readonly author: { readonly id: string; readonly login: string; readonly rating: number | null };
  readonly text: string;
  readonly likes: number;
  readonly dislikes: number;
  readonly my_reaction: 'like' | 'dislike' | null;
}
export interface ProgressJson {
  readonly film_id: string;
  readonly position_s: number;
  readonly updated_at: string;
  readonly in_continue_watching: boolean;
}
export interface FilmItemJson {
  readonly film_id: string;
  readonly title: string;
  readonly watched_at: string;
}
export interface IngestJson {
  readonly accepted: number;
  readonly rejected: { index: number; errors: { field: string; message: string }[] }[];
}
