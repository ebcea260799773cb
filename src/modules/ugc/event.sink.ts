/**
 * The `ugc-sink` worker: takes `ugc.events.batch` messages off the bus and writes each batch
 * into ugc.events in one transaction with one multi-row insert (event.repository.ts). A repeated
 * event (same event_id and ts) is dropped by the primary key, so redeliveries and client retries
 * store nothing twice.
 */
import type { Bus, Subscription } from '../../ports/bus.js';
import { isDataException, isSqlError, SqlState, type Sql } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import { consumeStream } from '../../platform/consumer.js';
import type { Logger } from '../../platform/logger.js';
import type { Worker } from '../../platform/module.js';
import type { UgcEventRecord } from './ugc.events.js';
import { createEventRepository } from './event.repository.js';
import { daysFrom, utcDay, type PartitionManager } from './partitions.js';

export const SINK_GROUP = 'ugc.sink';
/** Partitions kept ready ahead of time, from today. */
const DAYS_AHEAD = 3;

export interface EventSink extends Worker {
  /** Writes one batch; returns how many events were new. */
  store(events: readonly UgcEventRecord[]): Promise<number>;
  readonly running: boolean;
}

export function createEventSink(deps: {
  bus: Bus;
  sql: Sql;
  clock: Clock;
  logger: Logger;
  partitions: PartitionManager;
  /** Subscribers sharing the group in this process (JetStream only). */
  concurrency?: number;
  onStored?: (count: number) => void;
  /** Keeps one event the database refuses (a data exception), so the rest of its batch is stored. */
  deadLetter: (event: UgcEventRecord, error: unknown) => Promise<void>;
}): EventSink {
  const { bus, sql, logger, partitions } = deps;
  let subscriptions: Subscription[] = [];

  async function write(events: readonly UgcEventRecord[]): Promise<number> {
    return sql.transaction((tx) => createEventRepository(tx).store(events));
  }

  async function writeWithRetry(events: readonly UgcEventRecord[]): Promise<number> {
    try {
      return await write(events);
    } catch (error) {
      // "no partition of relation found for row": a partition was pruned by another process.
      if (!isSqlError(error, SqlState.checkViolation)) throw error;
      partitions.forget();
      await partitions.ensure(events.map((e) => e.ts.slice(0, 10)));
      return write(events);
    }
  }

  /**
   * Stores what can be stored: a batch the database refuses for its values is split in halves
   * until the refused events stand alone, and those go to the dead letters. One bad event then
   * costs a few statements instead of the whole batch's redeliveries.
   */
  async function isolate(events: readonly UgcEventRecord[]): Promise<number> {
    try {
      return await writeWithRetry(events);
    } catch (error) {
      if (!isDataException(error)) throw error;
      if (events.length === 1) {
        logger.warn(
          { err: error, event_id: events[0]!.event_id },
          'event refused by the database; dead-lettered',
        );
        await deps.deadLetter(events[0]!, error);
        return 0;
      }
      const half = Math.ceil(events.length / 2);
      return (await isolate(events.slice(0, half))) + (await isolate(events.slice(half)));
    }
  }

  async function store(events: readonly UgcEventRecord[]): Promise<number> {
    if (events.length === 0) return 0;
    await partitions.ensure(events.map((e) => e.ts.slice(0, 10)));
    const stored = await isolate(events);
    deps.onStored?.(stored);
    return stored;
  }

  return {
    store,
    get running() {
      return subscriptions.length > 0;
    },
    async start() {
      await partitions.ensure(daysFrom(new Date(Date.parse(utcDay(deps.clock.now()))), DAYS_AHEAD));
      // Each subscriber writes one batch at a time; several share the durable group.
      const n = bus.engine === 'nats' ? Math.max(1, deps.concurrency ?? 1) : 1;
      for (let i = 0; i < n; i++) {
        subscriptions.push(
          await consumeStream({
            bus,
            logger,
            group: SINK_GROUP,
            types: ['ugc.events.batch'],
            handle: async (event) => void (await store(event.payload.events)),
          }),
        );
      }
    },
    async stop() {
      const running = subscriptions;
      subscriptions = [];
      await Promise.all(running.map((s) => s.stop()));
    },
  };
}
