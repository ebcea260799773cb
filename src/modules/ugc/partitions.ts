/**
 * Daily partitions of ugc.events (UTC days). The sink creates the partitions a batch needs (and a
 * few days ahead) before writing; `kino ugc prune` detaches and drops whole old partitions instead
 * of deleting rows.
 */
import type { Sql } from '../../ports/sql.js';
import { createEventRepository } from './event.repository.js';

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
        const events = createEventRepository(tx);
        await events.lockPartitions();
        for (const day of missing) {
          if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`bad partition day ${day}`);
          await events.createPartition(partitionName(day), day, nextDay(day));
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
  const names = await createEventRepository(sql).partitionNames();
  return names.flatMap((name) => {
    const m = NAME.exec(name);
    return m ? [{ name, day: `${m[1]}-${m[2]}-${m[3]}` }] : [];
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
  const events = createEventRepository(sql);
  for (const p of old) {
    await events.detachPartition(p.name);
    if (!options.keep) await events.dropTable(p.name);
    else {
      const taken = await events.tableExists(`${p.name}_detached`);
      await events.renameTable(p.name, `${p.name}_${taken ? `detached_${Date.now()}` : 'detached'}`);
    }
  }
  return old.map((p) => p.name);
}
