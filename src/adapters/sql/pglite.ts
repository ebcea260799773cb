import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { mkdirSync } from 'node:fs';
import { SqlError, type Sql, type SqlExecutor } from '../../ports/sql.js';
import { createExclusive, serveWire, type Exclusive, type WireServer } from './pglite-wire.js';

export type { WireServer } from './pglite-wire.js';

type Queryable = Pick<PGlite, 'query' | 'exec'> | Transaction;

function wrap(error: unknown): unknown {
  // Only engine errors carry a five-character SQLSTATE; errors thrown by a transaction callback
  // (already wrapped, or the caller's own, such as FILM_NOT_FOUND) pass through unchanged.
  if (error instanceof SqlError) return error;
  if (
    error &&
    typeof error === 'object' &&
    'code' in error &&
    typeof error.code === 'string' &&
    /^[0-9A-Z]{5}$/.test(error.code)
  ) {
    const constraint =
      'constraint' in error && typeof error.constraint === 'string' ? error.constraint : undefined;
    return new SqlError(String((error as { message?: unknown }).message), error.code, constraint, {
      cause: error,
    });
  }
  return error;
}

/** PGlite that can also be reached from other processes (see pglite-wire.ts). */
export interface PgliteSql extends Sql {
  /**
   * Serves this database over the PostgreSQL wire protocol on a Unix socket at `path` (mode
   * 0600). Clients share PGlite's one session with this process, one unit of work at a time.
   */
  serve(
    path: string,
    hooks?: { onSessionEnd?: () => void; onError?: (error: unknown) => void },
  ): Promise<WireServer>;
  /** The whole data directory as an uncompressed tarball, which `loadDataDir` starts from. */
  dumpDataDir(): Promise<Blob>;
}

/** Statements outside a transaction run one at a time under `lock`. */
function locked(lock: Exclusive, inner: SqlExecutor): SqlExecutor {
  const hold = async <T>(fn: () => Promise<T>): Promise<T> => {
    const release = await lock.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  };
  return {
    query: (text, params) => hold(() => inner.query(text, params)),
    execute: (text, params) => hold(() => inner.execute(text, params)),
    exec: (script) => hold(() => inner.exec(script)),
  };
}

function executor(db: Queryable): SqlExecutor {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []) {
      try {
        const result = await db.query<Row>(text, params as unknown[]);
        return result.rows;
      } catch (error) {
        throw wrap(error);
      }
    },
    async execute(text: string, params: readonly unknown[] = []) {
      try {
        const result = await db.query(text, params as unknown[]);
        return result.affectedRows ?? 0;
      } catch (error) {
        throw wrap(error);
      }
    },
    async exec(script: string) {
      try {
        await db.exec(script);
      } catch (error) {
        throw wrap(error);
      }
    },
  };
}

/**
 * PGlite (PostgreSQL compiled to WASM) in `dataDir`, or in memory when `dataDir` is `memory://`.
 * It has one session: statements and transactions of this process and of every wire client
 * (`serve`) take one exclusive lock, a transaction for its whole length, so none interleaves.
 */
export async function createPgliteSql(
  dataDir: string,
  options: {
    /**
     * shared_buffers, e.g. '32MB'. PGlite's own default (128MB) is zeroed, so resident, at start;
     * a small buffer cache keeps the all-in-one process small (reads still hit the OS cache).
     */
    sharedBuffers?: string;
    /** Start from this tarball of a data directory (`dumpDataDir`) instead of running initdb. */
    loadDataDir?: Blob;
  } = {},
): Promise<PgliteSql> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir.startsWith('memory://') ? undefined : dataDir, {
    extensions: { pg_trgm },
    parsers: { [types.DATE]: (value: string) => value },
    ...(options.loadDataDir && { loadDataDir: options.loadDataDir }),
    ...(options.sharedBuffers && {
      startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${options.sharedBuffers}`],
    }),
  });
  const lock = createExclusive();
  const base = locked(lock, executor(db));
  const servers = new Set<WireServer>();
  let closed = false;
  return {
    engine: 'pglite',
    ...base,
    async transaction(fn) {
      const release = await lock.acquire();
      try {
        return await db.transaction((tx) => fn(executor(tx)));
      } catch (error) {
        throw wrap(error);
      } finally {
        release();
      }
    },
    async ping() {
      if (closed) throw new Error('database is closed');
      await base.query('select 1');
    },
    async serve(path, hooks = {}) {
      const server = await serveWire({ db, lock, path, ...hooks });
      servers.add(server);
      return {
        path: server.path,
        async close() {
          servers.delete(server);
          await server.close();
        },
      };
    },
    async dumpDataDir() {
      const release = await lock.acquire();
      try {
        return await db.dumpDataDir('none');
      } finally {
        release();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const server of [...servers]) await server.close();
      servers.clear();
      await db.close();
    },
  };
}
