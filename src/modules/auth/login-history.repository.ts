/** Login history (auth.login_history), partitioned by month. */
import type { SqlExecutor } from '../../ports/sql.js';

export interface HistoryRow {
  at: Date;
  ip: string | null;
  user_agent: string | null;
  success: boolean;
  method: string;
}

export function createLoginHistoryRepository(db: SqlExecutor) {
  return {
    async insert(h: {
      id: string;
      userId: string;
      at: Date;
      ip: string | null;
      userAgent: string | null;
      success: boolean;
      method: string;
      reason: string | null;
    }): Promise<void> {
      await db.query(
        `INSERT INTO auth.login_history (id, user_id, at, ip, user_agent, success, method, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [h.id, h.userId, h.at, h.ip, h.userAgent, h.success, h.method, h.reason],
      );
    },
    async page(
      userId: string,
      limit: number,
      offset: number,
    ): Promise<{ rows: HistoryRow[]; total: number }> {
      const rows = await db.query<HistoryRow>(
        `SELECT at, ip, user_agent, success, method FROM auth.login_history WHERE user_id = $1
         ORDER BY at DESC, id LIMIT $2 OFFSET $3`,
        [userId, limit, offset],
      );
      const [count] = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM auth.login_history WHERE user_id = $1',
        [userId],
      );
      return { rows, total: count?.n ?? 0 };
    },
    /** Creates monthly partitions from the previous month to `ahead` months after `now`. */
    async ensurePartitions(now: Date, ahead = 3): Promise<string[]> {
      const created: string[] = [];
      for (let i = -1; i <= ahead; i++) {
        const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i, 1));
        const to = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
        const name = `login_history_${from.getUTCFullYear()}_${String(from.getUTCMonth() + 1).padStart(2, '0')}`;
        const [exists] = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'auth' AND c.relname = $1`,
          [name],
        );
        if ((exists?.n ?? 0) > 0) continue;
        // Names and bounds come from dates computed here, never from input.
        await db.exec(
          `CREATE TABLE IF NOT EXISTS auth.${name} PARTITION OF auth.login_history
           FOR VALUES FROM ('${from.toISOString()}') TO ('${to.toISOString()}')`,
        );
        created.push(name);
      }
      return created;
    },
  };
}

export type LoginHistoryRepository = ReturnType<typeof createLoginHistoryRepository>;
