/** Keeps files.film (id, access level) in step with the content write model through its events. */
import type { Bus, Subscription } from '../../ports/bus.js';
import type { Sql } from '../../ports/sql.js';
import { consume } from '../../platform/consumer.js';
import type { Logger } from '../../platform/logger.js';
import type { Worker } from '../../platform/module.js';
import type { FilesRepository } from './files.repository.js';

export function createFilmProjection(deps: {
  bus: Bus;
  sql: Sql;
  logger: Logger;
  repo: FilesRepository;
}): Worker {
  let subscription: Subscription | undefined;
  return {
    async start() {
      subscription = await consume({
        bus: deps.bus,
        sql: deps.sql,
        logger: deps.logger,
        group: 'files.films',
        // One prefix (= one JetStream filter subject, which NATS servers before 2.10 need)
        // that covers exactly content.film.upserted and content.film.deleted.
        types: ['content.film.>'] as unknown as readonly ('content.film.upserted' | 'content.film.deleted')[],
        handle: async (event, tx) => {
          if (event.type === 'content.film.upserted') {
            const { film } = event.payload as {
              film: { id: string; access: 'FREE' | 'PAID' | 'ARCHIVED'; version: number };
            };
            await deps.repo.upsertFilm(tx, { id: film.id, access: film.access, version: film.version });
          } else if (event.type === 'content.film.deleted') {
            await deps.repo.deleteFilm(tx, (event.payload as { filmId: string }).filmId);
          }
        },
      });
    },
    async stop() {
      await subscription?.stop();
      subscription = undefined;
    },
  };
}
