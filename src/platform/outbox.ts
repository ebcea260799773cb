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

/** Writes events into the outbox as part of `tx`. */
export async function emit(tx: SqlExecutor, events: readonly NewEvent[]): Promise<string[]> {
  if (events.length === 0) return [];
  const ids = events.map((e) => e.id ?? randomUUID());
  const headers = JSON.stringify(currentHeaders());
  await tx.query(
    `INSERT INTO platform.outbox (id, type, key, payload, headers)
     SELECT u.id, u.type, u.key, u.payload, $5::jsonb
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[]) AS u(id, type, key, payload)`,
    [
      ids,
      events.map((e) => e.type),
      events.map((e) => e.key),
      events.map((e) => JSON.stringify(e.payload)),
      headers,
    ],
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

interface OutboxRow {
  seq: number;
  id: string;
  type: string;
  key: string;
  payload: unknown;
  headers: Record<string, string>;
  occurred_at: Date;
}

const LEASE_SECONDS = 15;

export function createOutboxRelay(options: RelayOptions): OutboxRelay {
  const { sql, bus, logger } = options;
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollMs ?? 100;
  const holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  async function holdLease(): Promise<boolean> {
    const rows = await sql.query<{ holder: string }>(
      `INSERT INTO platform.lease (name, holder, until) VALUES ('outbox-relay', $1, now() + make_interval(secs => $2))
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until
         WHERE platform.lease.holder = EXCLUDED.holder OR platform.lease.until < now()
       RETURNING holder`,
      [holder, LEASE_SECONDS],
    );
    return rows.length === 1;
  }

  async function runOnce(): Promise<number> {
    if (!(await holdLease())) return 0;
    const rows = await sql.query<OutboxRow>(
      `SELECT seq, id, type, key, payload, headers, occurred_at FROM platform.outbox
       WHERE published_at IS NULL ORDER BY seq LIMIT $1`,
      [batchSize],
    );
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
    await sql.execute('UPDATE platform.outbox SET published_at = now() WHERE seq = ANY($1::bigint[])', [
      rows.map((r) => r.seq),
    ]);
    return rows.length;
  }

  async function release(): Promise<void> {
    await sql
      .execute(`DELETE FROM platform.lease WHERE name = 'outbox-relay' AND holder = $1`, [holder])
      .catch(() => 0);
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
    async backlog() {
      const [row] = await sql.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM platform.outbox WHERE published_at IS NULL',
      );
      return row?.n ?? 0;
    },
  };
}

/** Deletes sent outbox rows and processed-event ids older than the redelivery horizon. */
export async function pruneOutbox(
  sql: Sql,
  olderThanHours = 72,
): Promise<{ outbox: number; processed: number }> {
  const outbox = await sql.execute(
    `DELETE FROM platform.outbox WHERE published_at < now() - make_interval(hours => $1)`,
    [olderThanHours],
  );
  const processed = await sql.execute(
    `DELETE FROM platform.processed_event WHERE processed_at < now() - make_interval(hours => $1)`,
    [olderThanHours * 3],
  );
  return { outbox, processed };
}
