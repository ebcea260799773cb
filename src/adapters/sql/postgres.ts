import pg from 'pg';
import { SqlError, type Sql, type SqlExecutor } from '../../ports/sql.js';

const { Pool, types } = pg;

// One row shape on every adapter (see ports/sql.ts): int8 as number, date as 'YYYY-MM-DD'.
const parsers: Record<number, (value: string) => unknown> = {
  20: (value) => Number(value), // int8
  1082: (value) => value, // date
  1016: (value) => value.slice(1, -1).split(',').filter(Boolean).map(Number), // int8[]
};
const getTypeParser = ((oid: number, format?: string): unknown =>
  parsers[oid] ?? (types.getTypeParser(oid, format as 'text') as unknown)) as typeof types.getTypeParser;

function wrap(error: unknown): unknown {
  if (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    /^[0-9A-Z]{5}$/.test(error.code)
  ) {
    const constraint =
      'constraint' in error && typeof error.constraint === 'string' ? error.constraint : undefined;
    return new SqlError(error.message, error.code, constraint, { cause: error });
  }
  return error;
}

interface Client {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

function executor(client: Client): SqlExecutor {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []) {
      try {
        return (await client.query(text, params as unknown[])).rows as Row[];
      } catch (error) {
        throw wrap(error);
      }
    },
    async execute(text: string, params: readonly unknown[] = []) {
      try {
        return (await client.query(text, params as unknown[])).rowCount ?? 0;
      } catch (error) {
        throw wrap(error);
      }
    },
    async exec(script: string) {
      try {
        await client.query(script);
      } catch (error) {
        throw wrap(error);
      }
    },
  };
}

/** A `pg` pool on a PostgreSQL server. */
export async function createPostgresSql(
  url: string,
  options: { poolSize: number; applicationName?: string; onError?: (error: Error) => void },
): Promise<Sql> {
  const pool = new Pool({
    connectionString: url,
    max: options.poolSize,
    application_name: options.applicationName ?? 'kinoservice',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    types: { getTypeParser },
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', (error) => options.onError?.(error));
  const base = executor(pool);
  return {
    engine: 'postgres',
    ...base,
    async transaction(fn) {
      const client = await pool.connect().catch((error: unknown) => {
        throw wrap(error);
      });
      try {
        await client.query('BEGIN').catch((error: unknown) => {
          throw wrap(error);
        });
        let result;
        try {
          result = await fn(executor(client));
        } catch (error) {
          // The function's own error is rethrown unchanged (statements inside it are already wrapped).
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
        await client.query('COMMIT').catch(async (error: unknown) => {
          await client.query('ROLLBACK').catch(() => undefined);
          throw wrap(error);
        });
        return result;
      } finally {
        client.release();
      }
    },
    async ping() {
      await pool.query('select 1');
    },
    async close() {
      await pool.end();
    },
  };
}
