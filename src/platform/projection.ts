/**
 * Projections: a module's own copy of facts another module owns (ugc's and files' copies of
 * films). A projection is a declaration: its consumer group, the events it follows with what each
 * does, and a backfill from the owner's fact source. This file does the rest once: it consumes
 * through `consume()` (consumer spans, de-duplication by event id, logging), and it backfills in
 * keyset pages, skipping the walk when the source's mark is the one it last applied. The kernel
 * runs every backfill of the projections a process runs at start and after a command changed the
 * database through it (seed, import); see docs/adr/0005-film-facts-projections.md.
 */
import type { Bus, Subscription } from '../ports/bus.js';
import type { Sql, SqlExecutor } from '../ports/sql.js';
import { consume } from './consumer.js';
import type { EventMap, EventType, ReceivedEvent } from './events.js';
import type { Logger } from './logger.js';
import type { Worker } from './module.js';
import { createProjectionRepository } from './projection.repository.js';

/** Facts the owner module publishes for backfills. */
export interface FactSource<R extends { readonly id: string }> {
  /** A cheap fingerprint of every fact: equal marks mean nothing changed since. */
  mark(): Promise<string>;
  /** Up to `limit` rows whose id sorts after `after` (all when null), in id order. */
  page(after: string | null, limit: number): Promise<readonly R[]>;
}

export type ProjectionHandlers<T extends EventType> = {
  readonly [K in T]: (payload: EventMap[K], tx: SqlExecutor, event: ReceivedEvent<K>) => Promise<unknown>;
};

export interface ProjectionSpec<T extends EventType, R extends { readonly id: string }> {
  /** Durable consumer group, also the de-duplication and backfill key. */
  readonly group: string;
  /**
   * The one bus filter subject: an event type, or a prefix (`content.>`) covering every type of
   * `on`. One filter subject per consumer works on every NATS server; types under it that `on`
   * does not name are acknowledged without a transaction.
   */
  readonly subject: string;
  /** What each followed event does, inside its de-duplication transaction. */
  readonly on: ProjectionHandlers<T>;
  readonly backfill: {
    readonly source: FactSource<R>;
    /** Applies one page of facts; must be idempotent and keep a newer copy it already holds. */
    apply(tx: SqlExecutor, rows: readonly R[]): Promise<unknown>;
  };
  /** Rows per backfill page (default 1000). */
  readonly batchSize?: number;
}

export interface BackfillReport {
  readonly group: string;
  /** Rows read from the source (0 when skipped). */
  readonly rows: number;
  /** True when the source's mark was the one last applied: nothing was read. */
  readonly skipped: boolean;
}

export interface Projection extends Worker {
  readonly group: string;
  /** Brings the copy up to the source, page by page; safe to run at any time, also concurrently. */
  backfill(options?: { force?: boolean }): Promise<BackfillReport>;
}

export interface ProjectionDeps {
  readonly bus: Bus;
  readonly sql: Sql;
  readonly logger: Logger;
}

export function createProjection<T extends EventType, R extends { readonly id: string }>(
  deps: ProjectionDeps,
  spec: ProjectionSpec<T, R>,
): Projection {
  const { bus, sql, logger } = deps;
  const { group } = spec;
  const batch = spec.batchSize ?? 1000;
  const handlers = spec.on as unknown as Readonly<
    Record<string, (payload: unknown, tx: SqlExecutor, event: ReceivedEvent) => Promise<unknown>>
  >;
  let subscription: Subscription | undefined;

  return {
    group,
    async start() {
      if (subscription) return;
      subscription = await consume({
        bus,
        sql,
        logger,
        group,
        types: [spec.subject] as unknown as readonly T[],
        accepts: (type) => Object.hasOwn(handlers, type),
        handle: async (event, tx) => {
          await handlers[event.type]?.(event.payload, tx, event);
        },
      });
    },
    async stop() {
      await subscription?.stop();
      subscription = undefined;
    },
    async backfill(options = {}) {
      const started = Date.now();
      const mark = await spec.backfill.source.mark();
      const marks = createProjectionRepository(sql);
      if (!options.force && (await marks.lastMark(group)) === mark) return { group, rows: 0, skipped: true };
      let rows = 0;
      let after: string | null = null;
      for (;;) {
        const page = await spec.backfill.source.page(after, batch);
        if (page.length === 0) break;
        await sql.transaction((tx) => spec.backfill.apply(tx, page));
        rows += page.length;
        after = page[page.length - 1]!.id;
        if (page.length < batch) break;
      }
      // The mark read before the walk: a change during it makes the next backfill walk again.
      await marks.recordBackfill(group, mark, rows);
      logger.info({ group, rows, ms: Date.now() - started }, 'projection backfilled');
      return { group, rows, skipped: false };
    },
  };
}

/** Whether a worker is a projection (the kernel backfills those). */
export function isProjection(worker: Worker): worker is Projection {
  return typeof (worker as Partial<Projection>).backfill === 'function';
}
