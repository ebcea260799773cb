/**
 * The transactional outbox and idempotent consumers, on the engines the environment selects:
 * an event exists only if its transaction committed, and a relay that dies between publishing
 * and marking never makes a consumer apply an event twice or lose it.
 */
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus, Subscription } from '../../src/ports/bus.js';
import type { Sql } from '../../src/ports/sql.js';
import { migrate, PLATFORM_MIGRATIONS } from '../../src/platform/migrations.js';
import { createOutboxRelay, emit } from '../../src/platform/outbox.js';
import { consume } from '../../src/platform/consumer.js';
import { createLogger } from '../../src/platform/logger.js';
import type { NewEvent } from '../../src/platform/events.js';
import { createTestBus, createTestSql, eventually, serverUrls, type TestSql } from '../helpers/engines.js';

const logger = createLogger('silent');
const ev = (key: string, n: number) =>
  ({ type: 'test.happened', key, payload: { n } }) as unknown as NewEvent;

describe(`outbox on ${serverUrls.database ? 'postgres' : 'pglite'} + ${serverUrls.nats ? 'nats' : 'memory'} bus`, () => {
  let t: TestSql;
  let sql: Sql;
  let bus: Bus & { stream?: string };
  let sub: Subscription | undefined;
  let deliveries: number;

  beforeEach(async () => {
    t = await createTestSql();
    sql = t.sql;
    await migrate(sql, [PLATFORM_MIGRATIONS]);
    await sql.exec('CREATE TABLE applied (event_id uuid PRIMARY KEY, n int NOT NULL)');
    bus = await createTestBus();
    deliveries = 0;
    sub = await consume({
      bus,
      sql,
      logger,
      group: 'test.applier',
      types: ['test.happened' as never],
      handle: async (event, tx) => {
        await tx.query('INSERT INTO applied (event_id, n) VALUES ($1, $2)', [
          event.id,
          (event.payload as unknown as { n: number }).n,
        ]);
      },
    });
    // Count raw deliveries (including deduplicated ones) with a second, non-deduplicating group.
    await bus.subscribe({
      group: 'test.counter',
      types: ['test.happened'],
      handler: async () => void deliveries++,
    });
  });

  /** Both groups have handled (or been spared) everything published so far. */
  const caughtUp = () =>
    eventually(async () => (await bus.lag('test.applier')) === 0 && (await bus.lag('test.counter')) === 0, {
      what: 'both groups to catch up',
    });

  afterEach(async () => {
    await sub?.stop();
    await bus.close();
    await t.close();
  });

  const applied = async () =>
    (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM applied'))[0]?.n;

  it('writes no event when the transaction rolls back, and publishes a committed one once', async () => {
    await sql
      .transaction(async (tx) => {
        await emit(tx, [ev('k', 1)]);
        throw new Error('abort');
      })
      .catch(() => undefined);
    const [id] = await sql.transaction((tx) => emit(tx, [ev('k', 2)]));
    const relay = createOutboxRelay({ sql, bus, logger });
    expect(await relay.backlog()).toBe(1);
    expect(await relay.runOnce()).toBe(1);
    await eventually(async () => (await applied()) === 1);
    expect(await relay.backlog()).toBe(0);
    expect(await relay.runOnce()).toBe(0);
    expect(await sql.query('SELECT event_id, n FROM applied')).toEqual([{ event_id: id, n: 2 }]);
  });

  it('a relay that dies after publishing and before marking: delivered again, applied exactly once', async () => {
    await sql.transaction((tx) => emit(tx, [ev('k', 1), ev('k', 2), ev('other', 3)]));
    const crashing = createOutboxRelay({
      sql,
      bus,
      logger,
      afterPublish: () => {
        throw new Error('relay killed before marking');
      },
    });
    await expect(crashing.runOnce()).rejects.toThrow('relay killed');
    await eventually(async () => (await applied()) === 3 && deliveries === 3);
    // The lease of the dead relay expires; a fresh relay takes over and publishes the rows again.
    await sql.execute(`UPDATE platform.lease SET until = now() - interval '1 second'`);
    const next = createOutboxRelay({ sql, bus, logger });
    expect(await next.backlog()).toBe(3);
    expect(await next.runOnce()).toBe(3);
    // In-process: delivered again and dropped by the consumer's ledger. JetStream: the broker
    // already drops a republished message id inside its dedup window; either way, once.
    if (bus.engine === 'memory') expect(deliveries).toBe(6);
    else await caughtUp();
    expect(deliveries === 6 || deliveries === 3).toBe(true);
    expect(await applied()).toBe(3);
    expect(await next.backlog()).toBe(0);
  });

  it('only the lease holder publishes while its lease is valid', async () => {
    await sql.transaction((tx) => emit(tx, [ev('k', 1)]));
    const a = createOutboxRelay({ sql, bus, logger });
    const b = createOutboxRelay({ sql, bus, logger });
    expect(await a.runOnce()).toBe(1);
    await sql.transaction((tx) => emit(tx, [ev('k', 2)]));
    expect(await b.runOnce()).toBe(0);
    await a.stop();
    expect(await b.runOnce()).toBe(1);
    await b.stop();
  });

  it.skipIf(!serverUrls.database || !serverUrls.nats)(
    'a relay process killed with SIGKILL between publish and mark loses nothing (needs DATABASE_URL and NATS_URL)',
    async () => {
      const [id] = await sql.transaction((tx) => emit(tx, [ev('killed', 7)]));
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/relay-killed.ts'], {
        env: { ...process.env, TEST_DATABASE_URL: t.url!, TEST_STREAM: bus.stream! },
        stdio: 'inherit',
      });
      const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_code, s) => resolve(s)),
      );
      expect(signal).toBe('SIGKILL');
      await eventually(async () => (await applied()) === 1 && deliveries === 1);
      const [row] = await sql.query<{ published_at: Date | null }>(
        'SELECT published_at FROM platform.outbox WHERE id = $1',
        [id],
      );
      expect(row?.published_at).toBeNull();
      await sql.execute(`UPDATE platform.lease SET until = now() - interval '1 second'`);
      const relay = createOutboxRelay({ sql, bus, logger });
      expect(await relay.runOnce()).toBe(1);
      await caughtUp();
      expect(deliveries).toBeLessThanOrEqual(2);
      expect(await applied()).toBe(1);
      expect(await relay.backlog()).toBe(0);
    },
  );
});
