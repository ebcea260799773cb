/**
 * The sql port: one PostgreSQL dialect, served by PGlite (embedded) or a `pg` pool (server).
 *
 * Guarantees every adapter keeps:
 * - Parameters are positional (`$1`, `$2`, …) and always sent separately from the text: never
 *   interpolated.
 * - Row values come back in one shape on every adapter: int2/int4/int8 and float as `number`,
 *   `numeric` as `string` (exact), `timestamptz` as `Date`, `date` as `'YYYY-MM-DD'` string,
 *   `json`/`jsonb` parsed, `uuid` as lower-case string, arrays as JS arrays.
 * - `transaction(fn)` runs `fn` on one connection inside BEGIN … COMMIT; if `fn` throws, the
 *   transaction is rolled back and the error is rethrown unchanged. Nested calls on a
 *   transaction handle reuse it (no savepoints).
 * - A failing statement rejects with a `SqlError` carrying the SQLSTATE `code` (e.g. `23505`).
 * - `close()` waits for running statements and then releases the engine; later calls reject.
 */
export interface SqlExecutor {
  /** Runs one statement and returns its rows (empty for statements without a result). */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs one statement and returns the number of rows it changed. */
  execute(text: string, params?: readonly unknown[]): Promise<number>;
  /** Runs several statements without parameters (migrations, scripts). */
  exec(script: string): Promise<void>;
}

export interface Sql extends SqlExecutor {
  /** Which engine answers: for logs, /ready and engine-specific SQL (rare). */
  readonly engine: 'pglite' | 'postgres';
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Resolves when the engine answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** An error raised by the engine for a statement, with the SQLSTATE code. */
export class SqlError extends Error {
  readonly code: string;
  readonly constraint: string | undefined;
  constructor(message: string, code: string, constraint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SqlError';
    this.code = code;
    this.constraint = constraint;
  }
}

/** SQLSTATE codes the modules branch on. */
export const SqlState = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
} as const;

/**
 * SQLSTATE class 22 (data exception): the values of this statement cannot be stored as they are
 * (a NUL or lone surrogate in json, a number out of range); retrying the same values never helps.
 */
export function isDataException(error: unknown): error is SqlError {
  return error instanceof SqlError && error.code.startsWith('22');
}

export function isSqlError(error: unknown, code?: string): error is SqlError {
  return error instanceof SqlError && (code === undefined || error.code === code);
}
