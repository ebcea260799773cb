/**
 * The catalog module: the public read side of the catalogue. Its read model (catalog.*) is
 * projected from content's tables (ADR 0010); the public API searches and lists it behind a
 * response cache, and `canSee`/`visibleLevels` is the one film access rule every module applies.
 */
import type { ModuleDefinition } from '../../platform/module.js';
import { createCatalogReadApi } from './catalog.routes.js';
import { createReadModel } from './read-model.js';
import type { CatalogService } from './catalog.types.js';

export type * from './catalog.types.js';
export type { FilmDocument } from './catalog.repository.js';
export { canSee, visibleLevels } from './access.js';
export { catalogErrors, type CatalogErrorCode } from './catalog.errors.js';
export { createReadModel, DROPPED_INDEXES_KEY, READ_MODEL_VERSION_KEY } from './read-model.js';

declare module '../../platform/module.js' {
  interface ServiceMap {
    catalog: CatalogService;
  }
}

export const catalogModule: ModuleDefinition = {
  name: 'catalog',
  migrations: [
    { module: 'catalog', schema: 'catalog', dir: new URL('./migrations/catalog/', import.meta.url) },
  ],
  // Its read model is built from content's tables: content's migrations and seed come first.
  uses: ['content'],
  async create(ctx) {
    const service: CatalogService = { readModel: createReadModel({ sql: ctx.sql, cache: ctx.cache }) };
    return {
      service,
      routes: createCatalogReadApi(ctx),
      // A command (import, etl rebuild) rewrote the read model through this process: responses
      // cached before it are stale.
      refresh: () => service.readModel.bumpVersion(),
      // After content's seed: a first start builds the read model from the demo catalogue.
      async seed() {
        const started = Date.now();
        const built = await service.readModel.buildIfEmpty();
        if (built) ctx.logger.info({ ...built, ms: Date.now() - started }, 'read model built');
        return [];
      },
    };
  },
};
