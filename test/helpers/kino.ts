/**
 * A whole Kinoservice process for module and end-to-end tests, on the engines chosen by the
 * environment (see engines.ts), with HTTP through `app.inject()` (no sockets) unless `listen`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, MODULE_NAMES, type Config, type ModuleName } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';
import type { Clock } from '../../src/platform/clock.js';
import { createKernel, migrationSets, type Kernel } from '../../src/runtime/kernel.js';
import { loadModules } from '../../src/runtime/modules.js';
import type { HttpApp } from '../../src/platform/http/app.js';
import type { ModuleDefinition, ModuleExtras } from '../../src/platform/module.js';
import type { TokenVerifier } from '../../src/platform/security.js';
import { createMigratedTestSql, createTestBus, createTestCache, eventually } from './engines.js';

export interface TestKino {
  readonly kernel: Kernel;
  readonly app: HttpApp;
  readonly config: Config;
  readonly dataDir: string;
  /** The fresh PostgreSQL database this process runs on (unset on PGlite), for other processes to share. */
  readonly databaseUrl?: string;
  /**
   * Waits until the process is quiet: the outbox is drained AND every consumer group this process
   * subscribed has lag 0 (on JetStream consumers run apart from `publish`), checked again until
   * both hold at once, since consumers emit further events. Fails past the deadline, naming the
   * groups still behind.
   */
  settle(options?: { timeoutMs?: number }): Promise<void>;
  close(): Promise<void>;
}

export interface TestKinoOptions {
  modules?: readonly ModuleName[];
  /** Modules not among MODULE_NAMES to run beside `modules` (KernelOptions.extraModules). */
  extraModules?: readonly ModuleDefinition[];
  /** Extra environment (e.g. KINO_RATE_LIMIT=off). */
  env?: Record<string, string>;
  clock?: Clock;
  /** Run module workers (consumers) and the relay loop, as `kino start` does. Default true. */
  workers?: boolean;
  extras?: ModuleExtras;
  /** This process's token verifier, instead of the auth module's (fixed test callers). */
  tokens?: TokenVerifier;
}

export async function createTestKino(options: TestKinoOptions = {}): Promise<TestKino> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kino-test-'));
  const config = loadConfig({
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    KINO_DATA_DIR: dataDir,
    API_DOCS: 'on',
    // Test files search far faster than a person types; the budget's own test sets its limit.
    SEARCH_RATE_LIMIT: '1000000',
    ...options.env,
  });
  const logger = createLogger(config.logLevel);
  const modules = options.modules ?? MODULE_NAMES;
  const extraModules = options.extraModules ?? [];
  const testSql = await createMigratedTestSql(
    migrationSets([...(await loadModules(modules)), ...extraModules]),
  );
  const cache = await createTestCache();
  const bus = await createTestBus();
  const engines = {
    sql: testSql.sql,
    cache,
    bus,
    async close() {
      await bus.close();
      await cache.close();
      await testSql.close();
    },
  };
  const workers = options.workers ?? true;
  const kernel = await createKernel({
    config,
    logger,
    modules,
    extraModules,
    http: true,
    workers: workers ? ['*'] : [],
    relay: workers,
    migrate: true,
    engines,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.extras ? { extras: options.extras } : {}),
    ...(options.tokens ? { tokens: options.tokens } : {}),
  });
  await kernel.start();
  const app = kernel.app!;
  await app.ready();
  return {
    kernel,
    app,
    config,
    dataDir,
    ...(testSql.url ? { databaseUrl: testSql.url } : {}),
    async settle({ timeoutMs = 30_000 } = {}) {
      await eventually(
        async () => {
          while ((await kernel.relay.runOnce()) > 0) {
            /* until the outbox is empty */
          }
          const behind = [...(await kernel.consumerLag())].filter(([, lag]) => lag !== 0);
          if (behind.length > 0)
            throw new Error(`consumer groups behind: ${behind.map(([g, n]) => `${g}=${n}`).join(', ')}`);
          // Consumers that caught up may have emitted events of their own (committed before their ack).
          const backlog = await kernel.relay.backlog();
          if (backlog > 0) throw new Error(`outbox backlog: ${backlog}`);
          return true;
        },
        { timeoutMs, intervalMs: 10, what: 'relay drained and every consumer group caught up' },
      );
    },
    async close() {
      await kernel.close();
      await engines.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
