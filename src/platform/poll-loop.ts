/**
 * A background loop around a batch function (the outbox relay, the notification delivery
 * worker): it runs `runOnce` again at once while there is more work (`more`) or after a `kick`,
 * otherwise after `pollMs`; after failures it backs off exponentially up to `maxBackoffMs`,
 * logging the first failure and every 50th. `stop` waits for the batch in progress.
 */
import type { Logger } from './logger.js';

export interface PollLoop {
  start(): void;
  /** Runs the next batch now rather than at the next poll (also when a batch is running). */
  kick(): void;
  stop(): Promise<void>;
}

export interface PollLoopOptions {
  readonly runOnce: () => Promise<number>;
  readonly pollMs: number;
  readonly maxBackoffMs: number;
  /** True when the batch that handled `n` items suggests more are waiting. */
  readonly more: (n: number) => boolean;
  readonly logger: Logger;
  /** Logged (with the error) when a batch fails. */
  readonly failureMessage: string;
}

export function createPollLoop(options: PollLoopOptions): PollLoop {
  const { runOnce, pollMs, maxBackoffMs, more, logger, failureMessage } = options;
  let running = false;
  let kicked = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  return {
    start() {
      if (running) return;
      running = true;
      loop = (async () => {
        let failures = 0;
        while (running) {
          let handled = 0;
          try {
            handled = await runOnce();
            failures = 0;
          } catch (error) {
            failures++;
            if (failures === 1 || failures % 50 === 0) logger.warn({ err: error, failures }, failureMessage);
          }
          if (!running) break;
          if (failures === 0 && more(handled)) continue;
          if (kicked) {
            kicked = false;
            continue;
          }
          const wait = failures > 0 ? Math.min(pollMs * 2 ** failures, maxBackoffMs) : pollMs;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, wait);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = undefined;
        }
      })();
    },
    kick() {
      // Waiting: wake now. Running a batch: remember to run the next one right after it.
      if (wake) wake();
      else kicked = true;
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      loop = undefined;
    },
  };
}
