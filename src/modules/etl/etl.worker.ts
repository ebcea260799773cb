/**
 * The `etl` worker: one durable bus group (`etl.catalog`) for content events and poster
 * changes, consumed through `consume()` (consumer span, dedup by event id in the same transaction
 * as the projection); after the commit the read-model cache version is bumped so cached API answers
 * are dropped. On start it also re-projects films whose documents are behind the content tables
 * (a safety net for changes made while nothing consumed them).
 */
import type { Subscription } from '../../ports/bus.js';
import type { SqlExecutor } from '../../ports/sql.js';
import { consume } from '../../platform/consumer.js';
import type { EventMap, EventType } from '../../platform/events.js';
import type { ModuleContext, Worker } from '../../platform/module.js';
import type { ReadModel } from '../catalog/index.js';

export const ETL_GROUP = 'etl.catalog';
const TYPES = ['content.>', 'files.poster.changed'] as const;

type Handlers = {
  [T in EventType]?: (rm: ReadModel, payload: EventMap[T], tx: SqlExecutor) => Promise<unknown>;
};

/** What each consumed event does to the read model. */
const HANDLERS: Handlers = {
  'content.film.upserted': (rm, e, tx) => rm.projectFilms([e.film.id], tx),
  'content.film.deleted': (rm, e, tx) => rm.removeFilms([e.filmId], tx),
  'content.films.bulk_changed': (rm, e, tx) => rm.projectFilms(e.filmIds, tx),
  'content.genre.upserted': (rm, e, tx) => rm.projectGenres([e.genre.id], tx),
  'content.genre.deleted': async (rm, e, tx) => {
    await rm.projectGenres([e.genreId], tx);
    await rm.projectFilms(e.filmIds, tx);
  },
  'content.person.upserted': (rm, e, tx) => rm.projectPersons([e.person.id], tx),
  'content.person.deleted': async (rm, e, tx) => {
    await rm.projectPersons([e.personId], tx);
    await rm.projectFilms(e.filmIds, tx);
  },
  'files.poster.changed': (rm, e, tx) => rm.setPoster(e.filmId, e.url, tx),
};

/** Applies one event to the read model on `tx`. Unknown types are ignored. */
export async function applyEvent(
  readModel: ReadModel,
  type: string,
  payload: unknown,
  tx: SqlExecutor,
): Promise<void> {
  const handler = HANDLERS[type as EventType] as
    ((rm: ReadModel, payload: unknown, tx: SqlExecutor) => Promise<unknown>) | undefined;
  await handler?.(readModel, payload, tx);
}

export function createEtlWorker(ctx: ModuleContext): Worker {
  const { sql, bus, logger, metrics } = ctx;
  const applied = metrics.counter(
    'kino_etl_events_applied_total',
    'Events the etl worker applied to the catalog read model.',
    ['type'],
  );
  const visible = metrics.histogram(
    'kino_etl_visible_seconds',
    'Time from a content change to its projection in the catalog read model.',
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  );
  let subscription: Subscription | undefined;
  let catchUp: Promise<void> | undefined;

  const readModel = () => ctx.services.require('catalog').readModel;

  metrics.gauge(
    'kino_etl_lag_seconds',
    'Seconds the catalog read model is behind the edited catalogue.',
    () => (subscription ? readModel().lagSeconds() : null),
  );

  async function reconcile(): Promise<void> {
    const films = await readModel().reconcile();
    if (films > 0) logger.info({ films }, 'etl: re-projected films that were behind the content tables');
  }

  return {
    async start() {
      if (subscription) return;
      subscription = await consume({
        bus,
        sql,
        logger,
        group: ETL_GROUP,
        // Two filter subjects: NATS servers before 2.10 take the whole stream and the adapter
        // keeps the matches (see adapters/bus/nats.ts).
        types: TYPES as unknown as readonly EventType[],
        handle: (event, tx) => applyEvent(readModel(), event.type, event.payload, tx),
        // After the commit, once per event: cached answers are dropped, the change is measured.
        applied: async (event) => {
          await readModel().bumpVersion();
          applied.inc({ type: event.type });
          const seconds = (Date.now() - Date.parse(event.occurredAt)) / 1000;
          if (Number.isFinite(seconds)) visible.observe(Math.max(0, seconds));
        },
      });
      catchUp = reconcile().catch((error: unknown) => logger.warn({ err: error }, 'etl: catch-up failed'));
    },
    async stop() {
      await catchUp;
      await subscription?.stop();
      subscription = undefined;
    },
  };
}
