/**
 * Assembles one process: engines, migrations, modules, HTTP app, workers and the outbox relay.
 * `kino start`, `kino serve`, `kino worker` and the tests all build through here.
 */
import { readFileSync } from 'node:fs';
import { MODULE_NAMES, type Config, type ModuleName } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { createMetrics, type Metrics } from '../platform/metrics.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { migrate, PLATFORM_MIGRATIONS, type MigrationSet } from '../platform/migrations.js';
import { trackingGroups } from '../platform/consumer.js';
import { createOutboxRelay, type OutboxRelay } from '../platform/outbox.js';
import { isProjection, type Projection } from '../platform/projection.js';
import { createHttpApp, type HttpApp } from '../platform/http/app.js';
import type {
  ModuleContext,
  ModuleDefinition,
  ModuleExtras,
  ModuleInstance,
  ServiceRegistry,
  Worker,
} from '../platform/module.js';
import { refuseAllTokens, type TokenVerifier } from '../platform/security.js';
import { cacheSessionCheck, createJwksKeySource, createJwtVerifier } from '../platform/tokens.js';
import { createBlob, createEngines, createMail, type Engines } from './container.js';
import { loadModules, MODULES } from './modules.js';

export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface KernelOptions {
  config: Config;
  logger: Logger;
  /** Modules whose routes and services this process runs. */
  modules: readonly ModuleName[];
  /**
   * Modules run beside `modules` that are not among the product's (`MODULE_NAMES`): the example
   * module of CONTRIBUTING.md, which its test builds from the text. Each comes after the modules
   * it uses and serves its routes. A registered module is named in `modules` instead.
   */
  extraModules?: readonly ModuleDefinition[];
  /** Build the HTTP app (false for commands and tests without HTTP). */
  http: boolean;
  /** Mount the modules' routes on the HTTP app (default true); `kino worker` serves only /health and /ready. */
  routes?: boolean;
  /** Worker names to run (`*` = every worker of the loaded modules). */
  workers: readonly string[];
  /** Run the outbox relay in this process. */
  relay: boolean;
  /** Apply migrations at boot (all-in-one); distributed deployments run `kino migrate`. */
  migrate: boolean;
  /**
   * The embedded data folder: a server `own`s it (default), a command `join`s its owner. See
   * runtime/data-folder.ts.
   */
  dataFolder?: 'own' | 'join';
  clock?: Clock;
  engines?: Engines;
  /** Extra engines for modules (blob, mail) supplied by the caller instead of built from config. */
  extras?: ModuleExtras;
  /**
   * Checks access tokens instead of the auth module or the auth service's keys (tests with
   * callers of their own).
   */
  tokens?: TokenVerifier;
}

export interface Kernel {
  readonly config: Config;
  readonly logger: Logger;
  readonly engines: Engines;
  readonly metrics: Metrics;
  readonly app: HttpApp | undefined;
  readonly relay: OutboxRelay;
  readonly services: ServiceRegistry;
  readonly instances: ReadonlyMap<ModuleName, ModuleInstance>;
  /** This process's token verifier: what the HTTP kernel and the modules (`ctx.tokens`) check tokens with. */
  readonly tokens: TokenVerifier;
  /**
   * Lag of every durable consumer group this process has subscribed (null where the bus cannot
   * tell, e.g. the group is gone): the `kino_consumer_lag` gauge, and how tests know the consumers
   * have caught up with what the relay published.
   */
  consumerLag(): Promise<ReadonlyMap<string, number | null>>;
  /** Starts workers and the relay (the HTTP listener is the caller's). */
  start(): Promise<void>;
  /** Stops workers, relay and HTTP, then closes the engines. Idempotent. */
  close(): Promise<void>;
}

/** Migration sets for `modules`, platform first, each schema once. */
export function migrationSets(defs: readonly ModuleDefinition[]): MigrationSet[] {
  const sets: MigrationSet[] = [PLATFORM_MIGRATIONS];
  for (const def of defs)
    for (const set of def.migrations) if (!sets.some((s) => s.module === set.module)) sets.push(set);
  return sets;
}

/** Every module's migrations, for `kino migrate`. */
export async function allMigrationSets(): Promise<MigrationSet[]> {
  return migrationSets(await loadModules(Object.keys(MODULES) as ModuleName[]));
}

/** The definitions of `modules` and of the modules they use, then `extra` (see KernelOptions). */
async function withExtraModules(
  modules: readonly ModuleName[],
  extra: readonly ModuleDefinition[],
): Promise<ModuleDefinition[]> {
  const extraNames = new Set(extra.map((d) => d.name));
  const used = extra.flatMap((d) => d.uses ?? []).filter((name) => !extraNames.has(name));
  const defs = await loadModules([...modules, ...used]);
  for (const def of extra) {
    if (defs.some((d) => d.name === def.name)) throw new Error(`module ${def.name} is loaded twice`);
    defs.push(def);
  }
  return defs;
}

export async function createKernel(options: KernelOptions): Promise<Kernel> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const metrics = createMetrics({
    service: MODULE_NAMES.every((m) => options.modules.includes(m)) ? 'kino' : options.modules.join('+'),
  });
  const engines =
    options.engines ?? (await createEngines(config, logger, { dataFolder: options.dataFolder ?? 'own' }));
  try {
    const defs = await withExtraModules(options.modules, options.extraModules ?? []);
    // Routes only of the modules this process serves; modules loaded because they are used
    // contribute their services, not their routes.
    const served = new Set([...options.modules, ...(options.extraModules ?? []).map((d) => d.name)]);
    if (options.migrate) await migrate(engines.sql, migrationSets(defs), logger);

    // Extra engines are built only for what the loaded modules declare in `needs` (files: blob,
    // notifications: mail, which loads its driver on first use). A caller (tests) may supply its own.
    const needed = new Set(defs.flatMap((d) => d.needs ?? []));
    const blob = options.extras?.blob ?? (needed.has('blob') ? await createBlob(config, logger) : undefined);
    const mail = options.extras?.mail ?? (needed.has('mail') ? createMail(config, logger) : undefined);
    const extras: ModuleExtras = { ...(blob ? { blob } : {}), ...(mail ? { mail } : {}) };
    const ownedExtras: { close(): Promise<void> }[] = [];
    if (blob && blob !== options.extras?.blob) ownedExtras.push(blob);
    if (mail && mail !== options.extras?.mail) ownedExtras.push(mail);

    const services = new Map<ModuleName, unknown>();
    const registry: ServiceRegistry = {
      get: (name) => services.get(name) as never,
      require: (name) => {
        const service = services.get(name);
        if (service === undefined) throw new Error(`module ${name} is not running in this process`);
        return service as never;
      },
    };
    // Groups this process consumes, for the kino_consumer_lag gauge.
    const { bus, groups } = trackingGroups(engines.bus);
    const consumerLag = async () =>
      new Map(await Promise.all([...groups].map(async (g) => [g, await bus.lag(g)] as const)));
    metrics.labelledGauge(
      'kino_consumer_lag',
      'Events not yet delivered to a durable consumer group this process runs.',
      'group',
      async () => [...(await consumerLag())].flatMap(([g, n]) => (n === null ? [] : [[g, n] as const])),
    );
    // One verifier per process, given to the HTTP kernel and to every module. Which one is known
    // once the modules exist (auth makes its own), so until then it refuses every token.
    let verifier: TokenVerifier = refuseAllTokens;
    const tokens: TokenVerifier = { verify: (token) => verifier.verify(token) };
    const ctx: ModuleContext = {
      config,
      logger,
      sql: engines.sql,
      cache: engines.cache,
      bus,
      clock,
      metrics,
      services: registry,
      tokens,
      extras,
    };
    const instances = new Map<ModuleName, ModuleInstance>();
    for (const def of defs) {
      const instance = await def.create({ ...ctx, logger: logger.child({ module: def.name }) });
      instances.set(def.name, instance);
      if (instance.service !== undefined) services.set(def.name, instance.service);
    }
    // The caller's; else the auth module's when it runs here; else, with an auth service
    // elsewhere, one that trusts its published keys; else nobody's.
    verifier =
      options.tokens ??
      registry.get('auth')?.tokens ??
      (config.authUrl
        ? createJwtVerifier({
            keys: createJwksKeySource(config.authUrl),
            session: cacheSessionCheck(engines.cache),
            maxLifetimeSeconds: config.authAccessTtl,
          })
        : refuseAllTokens);
    for (const instance of instances.values()) await instance.ready?.();
    const wanted = new Set(options.workers);
    const workers: [string, Worker][] = [];
    for (const instance of instances.values()) {
      for (const [name, worker] of Object.entries(instance.workers ?? {})) {
        if (wanted.has('*') || wanted.has(name)) workers.push([name, worker]);
      }
    }
    // Projections this process runs are backfilled here: at start (after a seed) and after a
    // command changed the database through it (an import). A failed backfill is logged, never
    // fatal: the events keep the copy current, and the next start walks the source again.
    const projections = workers.flatMap(([, w]) => (isProjection(w) ? [w] : []));
    let started = false;
    const backfill = async (projection: Projection) => {
      await projection
        .backfill()
        .catch((e: unknown) =>
          logger.warn({ err: e, group: projection.group }, 'projection backfill failed'),
        );
    };

    // A command changed the database through this process (it owns the embedded folder): what
    // modules hold in memory (signing keys, the read model's cache version) is reloaded, and
    // projections catch up with what it wrote.
    let refreshing: Promise<void> | undefined;
    engines.onExternalChange?.(() => {
      refreshing ??= (async () => {
        for (const [name, instance] of instances)
          await instance
            .refresh?.()
            .catch((e: unknown) => logger.warn({ err: e, module: name }, 'reload after a command failed'));
        if (started) for (const projection of projections) await backfill(projection);
        logger.debug('reloaded after a command');
      })().finally(() => (refreshing = undefined));
    });

    const relay = createOutboxRelay({
      sql: engines.sql,
      bus: engines.bus,
      logger: logger.child({ worker: 'relay' }),
    });
    metrics.gauge('kino_outbox_backlog', 'Outbox events not yet published to the bus.', () =>
      relay.backlog(),
    );

    const app = options.http
      ? await createHttpApp({
          logger,
          metrics,
          bodyLimit: config.bodyLimit,
          trustProxy: config.trustProxy,
          docs: config.docs,
          https: config.baseUrl.startsWith('https:'),
          version: VERSION,
          tokens,
          readiness: [
            { name: `sql:${engines.sql.engine}`, check: () => engines.sql.ping() },
            ...(blob ? [{ name: `blob:${blob.engine}`, check: () => blob.ping() }] : []),
            // Fail-open engines: reported, but a replica stays in rotation without them.
            { name: `cache:${engines.cache.engine}`, check: () => engines.cache.ping(), required: false },
            { name: `bus:${engines.bus.engine}`, check: () => engines.bus.ping(), required: false },
          ],
          plugins:
            options.routes === false
              ? []
              : [...instances].flatMap(([name, i]) => (i.routes && served.has(name) ? [i.routes] : [])),
        })
      : undefined;

    let closed = false;
    return {
      config,
      logger,
      engines,
      metrics,
      app,
      relay,
      services: registry,
      instances,
      tokens,
      consumerLag,
      async start() {
        for (const [name, worker] of workers) {
          await worker.start();
          logger.debug({ worker: name }, 'worker started');
        }
        // Subscribed first, so nothing changes unseen between the walk and the events.
        for (const projection of projections) await backfill(projection);
        started = true;
        if (options.relay) relay.start();
      },
      async close() {
        if (closed) return;
        closed = true;
        if (app) await app.close().catch((e: unknown) => logger.warn({ err: e }, 'http close failed'));
        for (const [name, worker] of workers.reverse()) {
          await worker
            .stop()
            .catch((e: unknown) => logger.warn({ err: e, worker: name }, 'worker stop failed'));
        }
        await relay.stop().catch((e: unknown) => logger.warn({ err: e }, 'relay stop failed'));
        for (const instance of [...instances.values()].reverse()) {
          await instance.close?.().catch((e: unknown) => logger.warn({ err: e }, 'module close failed'));
        }
        for (const extra of ownedExtras)
          await extra.close().catch((e: unknown) => logger.warn({ err: e }, 'engine close failed'));
        if (!options.engines) await engines.close();
      },
    };
  } catch (error) {
    if (!options.engines) await engines.close();
    throw error;
  }
}
