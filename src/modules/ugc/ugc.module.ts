/** Wires the ugc module: repositories, services, routes, workers. */
import type { ModuleContext, ModuleInstance } from '../../platform/module.js';
import { createAnalyticsRepository } from './analytics.repository.js';
import { createAnalyticsService } from './analytics.service.js';
import { createBookmarkService } from './bookmark.service.js';
import { recordDeadLetter } from '../../platform/consumer.js';
import { createWindowLimiter } from '../../platform/rate-limit.js';
import { createEventSink, SINK_GROUP } from './event.sink.js';
import { createFilmProjection } from './film.projection.js';
import { createFilmRepository } from './film.repository.js';
import { createIngestService } from './ingest.service.js';
import { createPartitionManager } from './partitions.js';
import { createProgressService } from './progress.service.js';
import { createRatingRepository } from './rating.repository.js';
import { createRatingService } from './rating.service.js';
import { createReviewService } from './review.service.js';
import { ugcRoutes } from './ugc.routes.js';

export async function createUgc(ctx: ModuleContext): Promise<ModuleInstance> {
  const { sql, bus, clock, logger, metrics } = ctx;
  const films = createFilmRepository(sql);
  const stored = metrics.counter(
    'ugc_events_stored_total',
    'Events written to ugc.events (duplicates excluded).',
  );
  const sink = createEventSink({
    bus,
    sql,
    clock,
    logger: logger.child({ worker: 'ugc-sink' }),
    partitions: createPartitionManager(sql),
    concurrency: ctx.config.ugcSinkConcurrency,
    onStored: (n) => stored.inc(n),
    deadLetter: (event, error) =>
      recordDeadLetter(sql, SINK_GROUP, { id: event.event_id, type: 'ugc.event', payload: event }, error),
  });
  const services = {
    ratings: createRatingService({ sql, films }),
    reviews: createReviewService({ sql, films }),
    bookmarks: createBookmarkService({ sql, films }),
    progress: createProgressService({ sql, clock, films }),
    ingest: createIngestService({
      bus,
      sql,
      clock,
      logger,
      metrics,
      sink,
      films,
      limiter: createWindowLimiter({ cache: ctx.cache, clock, logger, enabled: ctx.config.rateLimit }),
      perMinute: ctx.config.ugcIngestPerMinute,
    }),
    analytics: createAnalyticsService({
      clock,
      analytics: createAnalyticsRepository(sql),
      films,
      ratings: createRatingRepository(sql),
    }),
  };
  metrics.gauge('ugc_sink_lag', 'Event batches waiting for the ugc sink.', () => bus.lag('ugc.sink'));
  return {
    service: services,
    routes: ugcRoutes(services, { ingestBodyLimit: ctx.config.ugcIngestBodyLimit }),
    workers: {
      'ugc-sink': sink,
      'ugc-films': createFilmProjection({ bus, sql, logger: logger.child({ worker: 'ugc-films' }) }),
    },
  };
}
