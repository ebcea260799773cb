/**
 * The public catalog read API (docs/modules/catalog-api.md, the Practicum "Async API" contract). Handlers validate
 * by schema, work out what the caller may see, and answer from the response cache or the query
 * service. Lists are bare JSON arrays with the total in X-Total-Count.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ModuleContext } from '../../platform/module.js';
import { createCatalogCache, type CatalogCache } from './catalog.cache.js';
import { createCatalogRepository } from './catalog.repository.js';
import {
  FilmDetail,
  FilmList,
  FilmsQuery,
  GenreList,
  Genre,
  GenresQuery,
  IdParams,
  PersonDetail,
  PersonList,
  Problem,
  SearchQuery,
} from './catalog.schemas.js';
import { visibleLevels } from './access.js';
import {
  assertVisible,
  createCatalogQueryService,
  type CatalogQueryService,
  type Page,
  type PageRequest,
} from './catalog.service.js';
import type { AccessLevel } from '../content/index.js';
import { normaliseQuery } from './search.js';
import { createSearchBudget, searchCaller, type SearchBudget } from './search-budget.js';
import { optionalBearerSecurity } from '../../platform/http/openapi.js';
import type { Principal } from '../../platform/security.js';
import { catalogErrors } from './catalog.errors.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const tags = ['catalog'];
const security = optionalBearerSecurity;
const errors = { 400: Problem, 401: Problem };

/** The body as the route's response schema serialises it. */
function serialize(reply: FastifyReply, value: unknown): string {
  const out = reply.serialize(value);
  return typeof out === 'string' ? out : Buffer.from(out as ArrayBuffer).toString('utf8');
}

/** A cached page is "<total>\n<body>". */
const encodePage = (reply: FastifyReply, page: Page<unknown>) =>
  `${page.total}\n${serialize(reply, page.items)}`;

function sendPage(reply: FastifyReply, encoded: string) {
  const cut = encoded.indexOf('\n');
  return reply
    .header('x-total-count', encoded.slice(0, cut))
    .type(JSON_TYPE)
    .send(encoded.slice(cut + 1));
}

const sendBody = (reply: FastifyReply, body: string) => reply.type(JSON_TYPE).send(body);

/** Parameter spellings of the original Practicum specification, accepted as aliases. */
const QUERY_ALIASES: Readonly<Record<string, string>> = {
  'page[size]': 'page_size',
  'page[number]': 'page_number',
  'filter[genre]': 'genre',
};

export function catalogRoutes(deps: {
  service: CatalogQueryService;
  cache: CatalogCache;
  /** Spent only by searches the cache cannot answer. */
  searchBudget: SearchBudget;
}): FastifyPluginAsync {
  const { service, cache, searchBudget } = deps;

  /** Answers a body from the response cache, loading and serialising it on a miss. */
  const sendCached = async (
    reply: FastifyReply,
    kind: string,
    parts: readonly unknown[],
    load: () => Promise<unknown>,
  ) => sendBody(reply, await cache.remember(kind, parts, async () => serialize(reply, await load())));

  /** Answers a page from the response cache, loading and encoding it on a miss. */
  const sendCachedPage = async (
    reply: FastifyReply,
    kind: string,
    parts: readonly unknown[],
    load: () => Promise<Page<unknown>>,
  ) => sendPage(reply, await cache.remember(kind, parts, async () => encodePage(reply, await load())));

  /** A search page, cached per levels, normalised query and page; only a miss spends the caller's budget. */
  const sendSearch = async (
    request: { principal: Principal; ip: string; query: SearchQuery },
    reply: FastifyReply,
    kind: string,
    search: (query: string, page: PageRequest, levels: AccessLevel[]) => Promise<Page<unknown>>,
  ) => {
    const levels = visibleLevels(request.principal);
    const { query, page_number, page_size } = request.query;
    const page = { page_number, page_size };
    return sendCachedPage(reply, kind, [levels, normaliseQuery(query), page], async () => {
      await searchBudget.spend(searchCaller(request.principal, request.ip));
      return search(query, page, levels);
    });
  };

  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    app.addHook('preValidation', async (request) => {
      const query = request.query as Record<string, unknown> | undefined;
      if (!query) return;
      for (const [alias, name] of Object.entries(QUERY_ALIASES)) {
        if (alias in query) {
          query[name] ??= query[alias];
          delete query[alias];
        }
      }
    });

    app.get(
      '/api/v1/films',
      {
        schema: {
          tags,
          security,
          summary: 'Films the caller may see, by rating, optionally in any of several genres',
          querystring: FilmsQuery,
          response: { 200: FilmList, ...errors },
        },
      },
      async (request, reply) => {
        const levels = visibleLevels(request.principal);
        const q = request.query;
        const sort = q.sort ?? '-imdb_rating';
        const genres = [...new Set((q.genre ?? []).map((g) => g.toLowerCase()))].sort();
        const page = { page_number: q.page_number, page_size: q.page_size };
        return sendCachedPage(reply, 'films', [levels, sort, genres, page], () =>
          service.listFilms({ sort, genres }, page, levels),
        );
      },
    );

    app.get(
      '/api/v1/films/search',
      {
        schema: {
          tags,
          security,
          summary: 'Full-text search over titles, descriptions, genres and people',
          querystring: SearchQuery,
          response: { 200: FilmList, 429: Problem, ...errors },
          'x-errors': [catalogErrors.SEARCH_RATE_LIMITED],
        },
      },
      async (request, reply) =>
        sendSearch(request, reply, 'film-search', (query, page, levels) =>
          service.searchFilms(query, page, levels),
        ),
    );

    app.get(
      '/api/v1/films/:uuid',
      {
        schema: {
          tags,
          security,
          summary: 'One film; 403 when the caller may not see its access level',
          params: IdParams,
          response: { 200: FilmDetail, 403: Problem, 404: Problem, ...errors },
          'x-errors': [catalogErrors.FILM_NOT_FOUND, catalogErrors.FILM_ACCESS_DENIED],
        },
      },
      async (request, reply) => {
        const levels = visibleLevels(request.principal);
        // Cached whatever the access level ("<level>\n<body>"); the check runs on every request.
        const encoded = await cache.remember('film', [request.params.uuid.toLowerCase()], async () => {
          const film = await service.film(request.params.uuid);
          return `${film.type}\n${serialize(reply, film)}`;
        });
        const cut = encoded.indexOf('\n');
        assertVisible(encoded.slice(0, cut) as AccessLevel, levels);
        return sendBody(reply, encoded.slice(cut + 1));
      },
    );

    app.get(
      '/api/v1/genres',
      {
        schema: {
          tags,
          summary: 'Every genre by name (paged when page parameters are given)',
          querystring: GenresQuery,
          response: { 200: GenreList, ...errors },
        },
      },
      async (request, reply) => {
        const { page_number, page_size } = request.query;
        const page =
          page_number === undefined && page_size === undefined
            ? null
            : { page_number: page_number ?? 1, page_size: page_size ?? 50 };
        return sendCachedPage(reply, 'genres', [page], () => service.genres(page));
      },
    );

    app.get(
      '/api/v1/genres/:uuid',
      {
        schema: {
          tags,
          summary: 'One genre',
          params: IdParams,
          response: { 200: Genre, 404: Problem, ...errors },
          'x-errors': [catalogErrors.GENRE_NOT_FOUND],
        },
      },
      async (request, reply) =>
        sendCached(reply, 'genre', [request.params.uuid.toLowerCase()], () =>
          service.genre(request.params.uuid),
        ),
    );

    app.get(
      '/api/v1/persons/search',
      {
        schema: {
          tags,
          security,
          summary: 'Search people by name',
          querystring: SearchQuery,
          response: { 200: PersonList, 429: Problem, ...errors },
          'x-errors': [catalogErrors.SEARCH_RATE_LIMITED],
        },
      },
      async (request, reply) =>
        sendSearch(request, reply, 'person-search', (query, page, levels) =>
          service.searchPersons(query, page, levels),
        ),
    );

    app.get(
      '/api/v1/persons/:uuid',
      {
        schema: {
          tags,
          security,
          summary: 'One person with the roles in each film the caller may see',
          params: IdParams,
          response: { 200: PersonDetail, 404: Problem, ...errors },
          'x-errors': [catalogErrors.PERSON_NOT_FOUND],
        },
      },
      async (request, reply) => {
        const levels = visibleLevels(request.principal);
        return sendCached(reply, 'person', [levels, request.params.uuid.toLowerCase()], () =>
          service.person(request.params.uuid, levels),
        );
      },
    );

    app.get(
      '/api/v1/persons/:uuid/film',
      {
        schema: {
          tags,
          security,
          summary: "The person's films the caller may see, best rated first",
          params: IdParams,
          response: { 200: FilmList, 404: Problem, ...errors },
          'x-errors': [catalogErrors.PERSON_NOT_FOUND],
        },
      },
      async (request, reply) => {
        const levels = visibleLevels(request.principal);
        return sendCached(reply, 'person-films', [levels, request.params.uuid.toLowerCase()], () =>
          service.personFilms(request.params.uuid, levels),
        );
      },
    );
  };
}

/** Builds the read API of a catalog module instance. */
export function createCatalogReadApi(ctx: ModuleContext): FastifyPluginAsync {
  const lookups = ctx.metrics.counter(
    'kino_catalog_cache_lookups_total',
    'Catalog response cache lookups by result (near = this process, hit = shared cache, miss, off).',
    ['result'],
  );
  const cache = createCatalogCache({
    cache: ctx.cache,
    clock: ctx.clock,
    logger: ctx.logger,
    ttlSeconds: ctx.config.cacheTtl,
    nearBytes: ctx.config.cacheNearMb * 1024 * 1024,
    onLookup: (result) => lookups.inc({ result }),
  });
  const service = createCatalogQueryService({ repository: createCatalogRepository(ctx.sql), cache });
  const searchBudget = createSearchBudget({
    cache: ctx.cache,
    clock: ctx.clock,
    logger: ctx.logger,
    enabled: ctx.config.rateLimit,
    perMinute: ctx.config.searchRateLimit,
  });
  return catalogRoutes({ service, cache, searchBudget });
}
