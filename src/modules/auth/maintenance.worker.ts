/**
 * Auth housekeeping on the platform poll loop (`kino worker auth-maintenance`, and in `kino
 * start`): a round at start and then every `intervalMs`. Every task runs in every round even if
 * an earlier one failed; a failed round is logged with the names of the failed tasks and tried
 * again after the interval.
 */
import type { Logger } from '../../platform/logger.js';
import type { Worker } from '../../platform/module.js';
import { createPollLoop } from '../../platform/poll-loop.js';

export const MAINTENANCE_WORKER = 'auth-maintenance';

export interface MaintenanceDeps {
  /** The tasks of one round by name, run in this order. */
  readonly tasks: Readonly<Record<string, () => Promise<unknown>>>;
  readonly intervalMs: number;
  readonly logger: Logger;
}

/** Runs every task once; rejects with the failures (by task name) after all of them ran. */
export async function runMaintenance(tasks: MaintenanceDeps['tasks']): Promise<void> {
  const failures: Error[] = [];
  for (const [name, task] of Object.entries(tasks)) {
    try {
      await task();
    } catch (cause) {
      failures.push(new Error(`${name} failed`, { cause }));
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, failures.map((f) => f.message).join(', '));
}

export function createMaintenanceWorker(deps: MaintenanceDeps): Worker {
  const loop = createPollLoop({
    runOnce: async () => {
      await runMaintenance(deps.tasks);
      return 0;
    },
    pollMs: deps.intervalMs,
    maxBackoffMs: deps.intervalMs,
    more: () => false,
    logger: deps.logger,
    failureMessage: 'auth maintenance failed',
  });
  return {
    start: async () => loop.start(),
    stop: () => loop.stop(),
  };
}
