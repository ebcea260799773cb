/** The outbox's rows and the relay's lease (platform.outbox, platform.lease). */
import type { SqlExecutor } from '../ports/sql.js';

export interface OutboxRow {
  seq: number;
  id: string;
  type: string;
  key: string;
  payload: unknown;
  headers: Record<string, string>;
  occurred_at: Date;
}

/** One event to append; `payload` and `headers` are JSON text. */
export interface OutboxEntry {
  id: string;
  type: string;
  key: string;
  payload: string;
}

export function createOutboxRepository(db: SqlExecutor) {
  return {
    /** Appends events, all with the same `headers` (JSON text). */
    async append(entries: readonly OutboxEntry[], headers: string): Promise<void> {
      await db.query(
        `INSERT INTO platform.outbox (id, type, key, payload, headers)
         SELECT u.id, u.type, u.key, u.payload, $5::jsonb
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[]) AS u(id, type, key, payload)`,
        [
          entries.map((e) => e.id),
          entries.map((e) => e.type),
          entries.map((e) => e.key),
          entries.map((e) => e.payload),
          headers,
        ],
      );
    },

    /** Takes or renews the relay lease for `holder`; false while another holder's lease runs. */
    async holdLease(holder: string, seconds: number): Promise<boolean> {
      const rows = await db.query<{ holder: string }>(
        `INSERT INTO platform.lease (name, holder, until) VALUES ('outbox-relay', $1, now() + make_interval(secs => $2))
         ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until
           WHERE platform.lease.holder = EXCLUDED.holder OR platform.lease.until < now()
         RETURNING holder`,
        [holder, seconds],
      );
      return rows.length === 1;
    },

    async releaseLease(holder: string): Promise<void> {
      await db.execute(`DELETE FROM platform.lease WHERE name = 'outbox-relay' AND holder = $1`, [holder]);
    },

    /** The oldest unpublished rows, in commit order. */
    async unpublished(limit: number): Promise<OutboxRow[]> {
      return db.query<OutboxRow>(
        `SELECT seq, id, type, key, payload, headers, occurred_at FROM platform.outbox
         WHERE published_at IS NULL ORDER BY seq LIMIT $1`,
        [limit],
      );
    },

    async markPublished(seqs: readonly number[]): Promise<void> {
      await db.execute('UPDATE platform.outbox SET published_at = now() WHERE seq = ANY($1::bigint[])', [
        seqs,
      ]);
    },

    async backlog(): Promise<number> {
      const [row] = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM platform.outbox WHERE published_at IS NULL',
      );
      return row?.n ?? 0;
    },

    /** Deletes rows published more than `hours` ago; returns how many. */
    async prunePublished(hours: number): Promise<number> {
      return db.execute(
        `DELETE FROM platform.outbox WHERE published_at < now() - make_interval(hours => $1)`,
        [hours],
      );
    },
  };
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
