/**
 * Daily partitions of ugc.events (UTC days). The sink creates the partitions a batch needs (and a
 * few days ahead) before writing; `kino ugc prune` detaches and drops whole old partitions instead
 * of deleting rows.
 */
import type { Sql } from '../../ports/sql.js';

const DAY_MS = 86_400_000;
const NAME = /^events_p(\d{4})(\d{2})(\d{2})$/;

/** 'YYYY-MM-DD' of `at` in UTC. */
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

export const partitionName = (day: string): string => `events_p${day.replace(/-/g, '')}`;

function nextDay(day: string): string {
  return utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS));
}

/** Days from `from` for `count` days. */
export function daysFrom(from: Date, count: number): string[] {
  return Array.from({ length: count }, (_, i) => utcDay(new Date(from.getTime() + i * DAY_MS)));
}

export interface PartitionManager {
  /** Creates the partitions for `days` that this process has not seen yet. */
  ensure(days: Iterable<string>): Promise<void>;
  /** Forgets what exists (after a prune, or when an insert found no partition). */
  forget(): void;
}

export function createPartitionManager(sql: Sql): PartitionManager {
  const known = new Set<string>();
  return {
    async ensure(days) {
      const missing = [...new Set(days)].filter((d) => !known.has(d)).sort();
      if (missing.length === 0) return;
      await sql.transaction(async (tx) => {
        // Several sinks may start at once: one creates, the others then find the tables.
        await tx.query('SELECT pg_advisory_xact_lock(4823060)');
        for (const day of missing) {
          if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`bad partition day ${day}`);
          await tx.exec(
            `CREATE TABLE IF NOT EXISTS ugc.${partitionName(day)} PARTITION OF ugc.events
             FOR VALUES FROM ('${day} 00:00:00+00') TO ('${nextDay(day)} 00:00:00+00')`,
          );
        }
      });
      for (const day of missing) known.add(day);
    },
    forget() {
      known.clear();
    },
  };
}

export interface PartitionInfo {
  readonly name: string;
  readonly day: string;
}

export async function listPartitions(sql: Sql): Promise<PartitionInfo[]> {
  const rows = await sql.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i
     JOIN pg_class c ON c.oid = i.inhrelid
     JOIN pg_class p ON p.oid = i.inhparent
     JOIN pg_namespace n ON n.oid = p.relnamespace
     WHERE n.nspname = 'ugc' AND p.relname = 'events'
     ORDER BY c.relname`,
  );
  return rows.flatMap((r) => {
    const m = NAME.exec(r.name);
    return m ? [{ name: r.name, day: `${m[1]}-${m[2]}-${m[3]}` }] : [];
  });
}

/**
 * Detaches (and unless `keep`, drops) every partition whose whole day is before `cutoff`.
 * A kept table is renamed `<name>_detached` so that a late event for that day gets a fresh
 * partition. Returns the names it detached.
 */
export async function prunePartitions(
  sql: Sql,
  cutoff: Date,
  options: { keep?: boolean } = {},
): Promise<string[]> {
  const cutoffDay = utcDay(cutoff);
  const old = (await listPartitions(sql)).filter((p) => nextDay(p.day) <= cutoffDay);
  for (const p of old) {
    await sql.exec(`ALTER TABLE ugc.events DETACH PARTITION ugc.${p.name}`);
    if (!options.keep) await sql.exec(`DROP TABLE ugc.${p.name}`);
    else {
      const taken = await sql.query(`SELECT 1 FROM pg_tables WHERE schemaname = 'ugc' AND tablename = $1`, [
        `${p.name}_detached`,
      ]);
      const suffix = taken.length === 0 ? 'detached' : `detached_${Date.now()}`;
      await sql.exec(`ALTER TABLE ugc.${p.name} RENAME TO ${p.name}_${suffix}`);
    }
  }
  return old.map((p) => p.name);
}
