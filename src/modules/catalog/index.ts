import './content.events.js';
import type { ModuleDefinition } from '../../platform/module.js';
import { createCatalogReadApi } from './catalog.routes.js';
import { createContentRepository } from './content.repository.js';
import { createContentService } from './content.service.js';
import { createReadModel } from './read-model.js';
import type { CatalogModuleService } from './content.types.js';
import { importCommand } from './import/import.command.js';
import { generateCatalog } from './demo/generator.js';

export type { AccessLevel, FilmFacts, FilmSnapshot, FilmType, PersonRole } from './content.events.js';
export { filmFactSource } from './film-facts.js';
export type * from './content.types.js';
export { createContentService } from './content.service.js';
export { canSee, visibleLevels } from './access.js';
export { catalogErrors, type CatalogErrorCode } from './catalog.errors.js';
export { createReadModel, DROPPED_INDEXES_KEY, READ_MODEL_VERSION_KEY } from './read-model.js';
export * as contentSchemas from './content.schemas.js';

declare module '../../platform/module.js' {
  interface ServiceMap {
    catalog: CatalogModuleService;
  }
}

/** What `kino start` generates into an empty database. */
export const DEMO_CATALOGUE = { films: 1000, genres: 24, persons: 3200, seed: 1895 } as const;

export const catalogModule: ModuleDefinition = {
  name: 'catalog',
  migrations: [
    { module: 'content', schema: 'content', dir: new URL('./migrations/content/', import.meta.url) },
    { module: 'catalog', schema: 'catalog', dir: new URL('./migrations/catalog/', import.meta.url) },
  ],
  async create(ctx) {
    const service: CatalogModuleService = {
      content: createContentService({ sql: ctx.sql }),
      readModel: createReadModel({ sql: ctx.sql, cache: ctx.cache }),
    };
    return {
      service,
      routes: createCatalogReadApi(ctx),
      // A command (import, etl rebuild) rewrote the read model through this process: responses
      // cached before it are stale.
      refresh: () => service.readModel.bumpVersion(),
      async seed() {
        if (await createContentRepository(ctx.sql).anyFilm()) return [];
        const started = Date.now();
        const counts = await generateCatalog(ctx.sql, DEMO_CATALOGUE);
        await service.readModel.rebuild();
        ctx.logger.info({ ...counts, ms: Date.now() - started }, 'demo catalogue generated');
        return [
          `Demo catalogue: ${counts.films} films, ${counts.genres} genres, ${counts.persons} persons (generated; import real data with \`kino import\`).`,
        ];
      },
    };
  },
  commands: { import: importCommand },
};
export { importPracticumSql } from './import/practicum-sql.js';
export { importElasticdump } from './import/elasticdump.js';
export type { ImportReport } from './import/importer.js';
export {
  generateCatalog,
  demoData,
  prng,
  type GenerateOptions,
  type GeneratedCounts,
} from './demo/generator.js';
export { SORT_COLUMNS, type SortColumn } from './content.sorts.js';
