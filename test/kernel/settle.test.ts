/**
 * `settle()` of the test process waits on the condition itself: the outbox drained and every
 * consumer group caught up. On JetStream consumers run apart from `publish`, so draining the
 * outbox alone returned while the etl worker still had most of a burst of edits to apply.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/engines.js';
import { createTestKino, type TestKino } from '../helpers/kino.js';

describe('test process settle()', () => {
  let kino: TestKino;
  beforeAll(async () => {
    kino = await createTestKino({ modules: ['catalog', 'etl'] });
  });
  afterAll(async () => kino?.close());

  it('returns only once every consumer group has applied a burst of events', async () => {
    const content = kino.kernel.services.require('content');
    const actor = { id: null, login: 'test' };
    const before = await kino.kernel.relay.backlog();
    for (let i = 0; i < 100; i++) await content.createFilm({ title: `Burst film ${i}` }, actor);
    expect(await kino.kernel.relay.backlog()).toBeGreaterThan(before);

    await kino.settle();
    const [row] = await kino.kernel.engines.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM catalog.film WHERE title LIKE 'Burst film %'`,
    );
    expect(row?.n).toBe(100);
    expect(await kino.kernel.relay.backlog()).toBe(0);
    const lags = await kino.kernel.consumerLag();
    expect(lags.size).toBeGreaterThan(0);
    expect([...lags.values()].every((n) => n === 0)).toBe(true);
  });
});

describe('eventually()', () => {
  it('fails past its deadline naming what it waited for, with the last failure as the cause', async () => {
    const error = await eventually(
      () => {
        throw new Error('still 3 rows');
      },
      { timeoutMs: 50, intervalMs: 5, what: 'the rows to be gone' },
    ).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(
      /^eventually: not true within 50 ms \(\d+ checks, \d+ ms\): the rows to be gone;/,
    );
    expect(error.message).toContain('last failure: still 3 rows');
    expect((error.cause as Error).message).toBe('still 3 rows');
  });

  it('returns the first truthy value', async () => {
    let n = 0;
    expect(await eventually(() => (++n >= 3 ? n : 0), { intervalMs: 1 })).toBe(3);
  });
});
