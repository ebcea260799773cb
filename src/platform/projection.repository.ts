/** Where each projection's last backfill is recorded (platform.projection). */
import type { SqlExecutor } from '../ports/sql.js';

export function createProjectionRepository(db: SqlExecutor) {
  return {
    /** The source mark of the group's last backfill, or null if it never ran. */
    async lastMark(group: string): Promise<string | null> {
      const [row] = await db.query<{ source_mark: string }>(
        'SELECT source_mark FROM platform.projection WHERE group_name = $1',
        [group],
      );
      return row?.source_mark ?? null;
    },

    async recordBackfill(group: string, mark: string, rows: number): Promise<void> {
      await db.execute(
        `INSERT INTO platform.projection (group_name, source_mark, rows, backfilled_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (group_name) DO UPDATE SET source_mark = EXCLUDED.source_mark, rows = EXCLUDED.rows,
           backfilled_at = now()`,
        [group, mark, rows],
      );
    },
  };
}

export type ProjectionRepository = ReturnType<typeof createProjectionRepository>;
