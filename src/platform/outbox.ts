/**
 * Transactional outbox. Producers call `emit(tx, events)` inside the transaction that changes
 * their data, so an event exists if and only if the change committed. The relay publishes unsent
 * rows to the bus in order and marks them sent afterwards: a crash between the two publishes them
 * again, and consumers drop the repeat by event id (platform/consumer.ts).
 *
 * Only one relay publishes at a time (a lease row renewed while it works), which keeps events in
 * commit order however many replicas run one.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Bus, BusMessage } from '../ports/bus.js';
import type { Sql, SqlExecutor } from '../ports/sql.js';
import type { NewEvent } from './events.js';
import type { Logger } from './logger.js';
import { currentHeaders } from './context.js';
import { createPollLoop } from './poll-loop.js';
import { createConsumerRepository } from './consumer.repository.js';
import { createOutboxRepository } from './outbox.repository.js';

/** Writes events into the outbox as part of `tx`. */
export async function emit(tx: SqlExecutor, events: readonly NewEvent[]): Promise<string[]> {
  if (events.length === 0) return [];
  const ids = events.map((e) => e.id ?? randomUUID());
  await createOutboxRepository(tx).append(
    events.map((e, i) => ({ id: ids[i]!, type: e.type, key: e.key, payload: JSON.stringify(e.payload) })),
    JSON.stringify(currentHeaders()),
  );
  return ids;
}

export interface RelayOptions {
  sql: Sql;
  bus: Bus;
  logger: Logger;
  batchSize?: number;
  pollMs?: number;
  /** Test seam: runs after publishing a batch and before marking it sent. */
  afterPublish?: (ids: readonly string[]) => Promise<void> | void;
}

export interface OutboxRelay {
  /** Publishes one batch if this relay holds the lease; returns how many it published. */
  runOnce(): Promise<number>;
  start(): void;
  /** Asks the loop to look now rather than at its next poll. */
  kick(): void;
  stop(): Promise<void>;
  /** Rows waiting to be published. */
  backlog(): Promise<number>;
}

const LEASE_SECONDS = 15;

export function createOutboxRelay(options: RelayOptions): OutboxRelay {
  const { sql, bus, logger } = options;
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollMs ?? 100;
  const holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const outbox = createOutboxRepository(sql);

  async function runOnce(): Promise<number> {
    if (!(await outbox.holdLease(holder, LEASE_SECONDS))) return 0;
    const rows = await outbox.unpublished(batchSize);
    if (rows.length === 0) return 0;
    const messages: BusMessage[] = rows.map((r) => ({
      id: r.id,
      type: r.type,
      key: r.key,
      payload: r.payload,
      occurredAt: r.occurred_at.toISOString(),
      headers: r.headers,
    }));
    await bus.publish(messages);
    await options.afterPublish?.(messages.map((m) => m.id));
    await outbox.markPublished(rows.map((r) => r.seq));
    return rows.length;
  }

  async function release(): Promise<void> {
    await outbox.releaseLease(holder).catch(() => undefined);
  }

  const poll = createPollLoop({
    runOnce,
    pollMs,
    maxBackoffMs: 5_000,
    // A full batch means more rows are waiting.
    more: (published) => published >= batchSize,
    logger,
    // Bus or database down: the rows stay and are retried with back-off; nothing is lost.
    failureMessage: 'outbox relay cannot publish yet',
  });

  return {
    runOnce,
    start: () => poll.start(),
    kick: () => poll.kick(),
    async stop() {
      await poll.stop();
      await release();
    },
    backlog: () => outbox.backlog(),
  };
}

/** Deletes sent outbox rows and processed-event ids older than the redelivery horizon. */
export async function pruneOutbox(
  sql: Sql,
  olderThanHours = 72,
): Promise<{ outbox: number; processed: number }> {
  const outbox = await createOutboxRepository(sql).prunePublished(olderThanHours);
  const processed = await createConsumerRepository(sql).pruneProcessed(olderThanHours * 3);
  return { outbox, processed };
}
