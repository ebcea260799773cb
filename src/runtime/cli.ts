/**
 * The `kino` command. Built-in commands run processes and migrations; modules add their own
 * (`kino import`, `kino etl rebuild`, `kino createsuperuser`, …) through their definitions.
 */
import { parseArgs } from 'node:util';
import {
  ConfigError,
  envExample,
  loadConfig,
  MODULE_NAMES,
  type Config,
  type ModuleName,
} from '../platform/config.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { migrate, MigrationError } from '../platform/migrations.js';
import type { Command, CommandContext, CommandKernel } from '../platform/module.js';
import { createKernel, allMigrationSets, VERSION } from './kernel.js';
import { createSql } from './container.js';
import { DataFolderInUseError } from './data-folder.js';
import { MODULES } from './modules.js';
import { run } from './server.js';

const out = process.stdout;
const err = process.stderr;

function parseModules(args: readonly string[], fallback: readonly ModuleName[]): ModuleName[] {
  const names = args
    .flatMap((a) => a.split(','))
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (names.length === 0 || names.includes('all')) return [...fallback];
  const unknown = names.filter((n) => !(MODULE_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new UsageError(`unknown module(s): ${unknown.join(', ')} (known: ${MODULE_NAMES.join(', ')})`);
  return names as ModuleName[];
}

class UsageError extends Error {}

const BUILTIN: Record<string, Command & { config?: false }> = {
  start: {
    summary: 'Run the all-in-one cinema: every module in SERVICES, workers and relay, migrations at boot.',
    usage: 'kino start',
    async run(ctx) {
      await run({
        config: ctx.config,
        logger: ctx.logger,
        modules: ctx.config.services,
        http: true,
        workers: ['*'],
        relay: true,
        migrate: true,
        seed: true,
      });
      return new Promise<number>(() => undefined);
    },
  },
  serve: {
    summary: 'Serve the HTTP routes of the given modules (no workers, no migrations).',
    usage: 'kino serve <module>[,<module>…]   (e.g. kino serve catalog auth)',
    async run(ctx) {
      const modules = parseModules(ctx.args, ctx.config.services);
      await run({
        config: ctx.config,
        logger: ctx.logger,
        modules,
        http: true,
        workers: [],
        relay: false,
        migrate: false,
        seed: false,
      });
      return new Promise<number>(() => undefined);
    },
  },
  worker: {
    summary:
      'Run background workers: relay, or workers of modules (etl, notifications, ugc-sink, transcode, …).',
    usage: 'kino worker <name>[,<name>…]   (relay runs the outbox relay)',
    async run(ctx) {
      const names = ctx.args.flatMap((a) => a.split(',')).filter(Boolean);
      if (names.length === 0) throw new UsageError('name at least one worker, e.g. kino worker relay etl');
      await run({
        config: ctx.config,
        logger: ctx.logger,
        modules: ctx.config.services,
        // /health and /ready on PORT for probes, /metrics on METRICS_PORT; no module routes.
        http: true,
        routes: false,
        workers: names.filter((n) => n !== 'relay'),
        relay: names.includes('relay'),
        migrate: false,
        seed: false,
      });
      return new Promise<number>(() => undefined);
    },
  },
  migrate: {
    summary: 'Apply every pending migration of every module, then exit.',
    usage: 'kino migrate',
    async run(ctx) {
      const sql = await createSql(ctx.config, ctx.logger, { dataFolder: 'join' });
      try {
        const applied = await migrate(sql, await allMigrationSets(), ctx.logger);
        ctx.stdout.write(
          applied.length === 0 ? 'Database is up to date.\n' : `Applied ${applied.length} migration(s).\n`,
        );
      } finally {
        await sql.close();
      }
    },
  },
  config: {
    summary: 'Print .env.example (every variable, its meaning and default).',
    usage: 'kino config example',
    config: false,
    async run(ctx) {
      if (ctx.args[0] !== 'example') throw new UsageError('usage: kino config example');
      ctx.stdout.write(envExample());
    },
  },
};

async function moduleCommands(): Promise<Map<string, { command: Command; module: ModuleName }>> {
  const found = new Map<string, { command: Command; module: ModuleName }>();
  for (const [name, load] of Object.entries(MODULES) as [
    ModuleName,
    () => Promise<{ commands?: Readonly<Record<string, Command>> }>,
  ][]) {
    const def = await load();
    for (const [cmd, command] of Object.entries(def.commands ?? {}))
      found.set(cmd, { command, module: name });
  }
  return found;
}

function help(commands: Map<string, { command: Command }>): string {
  const rows = [...Object.entries(BUILTIN), ...[...commands].map(([n, c]) => [n, c.command] as const)];
  return [
    `kino ${VERSION} — the back end of an online cinema`,
    '',
    'Commands:',
    ...rows.map(([name, c]) => `  ${name.padEnd(16)} ${c.summary}\n  ${' '.repeat(16)} ${c.usage}`),
    '',
    'Configuration comes from the environment: `kino config example` lists every variable.',
  ].join('\n');
}

function commandKernelFactory(config: Config, logger: Logger, fallback: readonly ModuleName[]) {
  return async (modules?: readonly ModuleName[]): Promise<CommandKernel> => {
    const kernel = await createKernel({
      config,
      logger,
      modules: modules ?? fallback,
      http: false,
      workers: [],
      relay: false,
      migrate: true,
      dataFolder: 'join',
    });
    return {
      services: kernel.services,
      context: {
        config,
        logger,
        sql: kernel.engines.sql,
        cache: kernel.engines.cache,
        bus: kernel.engines.bus,
        clock: { now: () => new Date() },
        metrics: kernel.metrics,
        services: kernel.services,
        tokens: kernel.tokens,
        extras: {},
      },
      async flushOutbox() {
        // The in-process bus has no consumers in a command: the rows wait in the outbox for the
        // server's relay (the running owner's, or the next start's), so that its consumers see them.
        if (kernel.engines.bus.engine === 'memory') return;
        while ((await kernel.relay.runOnce()) > 0) {
          /* publish until empty */
        }
      },
      close: () => kernel.close(),
    };
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: false,
    options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
  });
  if (values.version) {
    out.write(`${VERSION}\n`);
    return 0;
  }
  const [name] = positionals;
  const commands = await moduleCommands();
  if (!name || values.help || name === 'help') {
    out.write(help(commands) + '\n');
    return name || values.help ? 0 : 1;
  }
  const builtin = BUILTIN[name];
  const found = builtin ? { command: builtin, module: undefined } : commands.get(name);
  if (!found) {
    err.write(`kino: unknown command "${name}". Run \`kino help\` for the list.\n`);
    return 2;
  }
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      err.write(`kino: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  // Everything kino writes (the embedded database, keys, blobs, mail, the socket) is private to
  // the account that runs it.
  process.umask(0o077);
  const args = argv.slice(argv.indexOf(name) + 1);
  const ctx: CommandContext = {
    config,
    logger,
    args,
    stdout: out,
    stderr: err,
    kernel: commandKernelFactory(config, logger, found.module ? [found.module] : config.services),
  };
  try {
    return (await found.command.run(ctx)) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      err.write(`kino ${name}: ${error.message}\nusage: ${found.command.usage}\n`);
      return 2;
    }
    if (
      error instanceof MigrationError ||
      error instanceof ConfigError ||
      error instanceof DataFolderInUseError
    ) {
      err.write(`kino ${name}: ${error.message}\n`);
      return 1;
    }
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') {
      const metrics = (error as { port?: number }).port === config.metricsPort;
      err.write(
        metrics
          ? `kino ${name}: the metrics port ${config.metricsPort} on ${config.metricsHost} is already in use. Set METRICS_PORT to another one (or off).\n`
          : `kino ${name}: port ${config.port} on ${config.host} is already in use. Set PORT to another one.\n`,
      );
      return 1;
    }
    if (code === 'ECONNREFUSED') {
      err.write(
        `kino ${name}: cannot reach a server (${(error as Error).message}). Is it running? Check DATABASE_URL, REDIS_URL and NATS_URL.\n`,
      );
      return 1;
    }
    logger.fatal({ err: error }, `kino ${name} failed`);
    err.write(`kino ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
if (code !== 0) process.exit(code);
