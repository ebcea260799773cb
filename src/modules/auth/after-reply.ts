/**
 * Work done after the reply: recovery requests are answered before any account-dependent work, so
 * the response is computed from the input alone (same status, body and time for every address),
 * and the lookup, token and mail event happen afterwards. A request lost to a crash is asked again
 * by its person.
 */
import type { Logger } from '../../platform/logger.js';

export interface AfterReply {
  /** Runs `work` once the current reply is on its way; a failure is logged as `${what} failed`. */
  readonly run: (what: string, work: () => Promise<void>) => void;
  /** Resolves when every piece of work accepted so far has finished (tests, shutdown). */
  readonly settle: () => Promise<void>;
}

export function createAfterReply(logger: Logger): AfterReply {
  const pending = new Set<Promise<void>>();
  return {
    run: (what, work) => {
      // Not even the first query starts before the reply is on its way: the embedded engine runs
      // on this thread and would hold the reply back for accounts that exist.
      const task = new Promise<void>((resolve) => setImmediate(resolve))
        .then(work)
        .catch((error: unknown) => logger.error({ err: error }, `${what} failed`))
        .finally(() => pending.delete(task));
      pending.add(task);
    },
    settle: async () => {
      while (pending.size > 0) await Promise.all(pending);
    },
  };
}
