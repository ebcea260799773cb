import { describe, expect, it } from 'vitest';
import { createPollLoop } from '../../src/platform/poll-loop.js';
import { createLogger } from '../../src/platform/logger.js';
import { eventually } from '../helpers/engines.js';

const logger = createLogger('silent');

describe('poll loop', () => {
  it('runs again at once while there is more work, then waits for the poll interval', async () => {
    const batches = [3, 3, 1];
    const calls: number[] = [];
    const loop = createPollLoop({
      runOnce: async () => {
        calls.push(Date.now());
        return batches.shift() ?? 0;
      },
      pollMs: 60_000,
      maxBackoffMs: 60_000,
      more: (n) => n >= 3,
      logger,
      failureMessage: 'failed',
    });
    loop.start();
    await eventually(() => calls.length === 3);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toHaveLength(3);
    loop.kick();
    await eventually(() => calls.length === 4);
    await loop.stop();
  });

  it('a kick during a batch runs the next batch right after it', async () => {
    let release!: () => void;
    let calls = 0;
    const loop = createPollLoop({
      runOnce: async () => {
        calls++;
        if (calls === 1) await new Promise<void>((r) => (release = r));
        return 0;
      },
      pollMs: 60_000,
      maxBackoffMs: 60_000,
      more: () => false,
      logger,
      failureMessage: 'failed',
    });
    loop.start();
    await eventually(() => calls === 1);
    loop.kick();
    release();
    await eventually(() => calls === 2);
    await loop.stop();
  });

  it('backs off after failures and recovers; stop waits for the running batch', async () => {
    let calls = 0;
    const loop = createPollLoop({
      runOnce: async () => {
        calls++;
        if (calls <= 2) throw new Error('engine down');
        return 0;
      },
      pollMs: 5,
      maxBackoffMs: 20,
      more: () => false,
      logger,
      failureMessage: 'failed',
    });
    loop.start();
    await eventually(() => calls >= 4, 2_000);
    await loop.stop();
    const after = calls;
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(after);
  });
});
