/**
 * Keeps ugc.film in step with the content module's events. `content.films.bulk_changed` names
 * only ids: when the catalog module runs in this process its public service gives the new state
 * (read before the transaction opens: PGlite has one connection); otherwise the films are marked
 * stale and keep their last known state until their next `content.film.upserted`.
 */
import type { Bus, BusMessage, Subscription } from '../../ports/bus.js';
import type { Sql } from '../../ports/sql.js';
import { once } from '../../platform/consumer.js';
import type { EventMap } from '../../platform/events.js';
import type { Logger } from '../../platform/logger.js';
import type { ServiceRegistry, Worker } from '../../platform/module.js';
import type { AccessLevel } from '../catalog/index.js';
import { createFilmRepository, type FilmUpsert } from './film.repository.js';

export const FILMS_GROUP = 'ugc.films';
const TYPES = new Set(['content.film.upserted', 'content.film.deleted', 'content.films.bulk_changed']);

/** What ugc needs from the catalog module's public service (when it runs in this process). */
interface CatalogLookup {
  readonly content?: { getFilm(id: string): Promise<unknown> };
}

const ACCESS = new Set<AccessLevel>(['FREE', 'PAID', 'ARCHIVED']);

/** Reads a film snapshot defensively: the catalog service is another module's contract. */
function toUpsert(id: string, value: unknown): FilmUpsert | null | 'unknown' {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object') return 'unknown';
  const v = value as Record<string, unknown>;
  const access = v.access as AccessLevel;
  if (typeof v.title !== 'string' || !ACCESS.has(access)) return 'unknown';
  const rating =
    typeof v.rating === 'number' ? v.rating : typeof v.imdb_rating === 'number' ? v.imdb_rating : null;
  const genres = Array.isArray(v.genre_ids)
    ? v.genre_ids.filter((g): g is string => typeof g === 'string')
    : [];
  return { id, title: v.title, rating, access, genre_ids: genres, version: null };
}

export function createFilmProjection(deps: {
  bus: Bus;
  sql: Sql;
  logger: Logger;
  services: ServiceRegistry;
}): Worker {
  const { bus, sql, logger } = deps;
  const films = createFilmRepository(sql);
  let subscription: Subscription | undefined;

  async function snapshots(ids: readonly string[]): Promise<Map<string, FilmUpsert | null> | null> {
    const content = deps.services.get<CatalogLookup>('catalog')?.content;
    if (!content) return null;
    const out = new Map<string, FilmUpsert | null>();
    for (const id of ids) {
      const found = toUpsert(id, await content.getFilm(id));
      if (found === 'unknown') return null;
      out.set(id, found);
    }
    return out;
  }

  async function handle(message: BusMessage): Promise<void> {
    if (message.type === 'content.films.bulk_changed') {
      const { filmIds } = message.payload as EventMap['content.films.bulk_changed'];
      const fresh = await snapshots(filmIds);
      await once(sql, FILMS_GROUP, message.id, async (tx) => {
        if (!fresh) return films.markStale(tx, filmIds);
        for (const [id, film] of fresh) {
          if (film) await films.upsert(tx, film);
          else await films.remove(tx, id);
        }
      });
      return;
    }
    await once(sql, FILMS_GROUP, message.id, async (tx) => {
      if (message.type === 'content.film.upserted') {
        const { film } = message.payload as EventMap['content.film.upserted'];
        await films.upsert(tx, {
          id: film.id,
          title: film.title,
          rating: film.rating,
          access: film.access,
          genre_ids: film.genre_ids,
          version: film.version,
        });
      } else if (message.type === 'content.film.deleted') {
        await films.remove(tx, (message.payload as EventMap['content.film.deleted']).filmId);
      }
    });
  }

  return {
    async start() {
      subscription = await bus.subscribe({
        group: FILMS_GROUP,
        // One prefix rather than three types: a single subject filter works on every NATS server
        // (several filters per consumer need NATS 2.10); other content events are skipped here.
        types: ['content.>'],
        handler: async (message, delivery) => {
          if (!TYPES.has(message.type)) return;
          try {
            await handle(message);
          } catch (error) {
            logger.warn(
              { err: error, event_id: message.id, type: message.type, attempt: delivery.attempt },
              'film projection failed',
            );
            throw error;
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
