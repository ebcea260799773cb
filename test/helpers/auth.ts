/**
 * A context for the auth module's service tests: a migrated database (PGlite, or PostgreSQL with
 * DATABASE_URL), a cache, a clock the test moves, a signing key, and the module's own services
 * wired as the module wires them.
 */
import { afterAll, beforeAll } from 'vitest';
import { loadConfig, type Config } from '../../src/platform/config.js';
import { ManualClock } from '../../src/platform/clock.js';
import { createLogger } from '../../src/platform/logger.js';
import { migrate, PLATFORM_MIGRATIONS } from '../../src/platform/migrations.js';
import type { Cache } from '../../src/ports/cache.js';
import type { Sql } from '../../src/ports/sql.js';
import { createAuthService, type AuthService } from '../../src/modules/auth/auth.service.js';
import { createSealer, randomToken, type Sealer } from '../../src/modules/auth/crypto.js';
import { authModule } from '../../src/modules/auth/index.js';
import { createKeyStore, keySettings, type KeyStore } from '../../src/modules/auth/keys.js';
import { createPasswordHasher, type PasswordHasher } from '../../src/modules/auth/passwords.js';
import type { UserRow } from '../../src/modules/auth/user.repository.js';
import { createMigratedTestSql, createTestCache, uniq } from './engines.js';

export const logger = createLogger('silent');

export interface AuthTestContext {
  readonly sql: Sql;
  readonly cache: Cache;
  readonly clock: ManualClock;
  readonly config: Config;
  readonly sealer: Sealer;
  readonly hasher: PasswordHasher;
  readonly keys: KeyStore;
  /** The module's services, composed as the module composes them. */
  readonly auth: AuthService;
  /** A new account through the accounts service, with a password and a proven address. */
  newUser(over?: { roles?: readonly string[]; emailVerified?: boolean }): Promise<{
    user: UserRow;
    password: string;
  }>;
  /** Payloads of the events of this type written to the outbox for `key`, oldest first. */
  events<P = Record<string, unknown>>(type: string, key: string): Promise<P[]>;
  close(): Promise<void>;
}

export const client = { ip: '203.0.113.7', userAgent: 'test' };

export async function createAuthTestContext(env: Record<string, string> = {}): Promise<AuthTestContext> {
  const sets = [PLATFORM_MIGRATIONS, ...authModule.migrations];
  const db = await createMigratedTestSql(sets);
  const sql = db.sql;
  await migrate(sql, sets, logger);
  const cache = await createTestCache();
  const clock = new ManualClock(new Date());
  const config = loadConfig({ LOG_LEVEL: 'silent', KINO_DATA_DIR: '/nonexistent', ...env });
  const sealer = createSealer(randomToken(32));
  const hasher = createPasswordHasher(2);
  const keys = createKeyStore({
    sql,
    sealer,
    clock,
    logger,
    ...keySettings(config),
  });
  await keys.init();
  const auth = createAuthService({ sql, cache, clock, logger, config, keys, hasher, sealer });
  await auth.ensurePartitions();
  return {
    sql,
    cache,
    clock,
    config,
    sealer,
    hasher,
    keys,
    auth,
    async newUser(over = {}) {
      const password = `pw-${randomToken(12)}`;
      const login = uniq('user');
      const user = await auth.createUser({
        login,
        email: `${login}@example.com`,
        passwordHash: await hasher.hash(password),
        emailVerified: over.emailVerified ?? true,
        ...(over.roles ? { roles: over.roles } : {}),
      });
      return { user, password };
    },
    async events<P>(type: string, key: string): Promise<P[]> {
      const rows = await sql.query<{ payload: P }>(
        'SELECT payload FROM platform.outbox WHERE type = $1 AND key = $2 ORDER BY seq',
        [type, key],
      );
      return rows.map((r) => r.payload);
    },
    async close() {
      await auth.settle();
      keys.close();
      await cache.close();
      await db.close();
    },
  };
}

/**
 * The context of a whole test file: created before its first test, closed after its last (after
 * the file's own afterAll hooks, which vitest runs in reverse order of registration).
 */
export function useAuthTestContext(env: Record<string, string> = {}): AuthTestContext {
  const context = {} as AuthTestContext;
  beforeAll(async () => {
    Object.assign(context, await createAuthTestContext(env));
  });
  afterAll(async () => (context as Partial<AuthTestContext>).close?.());
  return context;
}

/** The claims of a compact JWS, unverified (the tests check what was signed). */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}
