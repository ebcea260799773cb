/** Daily partitions of ugc.events: created on demand, pruned whole by `kino ugc prune`. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sql } from '../../ports/sql.js';
import { ManualClock } from '../../platform/clock.js';
import { createLogger } from '../../platform/logger.js';
import { migrate, PLATFORM_MIGRATIONS } from '../../platform/migrations.js';
import type { CommandContext, CommandKernel } from '../../platform/module.js';
import { createTestBus, createTestSql, type TestSql } from '../../../test/helpers/engines.js';
import { ugcModule } from './index.js';
import { createEventSink } from './event.sink.js';
import { createPartitionManager, listPartitions } from './partitions.js';
import { ugcCommand } from './prune.command.js';

const logger = createLogger('silent');
const DAY = 86_400_000;

describe('ugc event partitions', () => {
  let t: TestSql;
  let sql: Sql;

  beforeEach(async () => {
    t = await createTestSql();
    sql = t.sql;
    await migrate(sql, [PLATFORM_MIGRATIONS, ...ugcModule.migrations]);
  });
  afterEach(() => t.close());

  const record = (id: number, ts: string) => ({
    event_id: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    user_id: null,
    type: 'click',
    film_id: null,
    ts,
    payload: {},
  });

  it('stores events into day partitions, deduplicates across calls, and prunes whole old days', async () => {
    const clock = new ManualClock('2026-03-10T12:00:00Z');
    const bus = await createTestBus('memory');
    const sink = createEventSink({
      bus,
      sql,
      clock,
      logger,
      partitions: createPartitionManager(sql),
      deadLetter: async () => undefined,
    });
    await sink.start();
    expect((await listPartitions(sql)).map((p) => p.day)).toEqual(['2026-03-10', '2026-03-11', '2026-03-12']);

    const events = [
      record(1, '2026-03-01T23:59:59.999Z'),
      record(2, '2026-03-02T00:00:00.000Z'),
      record(3, '2026-03-09T10:00:00.000Z'),
      record(4, '2026-03-10T10:00:00.000Z'),
    ];
    expect(await sink.store(events)).toBe(4);
    expect(await sink.store(events)).toBe(0);
    const perPartition = await sql.query<{ p: string; n: number }>(
      'SELECT tableoid::regclass::text AS p, count(*)::int AS n FROM ugc.events GROUP BY 1 ORDER BY 1',
    );
    expect(perPartition).toEqual([
      { p: 'ugc.events_p20260301', n: 1 },
      { p: 'ugc.events_p20260302', n: 1 },
      { p: 'ugc.events_p20260309', n: 1 },
      { p: 'ugc.events_p20260310', n: 1 },
    ]);
    await sink.stop();
    await bus.close();

    // `kino ugc prune --older-than 8d` on 2026-03-10: everything before 2026-03-02 goes.
    const out: string[] = [];
    const kernel = {
      context: { sql, clock },
      close: async () => undefined,
    } as unknown as CommandKernel;
    const ctx = {
      args: ['prune', '--older-than', '8d'],
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => out.push(s) },
      kernel: async () => kernel,
    } as unknown as CommandContext;
    expect(await ugcCommand.run(ctx)).toBe(0);
    expect(out.join('')).toContain('events_p20260301');
    expect((await listPartitions(sql)).map((p) => p.day)[0]).toBe('2026-03-02');
    expect((await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM ugc.events'))[0]?.n).toBe(3);
    const [table] = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'ugc' AND tablename = 'events_p20260301'`,
    );
    expect(table?.n).toBe(0);

    // --keep detaches without dropping; a new event for a pruned day recreates its partition.
    clock.advance(DAY);
    expect(await ugcCommand.run({ ...ctx, args: ['prune', '--older-than=8d', '--keep'] })).toBe(0);
    const [kept] = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'ugc' AND tablename = 'events_p20260302_detached'`,
    );
    expect(kept?.n).toBe(1);
    const fresh = createEventSink({
      bus,
      sql,
      clock,
      logger,
      partitions: createPartitionManager(sql),
      deadLetter: async () => undefined,
    });
    expect(await fresh.store([record(5, '2026-03-02T08:00:00Z')])).toBe(1);
    expect(await ugcCommand.run({ ...ctx, args: ['compact'] })).toBe(2);
    expect(await ugcCommand.run({ ...ctx, args: ['prune', '--since', '3d'] })).toBe(2);
  });
});
