/** SQL shared by the rows that hold one value of a user's per item: a film's score, a review's reaction. */
import type { SqlExecutor } from '../../ports/sql.js';

/** The statements of one such row, keyed by ($1, $2); the value is $3. */
export interface SwapStatements {
  /** Inserts the row with the value, doing nothing when it exists. */
  readonly insert: string;
  /** Locks the row (FOR UPDATE) and selects its value as `value`. */
  readonly lock: string;
  /** Sets the row's value. */
  readonly update: string;
}

/**
 * Sets the row's value and returns the previous one (null if there was no row). Two writes to one
 * row serialise on its lock: the second sees the first's value as its previous.
 */
export async function swapValue(
  db: SqlExecutor,
  statements: SwapStatements,
  key: readonly [string, string],
  value: number,
): Promise<number | null> {
  for (;;) {
    if ((await db.execute(statements.insert, [...key, value])) === 1) return null;
    const [row] = await db.query<{ value: number }>(statements.lock, [...key]);
    // Deleted between the two statements: try the insert again.
    if (!row) continue;
    if (row.value !== value) await db.execute(statements.update, [...key, value]);
    return row.value;
  }
}
