/**
 * The projection helper on a real database and bus: events applied and removed once each,
 * redeliveries de-duplicated, other types under the subject skipped, and a backfill that walks
 * its source in bounded pages, is idempotent and is skipped while the source's mark is unchanged.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus, BusMessage } from '../ports/bus.js';
import type { Sql, SqlExecutor } from '../ports/sql.js';
import { createTestBus, createTestSql, eventually, type TestSql } from '../../test/helpers/engines.js';
import { createLogger } from './logger.js';
import { migrate, PLATFORM_MIGRATIONS } from './migrations.js';
import { createProjection, type FactSource, type Projection } from './projection.js';

declare module './events.js' {
  interface EventMap {
    'test.thing.set': { id: string; v: number };
    'test.thing.gone': { id: string };
    'test.thing.ignored': { id: string };
    'test.thing.counted': { id: string };
  }
}

const logger = createLogger('silent');

interface Thing {
  readonly id: string;
  readonly v: number;
}

describe('platform projection', () => {
  let t: TestSql;
  let sql: Sql;
  let bus: Bus;
  let projection: Projection | undefined;
  let source: Thing[];
  const pages: number[] = [];
  const group = 'test.things';

  const facts: FactSource<Thing> = {
    mark: async () => source.map((s) => `${s.id}@${s.v}`).join(','),
    page: async (after, limit) => {
      const rows = source.filter((s) => after === null || s.id > after).slice(0, limit);
      pages.push(rows.length);
      return rows;
    },
  };
  // Counts real writes: a row rewritten with what it holds would show as a write.
  const apply = (tx: SqlExecutor, rows: readonly Thing[]) =>
    tx.execute(
      `INSERT INTO test_thing (id, v) SELECT id, v FROM jsonb_to_recordset($1::jsonb) AS x(id text, v int)
       ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v, writes = test_thing.writes + 1
       WHERE test_thing.v < EXCLUDED.v`,
      [JSON.stringify(rows)],
    );
  const things = () =>
    sql.query<{ id: string; v: number; writes: number }>('SELECT id, v, writes FROM test_thing ORDER BY id');
  const message = (type: string, payload: unknown, id = randomUUID()): BusMessage => ({
    id,
    type,
    key: 'k',
    payload,
    occurredAt: new Date().toISOString(),
    headers: {},
  });

  async function start(engine?: 'memory') {
    bus = await createTestBus(engine);
    projection = createProjection(
      { bus, sql, logger },
      {
        group,
        subject: 'test.thing.>',
        on: {
          'test.thing.set': (e, tx) => apply(tx, [e]),
          // Not idempotent on purpose: only de-duplication keeps a redelivery from counting twice.
          'test.thing.counted': (e, tx) =>
            tx.execute('UPDATE test_thing SET writes = writes + 1 WHERE id = $1', [e.id]),
          'test.thing.gone': async (e, tx) => {
            await tx.execute('DELETE FROM test_thing WHERE id = $1', [e.id]);
          },
        },
        backfill: { source: facts, apply },
        batchSize: 2,
      },
    );
    await projection.start();
  }

  beforeEach(async () => {
    t = await createTestSql();
    sql = t.sql;
    await migrate(sql, [PLATFORM_MIGRATIONS]);
    await sql.execute(
      'CREATE TABLE test_thing (id text PRIMARY KEY, v int NOT NULL, writes int NOT NULL DEFAULT 0)',
    );
    source = [];
    pages.length = 0;
  });
  afterEach(async () => {
    await projection?.stop();
    projection = undefined;
    await bus.close();
    await t.close();
  });

  it('applies and removes per event, and skips other types under its subject without a ledger row', async () => {
    await start();
    const ignored = message('test.thing.ignored', { id: 'a' });
    await bus.publish([
      message('test.thing.set', { id: 'a', v: 1 }),
      ignored,
      message('test.thing.set', { id: 'b', v: 2 }),
      message('test.thing.gone', { id: 'a' }),
    ]);
    await eventually(async () => (await things()).length === 1 && (await things())[0]?.id === 'b');
    const ledger = await sql.query(
      'SELECT 1 FROM platform.processed_event WHERE consumer = $1 AND event_id = $2',
      [group, ignored.id],
    );
    expect(ledger).toHaveLength(0);
  });

  it('applies a redelivered event once', async () => {
    // The in-process bus delivers a repeated id again (JetStream would drop it at publish).
    await start('memory');
    const counted = message('test.thing.counted', { id: 'a' });
    await bus.publish([message('test.thing.set', { id: 'a', v: 1 }), counted]);
    await bus.publish([counted, message('test.thing.set', { id: 'a', v: 2 })]);
    await eventually(async () => (await things())[0]?.v === 2);
    // One write by the counted event, one by v=2; a second count would make it 3.
    expect(await things()).toEqual([{ id: 'a', v: 2, writes: 2 }]);
  });

  it('backfills in bounded pages, idempotently, and skips while the source is unchanged', async () => {
    await start();
    source = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, v: 1 }));
    expect(await projection!.backfill()).toEqual({ group, rows: 5, skipped: false });
    expect(pages.every((n) => n <= 2)).toBe(true);
    expect((await things()).map((r) => [r.id, r.v, r.writes])).toEqual(source.map((s) => [s.id, 1, 0]));

    pages.length = 0;
    expect(await projection!.backfill()).toEqual({ group, rows: 0, skipped: true });
    expect(pages).toEqual([]);

    // Forced, the walk changes nothing it already holds.
    expect((await projection!.backfill({ force: true })).rows).toBe(5);
    expect((await things()).every((r) => r.writes === 0)).toBe(true);

    // A changed source is walked again; a newer copy from an event is kept.
    source = source.map((s) => (s.id === 'c' ? { id: 'c', v: 2 } : s));
    await bus.publish([message('test.thing.set', { id: 'd', v: 5 })]);
    await eventually(async () => (await things()).find((r) => r.id === 'd')?.v === 5);
    expect((await projection!.backfill()).skipped).toBe(false);
    const after = new Map((await things()).map((r) => [r.id, r.v]));
    expect(after.get('c')).toBe(2);
    expect(after.get('d')).toBe(5);
  });
});
