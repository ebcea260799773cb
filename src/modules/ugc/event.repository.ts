/**
 * ugc.events and its daily partitions. One insert stores a batch and adds the newly stored views
 * and completions to ugc.film_daily (those sent without an account in their own columns); a
 * repeated event (same event_id and ts) is dropped by the primary key.
 */
import type { SqlExecutor } from '../../ports/sql.js';
import type { UgcEventRecord } from './ugc.events.js';

const INSERT = `
WITH ins AS (
  INSERT INTO ugc.events (event_id, ts, type, user_id, film_id, payload)
  SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::uuid[], $5::uuid[], $6::jsonb[])
  ON CONFLICT DO NOTHING
  RETURNING film_id, type, ts, user_id
), daily AS (
  INSERT INTO ugc.film_daily AS d (film_id, day, views, completions, anonymous_views, anonymous_completions)
  SELECT film_id, (ts AT TIME ZONE 'UTC')::date,
         count(*) FILTER (WHERE type = 'view_start' AND user_id IS NOT NULL),
         count(*) FILTER (WHERE type = 'view_complete' AND user_id IS NOT NULL),
         count(*) FILTER (WHERE type = 'view_start' AND user_id IS NULL),
         count(*) FILTER (WHERE type = 'view_complete' AND user_id IS NULL)
  FROM ins WHERE film_id IS NOT NULL AND type IN ('view_start', 'view_complete')
  GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (film_id, day) DO UPDATE
    SET views = d.views + EXCLUDED.views, completions = d.completions + EXCLUDED.completions,
        anonymous_views = d.anonymous_views + EXCLUDED.anonymous_views,
        anonymous_completions = d.anonymous_completions + EXCLUDED.anonymous_completions
  RETURNING 1
)
SELECT (SELECT count(*) FROM ins)::int AS stored`;

/** Partition table names are made by partitions.ts from a checked day, never from input. */
export function createEventRepository(db: SqlExecutor) {
  return {
    /** Stores a batch; returns how many events were new. */
    async store(events: readonly UgcEventRecord[]): Promise<number> {
      const [row] = await db.query<{ stored: number }>(INSERT, [
        events.map((e) => e.event_id),
        events.map((e) => e.ts),
        events.map((e) => e.type),
        events.map((e) => e.user_id),
        events.map((e) => e.film_id),
        events.map((e) => JSON.stringify(e.payload)),
      ]);
      return row?.stored ?? 0;
    },

    /** Serialises partition creation; held until the transaction of `db` ends. */
    async lockPartitions(): Promise<void> {
      await db.query('SELECT pg_advisory_xact_lock(4823060)');
    },

    /** Creates partition `name` for [from, to) ('YYYY-MM-DD' UTC days) unless it exists. */
    async createPartition(name: string, from: string, to: string): Promise<void> {
      await db.exec(
        `CREATE TABLE IF NOT EXISTS ugc.${name} PARTITION OF ugc.events
         FOR VALUES FROM ('${from} 00:00:00+00') TO ('${to} 00:00:00+00')`,
      );
    },

    /** Names of the tables attached to ugc.events, in name order. */
    async partitionNames(): Promise<string[]> {
      const rows = await db.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = p.relnamespace
         WHERE n.nspname = 'ugc' AND p.relname = 'events'
         ORDER BY c.relname`,
      );
      return rows.map((r) => r.name);
    },

    async detachPartition(name: string): Promise<void> {
      await db.exec(`ALTER TABLE ugc.events DETACH PARTITION ugc.${name}`);
    },

    async dropTable(name: string): Promise<void> {
      await db.exec(`DROP TABLE ugc.${name}`);
    },

    async tableExists(name: string): Promise<boolean> {
      const rows = await db.query(`SELECT 1 FROM pg_tables WHERE schemaname = 'ugc' AND tablename = $1`, [
        name,
      ]);
      return rows.length > 0;
    },

    async renameTable(name: string, to: string): Promise<void> {
      await db.exec(`ALTER TABLE ugc.${name} RENAME TO ${to}`);
    },
  };
}

export type EventRepository = ReturnType<typeof createEventRepository>;
