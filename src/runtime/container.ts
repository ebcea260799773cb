/**
 * Builds the engines from configuration: an engine is chosen by its URL being set. Adapters are
 * imported lazily, so the all-in-one process never loads a driver it does not use.
 */
import path from 'node:path';
import type { BlobStore } from '../ports/blob.js';
import type { Bus } from '../ports/bus.js';
import type { Cache } from '../ports/cache.js';
import type { Mail } from '../ports/mail.js';
import type { Sql } from '../ports/sql.js';
import type { Config } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { recordDeadLetter } from '../platform/consumer.js';
import { claimDataFolder, DataFolderInUseError, makePrivate, securePrivateFolder } from './data-folder.js';

export interface Engines {
  readonly sql: Sql;
  readonly cache: Cache;
  readonly bus: Bus;
  /**
   * Owner of an embedded data folder: `listener` runs when a `kino` command that worked on the
   * database through this process has ended, so in-memory state can be reloaded.
   */
  onExternalChange?(listener: () => void): void;
  close(): Promise<void>;
}

export interface SqlOptions {
  /**
   * The embedded data folder: `own` it (a server; refuses if another process does) or `join`
   * whoever owns it (a command: through the owner's socket, or as the owner when none runs).
   */
  dataFolder: 'own' | 'join';
  /** Owner only: a client of the data folder ended its session. */
  onSessionEnd?: () => void;
}

export async function createSql(config: Config, logger: Logger, options: SqlOptions): Promise<Sql> {
  if (config.databaseUrl) {
    const { createPostgresSql } = await import('../adapters/sql/postgres.js');
    return createPostgresSql(config.databaseUrl, {
      poolSize: config.databasePoolSize,
      onError: (error) => logger.warn({ err: error }, 'postgres client error'),
    });
  }
  const dataDir = config.dataDir;
  const command = ['kino', ...process.argv.slice(2, 3)].join(' ');
  const claim = await claimDataFolder(dataDir, {
    command,
    onStaleLock: (stale) =>
      logger.warn(
        { stale_pid: stale.pid, stale_command: stale.command },
        'the data folder was left locked by a process that no longer runs; taking over',
      ),
  });
  if (claim.kind === 'client') {
    if (options.dataFolder === 'own')
      throw new DataFolderInUseError(
        `${dataDir} is in use by ${claim.command} (pid ${claim.pid}). Stop it first, or set KINO_DATA_DIR to another folder.`,
      );
    logger.debug({ pid: claim.pid }, 'working through the process that owns the data folder');
    const { createPostgresSql } = await import('../adapters/sql/postgres.js');
    const sql = await createPostgresSql(
      `postgres://postgres@localhost/postgres?host=${encodeURIComponent(claim.socketDir)}`,
      {
        // The owner runs one unit of work at a time; more connections would only wait.
        poolSize: 1,
        applicationName: command,
        onError: (error) => logger.warn({ err: error }, 'connection to the data folder owner lost'),
      },
    );
    // Same engine, same SQL: reached through its owner.
    return { ...sql, engine: 'pglite' };
  }
  try {
    const { createPgliteSql } = await import('../adapters/sql/pglite.js');
    const pgdata = path.join(dataDir, 'pgdata');
    const sql = await createPgliteSql(pgdata, { sharedBuffers: config.pgliteBuffers });
    makePrivate(pgdata);
    const server = await sql
      .serve(claim.socketPath, {
        ...(options.onSessionEnd && { onSessionEnd: options.onSessionEnd }),
        onError: (error) => logger.warn({ err: error }, 'data folder client error'),
      })
      .catch(async (error: unknown) => {
        await sql.close();
        throw error;
      });
    claim.serving();
    return {
      ...sql,
      async close() {
        await server.close();
        await sql.close();
        claim.release();
      },
    };
  } catch (error) {
    claim.release();
    throw error;
  }
}

export async function createCache(config: Config, logger: Logger): Promise<Cache> {
  if (config.redisUrl) {
    const { createRedisCache } = await import('../adapters/cache/redis.js');
    return createRedisCache(config.redisUrl, {
      namespace: config.redisPrefix,
      onError: (error) => logger.warn({ err: error }, 'redis unavailable; cache and rate limits fail open'),
    });
  }
  const { createMemoryCache } = await import('../adapters/cache/memory.js');
  return createMemoryCache({ maxEntries: config.cacheSize });
}

export async function createBus(config: Config, logger: Logger, sql: Sql): Promise<Bus> {
  const onDeadLetter = (
    group: string,
    message: { id: string; type: string; payload: unknown },
    error: unknown,
  ) => {
    logger.error({ err: error, group, event_id: message.id, type: message.type }, 'event dead-lettered');
    void recordDeadLetter(sql, group, message, error).catch((e: unknown) =>
      logger.error({ err: e }, 'cannot record dead letter'),
    );
  };
  if (config.natsUrl) {
    const { createNatsBus } = await import('../adapters/bus/nats.js');
    return createNatsBus({
      url: config.natsUrl,
      stream: config.natsStream,
      subjectPrefix: config.natsStream.toLowerCase(),
      onDeadLetter,
      onError: (error) => logger.warn({ err: error }, 'nats connection problem'),
    });
  }
  const { createMemoryBus } = await import('../adapters/bus/memory.js');
  return createMemoryBus({ onDeadLetter });
}

/** The blob store: S3 when S3_ENDPOINT is set, else KINO_DATA_DIR/blobs on local disk. */
export async function createBlob(config: Config, logger: Logger): Promise<BlobStore> {
  if (config.s3Endpoint) {
    const { createS3BlobStore } = await import('../adapters/blob/s3.js');
    logger.debug({ endpoint: config.s3Endpoint, bucket: config.s3Bucket }, 'blob store: s3');
    return createS3BlobStore({
      endpoint: config.s3Endpoint,
      region: config.s3Region,
      bucket: config.s3Bucket,
      ...(config.s3AccessKeyId ? { accessKeyId: config.s3AccessKeyId } : {}),
      ...(config.s3SecretAccessKey ? { secretAccessKey: config.s3SecretAccessKey } : {}),
    });
  }
  const { createLocalBlobStore } = await import('../adapters/blob/local.js');
  return createLocalBlobStore({ root: path.join(config.dataDir, 'blobs') });
}

export async function createEngines(
  config: Config,
  logger: Logger,
  options: Pick<SqlOptions, 'dataFolder'>,
): Promise<Engines> {
  // Generated keys, blobs and mail live here even when the database does not.
  securePrivateFolder(config.dataDir);
  const listeners = new Set<() => void>();
  const sql = await createSql(config, logger, {
    ...options,
    onSessionEnd: () => {
      for (const listener of listeners) listener();
    },
  });
  try {
    const cache = await createCache(config, logger);
    const bus = await createBus(config, logger, sql);
    return {
      sql,
      cache,
      bus,
      onExternalChange: (listener) => void listeners.add(listener),
      async close() {
        await bus.close().catch((e: unknown) => logger.warn({ err: e }, 'bus close failed'));
        await cache.close().catch((e: unknown) => logger.warn({ err: e }, 'cache close failed'));
        await sql.close().catch((e: unknown) => logger.warn({ err: e }, 'sql close failed'));
      },
    };
  } catch (error) {
    await sql.close().catch(() => undefined);
    throw error;
  }
}

/**
 * The mail engine (SMTP when SMTP_URL is set, else .eml files in KINO_DATA_DIR/mail). The adapter
 * is loaded on first use, so processes that never send mail never load nodemailer.
 */
export function createMail(config: Config, logger: Logger): Mail {
  let loaded: Promise<Mail> | undefined;
  const load = () =>
    (loaded ??= (async () => {
      if (config.smtpUrl) {
        const { createSmtpMail } = await import('../adapters/mail/smtp.js');
        return createSmtpMail({
          url: config.smtpUrl,
          from: config.mailFrom,
          onError: (error) => logger.warn({ err: error }, 'smtp connection problem'),
        });
      }
      const { createFileMail } = await import('../adapters/mail/file.js');
      return createFileMail({ dir: path.join(config.dataDir, 'mail'), from: config.mailFrom });
    })());
  return {
    engine: config.smtpUrl ? 'smtp' : 'file',
    send: async (message) => (await load()).send(message),
    ping: async () => (await load()).ping(),
    close: async () => {
      if (loaded) await (await loaded).close();
    },
  };
}
