/**
 * The auth module: accounts, sessions, access tokens (JWT) and their keys, roles and permissions,
 * MFA, social login and rate limits. Its service offers the verifier of the tokens it signs, which
 * the kernel makes its process's verifier.
 */
import './auth.events.js';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TokenVerifier } from '../../platform/security.js';
import { createJwtVerifier, SESSION_REGISTRY_KEY } from '../../platform/tokens.js';
import type { FastifyPluginAsync } from 'fastify';
import type { ModuleDefinition } from '../../platform/module.js';
import { accountRoutes } from './account.routes.js';
import { adminRoutes } from './admin.routes.js';
import { createSuperuserCommand, keysCommand } from './auth.commands.js';
import { authRoutes } from './auth.routes.js';
import { mfaRoutes } from './mfa.routes.js';
import { profileRoutes } from './profile.routes.js';
import { createAuthService, type AuthService } from './auth.service.js';
import { createSealer, masterSecret, randomToken } from './crypto.js';
import { createKeyStore, keySettings, type KeyStore } from './keys.js';
import { oauthRoutes } from './oauth.routes.js';
import { createOAuthService } from './oauth.service.js';
import { checkPassword, createPasswordHasher } from './passwords.js';
import { createMaintenanceWorker, MAINTENANCE_WORKER } from './maintenance.worker.js';
import { createRateLimiter } from './rate-limit.js';
import { createRoleRepository } from './role.repository.js';
import { createUserRepository } from './user.repository.js';
import { createRolesService, type RolesService } from './roles.service.js';

export type { AuthService } from './auth.service.js';

/** Where a first start that is not at a terminal leaves the generated admin password. */
export const ADMIN_PASSWORD_FILE = 'admin-password.txt';
export type { RolesService } from './roles.service.js';

/** What `ctx.services.get('auth')` returns to co-located modules and commands. */
export interface AuthModuleService {
  readonly auth: AuthService;
  readonly roles: RolesService;
  readonly keys: KeyStore;
  /** Verifies the access tokens this module signs (sessions checked in its own database). */
  readonly tokens: TokenVerifier;
  /** Creates an administrator, or gives ADMIN to an existing account; idempotent. */
  ensureSuperuser(input: {
    login: string;
    email: string;
    password: string;
  }): Promise<'created' | 'promoted' | 'unchanged'>;
}

declare module '../../platform/module.js' {
  interface ServiceMap {
    auth: AuthModuleService;
  }
}

const MAINTENANCE_MS = 6 * 60 * 60 * 1000;
const REGISTRY_SECONDS = 300;

export const authModule: ModuleDefinition = {
  name: 'auth',
  migrations: [{ module: 'auth', schema: 'auth', dir: new URL('./migrations/auth/', import.meta.url) }],
  commands: { createsuperuser: createSuperuserCommand, keys: keysCommand },
  async create(ctx) {
    const { sql, cache, clock, logger, config } = ctx;
    const sealer = createSealer(masterSecret(config.authKeySecret, config.dataDir));
    const keys = createKeyStore({
      sql,
      sealer,
      clock,
      logger,
      ...keySettings(config),
      reloadMs: 60_000,
    });
    await keys.init();
    const hasher = createPasswordHasher(config.authHashConcurrency);
    const auth = createAuthService({ sql, cache, clock, logger, config, keys, hasher, sealer });
    const roles = createRolesService({
      sql,
      clock,
      endSessions: (id, reason) => auth.endSessions(id, reason),
      grantsChanged: (rows) => auth.markLive(rows),
    });
    const limiter = createRateLimiter({
      cache,
      clock,
      logger,
      enabled: config.rateLimit,
      perMinute: config.authRateLimit,
    });
    const oauth = createOAuthService({ sql, clock, logger, config, accounts: auth, sessions: auth });

    // Verified against the same clock the tokens are signed with.
    const tokens = createJwtVerifier({
      keys: keys.resolve,
      session: auth.sessionStatus,
      maxLifetimeSeconds: config.authAccessTtl,
      now: () => clock.now(),
    });
    // Tells services without the auth module that the session registry is kept (docs/adr/0032):
    // renewed well within its lifetime, so only a flushed or unreachable cache loses it.
    const registry = () => cache.set(SESSION_REGISTRY_KEY, '1', REGISTRY_SECONDS);
    await registry();
    const registryTimer = setInterval(() => void registry(), (REGISTRY_SECONDS / 5) * 1000);
    registryTimer.unref();

    await auth.ensurePartitions();
    const maintenance = createMaintenanceWorker({
      tasks: {
        'login history partitions': auth.ensurePartitions,
        'expired single-use tokens': auth.pruneTokens,
        'login throttle': auth.pruneThrottle,
      },
      intervalMs: MAINTENANCE_MS,
      logger: logger.child({ worker: MAINTENANCE_WORKER }),
    });

    async function ensureSuperuser(input: {
      login: string;
      email: string;
      password: string;
    }): Promise<'created' | 'promoted' | 'unchanged'> {
      const existing = await createUserRepository(sql).adminStatus(input.login);
      if (existing) {
        if (existing.is_admin) return 'unchanged';
        await createRoleRepository(sql).grantAdmin(existing.id);
        return 'promoted';
      }
      checkPassword(input.password, { login: input.login, email: input.email });
      await auth.createUser({
        login: input.login,
        email: input.email,
        passwordHash: await hasher.hash(input.password),
        emailVerified: true,
        roles: ['ADMIN', 'UNSUB_USER'],
      });
      return 'created';
    }

    const service: AuthModuleService = { auth, roles, keys, tokens, ensureSuperuser };
    const routes: FastifyPluginAsync = async (app) => {
      await app.register(authRoutes({ auth, keys, limiter }));
      await app.register(profileRoutes({ auth, limiter }));
      await app.register(mfaRoutes({ auth, limiter }));
      await app.register(accountRoutes({ auth, limiter }));
      await app.register(adminRoutes({ roles, auth }));
      await app.register(oauthRoutes({ oauth, limiter, config }));
    };
    return {
      service,
      routes,
      workers: { [MAINTENANCE_WORKER]: maintenance },
      // `kino keys rotate` beside a running server: publish and sign with the new key now.
      refresh: () => keys.reload(),
      async seed(options = { terminal: false }) {
        if ((await createRoleRepository(sql).holderCount('ADMIN')) > 0) return [];
        const login = 'admin';
        const password = randomToken(15);
        await ensureSuperuser({ login, email: 'admin@kinoservice.local', password });
        // Never through the logger: once on the terminal, or in a file only this account reads.
        if (options.terminal)
          return [
            `Admin     login "${login}", password "${password}" (shown once: change it after logging in)`,
          ];
        const file = path.join(config.dataDir, ADMIN_PASSWORD_FILE);
        writeFileSync(file, `${password}\n`, { mode: 0o600 });
        chmodSync(file, 0o600);
        return [
          `Admin     login "${login}", password in ${file} (change it after logging in, then delete the file)`,
        ];
      },
      async close() {
        clearInterval(registryTimer);
        await auth.settle();
        keys.close();
      },
    };
  },
};
