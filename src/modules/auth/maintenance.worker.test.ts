/** Auth housekeeping: every task runs in a round, failures are reported, and the module's worker cleans up. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/logger.js';
import { eventually } from '../../../test/helpers/engines.js';
import { createTestKino, type TestKino } from '../../../test/helpers/kino.js';
import { hashToken, randomToken } from './crypto.js';
import { createMaintenanceWorker, MAINTENANCE_WORKER, runMaintenance } from './maintenance.worker.js';
import { createOneTimeTokenRepository } from './one-time-token.repository.js';
import { createUserRepository } from './user.repository.js';

describe('runMaintenance', () => {
  it('runs every task even after one failed, then rejects naming the failed ones', async () => {
    const ran: string[] = [];
    const task =
      (name: string, fail = false) =>
      async () => {
        ran.push(name);
        if (fail) throw new Error('down');
      };
    const round = runMaintenance({
      first: task('first', true),
      second: task('second'),
      third: task('third', true),
    });
    await expect(round).rejects.toThrow('first failed, third failed');
    expect(ran).toEqual(['first', 'second', 'third']);
  });
});

describe('maintenance worker', () => {
  it('runs a round when it starts, and none after it stopped', async () => {
    let rounds = 0;
    const worker = createMaintenanceWorker({
      tasks: { count: async () => rounds++ },
      intervalMs: 60_000,
      logger: createLogger('silent'),
    });
    await worker.start();
    await eventually(() => expect(rounds).toBe(1));
    await worker.stop();
    expect(rounds).toBe(1);
  });
});

describe('the auth module’s maintenance worker', () => {
  let kino: TestKino;
  beforeAll(async () => {
    kino = await createTestKino({ modules: ['auth'], workers: false });
  });
  afterAll(async () => kino?.close());

  it('deletes single-use tokens expired over a day ago and keeps the others', async () => {
    const sql = kino.kernel.engines.sql;
    const id = randomUUID();
    const now = new Date();
    await createUserRepository(sql).insert({
      id,
      login: `m-${id.slice(0, 8)}`,
      email: `m-${id.slice(0, 8)}@example.com`,
      passwordHash: null,
      firstName: null,
      lastName: null,
      emailVerified: true,
      now,
    });
    const tokens = createOneTimeTokenRepository(sql);
    const token = async (expiresAt: Date) => {
      const hash = hashToken(randomToken(16));
      await tokens.insert({ hash, purpose: 'reset_password', userId: id, email: null, now, expiresAt });
      return hash;
    };
    const old = await token(new Date(now.getTime() - 2 * 24 * 3600 * 1000));
    const live = await token(new Date(now.getTime() + 3600 * 1000));
    const left = async () =>
      (
        await sql.query<{ hash: string }>('SELECT hash FROM auth.one_time_tokens WHERE user_id = $1', [id])
      ).map((r) => r.hash);
    expect((await left()).sort()).toEqual([old, live].sort());
    const worker = kino.kernel.instances.get('auth')!.workers![MAINTENANCE_WORKER]!;
    await worker.start();
    try {
      await eventually(async () => expect(await left()).toEqual([live]));
    } finally {
      await worker.stop();
    }
  });
});
