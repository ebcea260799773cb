/**
 * What a module is to the runtime. A module owns its schema(s), migrations, routes, workers and
 * one public service other modules may call when they run in the same process.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { BlobStore } from '../ports/blob.js';
import type { Bus } from '../ports/bus.js';
import type { Cache } from '../ports/cache.js';
import type { Mail } from '../ports/mail.js';
import type { Sql } from '../ports/sql.js';
import type { Clock } from './clock.js';
import type { Config, ModuleName } from './config.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { TokenVerifier } from './security.js';
import type { MigrationSet } from './migrations.js';

/** A background loop (event consumer, scheduler). `start` resolves once it is running. */
export interface Worker {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The public service of each module, by name. Empty here: a module that offers a service adds its
 * entry where it defines it, by declaration merging (as events do with `EventMap`):
 *
 *   declare module '../../platform/module.js' {
 *     interface ServiceMap { content: ContentService }
 *   }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface ServiceMap {}

/** Public services of the modules running in this process, by module name. */
export interface ServiceRegistry {
  /** The service of `module`, or undefined when it does not run in this process. */
  get<K extends keyof ServiceMap>(module: K): ServiceMap[K] | undefined;
  /** The service of `module`; throws when it does not run in this process. */
  require<K extends keyof ServiceMap>(module: K): ServiceMap[K];
}

/** Engines beyond sql, cache and bus, built only for the modules that declare they need them. */
export interface ModuleExtras {
  readonly blob?: BlobStore;
  readonly mail?: Mail;
}
export type ExtraName = keyof ModuleExtras;

/** Engines and platform services a module receives. */
export interface ModuleContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly sql: Sql;
  readonly cache: Cache;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly services: ServiceRegistry;
  /**
   * Checks access tokens for this process (the one the HTTP kernel uses): the auth module's when
   * it runs here, the auth service's published keys otherwise. Call it when a token is checked,
   * not during `create`: the auth module may be created after the caller.
   */
  readonly tokens: TokenVerifier;
  /** The extra engines this module declared in `needs`, built by the runtime (runtime/container.ts). */
  readonly extras: ModuleExtras;
}

export interface SeedOptions {
  /**
   * The banner reaches a person at a terminal. Otherwise stderr may be a log collector (docker,
   * systemd), so a generated secret goes to a private file in the data folder instead.
   */
  readonly terminal: boolean;
}

export interface ModuleInstance {
  /** The module's public service, registered under its name for co-located modules. */
  readonly service?: unknown;
  /** HTTP routes (absolute paths). */
  readonly routes?: FastifyPluginAsync;
  /**
   * Background workers by name (`kino worker <name>`). A worker that is a projection
   * (platform/projection.ts) is also backfilled by the kernel where it runs: at start and after a
   * command changed the database through this process.
   */
  readonly workers?: Readonly<Record<string, Worker>>;
  /** Runs after every module of the process is created (e.g. to subscribe to others' events). */
  ready?(): Promise<void>;
  /**
   * All-in-one first-run setup (`kino start` only): fill an empty database with what a new user
   * needs (demo catalogue, an admin). Returns lines for the start-up banner (stderr).
   */
  seed?(options?: SeedOptions): Promise<readonly string[]>;
  /**
   * Reloads what the module keeps in memory from the database. Runs in the process that owns
   * the embedded data folder after a `kino` command changed the database through it.
   */
  refresh?(): Promise<void>;
  close?(): Promise<void>;
}

export interface ModuleDefinition {
  readonly name: ModuleName;
  /** Schemas and migrations this module owns, applied in order. */
  readonly migrations: readonly MigrationSet[];
  /**
   * Modules this one needs in its process: whose services it calls, or whose tables it reads
   * (catalog's read model, content's tables). They are loaded with it, created (and seeded) first.
   */
  readonly uses?: readonly ModuleName[];
  /** Extra engines this module needs (`blob` for files, `mail` for notifications). */
  readonly needs?: readonly ExtraName[];
  create(ctx: ModuleContext): Promise<ModuleInstance>;
  /** Subcommands of `kino` this module provides (`kino import …`, `kino createsuperuser`). */
  readonly commands?: Readonly<Record<string, Command>>;
}

/** A process built for a command: engines migrated, the named modules created, no HTTP. */
export interface CommandKernel {
  readonly services: ServiceRegistry;
  readonly context: ModuleContext;
  /** Publishes pending outbox rows now (commands that emit events before exiting). */
  flushOutbox(): Promise<void>;
  close(): Promise<void>;
}

export interface CommandContext {
  readonly config: Config;
  readonly logger: Logger;
  /** Arguments after the command name. */
  readonly args: readonly string[];
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  /** Builds engines, applies migrations and creates `modules` (default: this command's module). */
  kernel(modules?: readonly ModuleName[]): Promise<CommandKernel>;
}

export interface Command {
  readonly summary: string;
  readonly usage: string;
  /** Resolves to the exit code (0 when omitted). */
  run(ctx: CommandContext): Promise<number | void>;
}
