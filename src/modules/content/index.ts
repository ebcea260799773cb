/**
 * The content module: the edited catalogue (write model) of films, genres and persons. Its
 * service checks versions, writes the change log and emits `content.*` events in one transaction;
 * its film facts feed other modules' projections; `kino import` and the first-run demo catalogue
 * write its tables. It has no routes: the admin module is its HTTP face, and the catalog module
 * builds the public read model from its tables.
 */
import './content.events.js';
import type { ModuleDefinition } from '../../platform/module.js';
import { createContentRepository } from './content.repository.js';
import { createContentService } from './content.service.js';
import type { ContentService } from './content.types.js';
import { importCommand } from './import/import.command.js';
import { generateCatalog } from './demo/generator.js';

export type { AccessLevel, FilmFacts, FilmSnapshot, FilmType, PersonRole } from './content.events.js';
export { filmFactSource, filmFactsProjection, type FilmFactsCopy } from './film-facts.js';
export type * from './content.types.js';
export { createContentService } from './content.service.js';
export { contentErrors, type ContentErrorCode } from './content.errors.js';
export * as contentSchemas from './content.schemas.js';
export { SORT_COLUMNS, type SortColumn } from './content.sorts.js';
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

declare module '../../platform/module.js' {
  interface ServiceMap {
    content: ContentService;
  }
}

/** What `kino start` generates into an empty database. */
export const DEMO_CATALOGUE = { films: 1000, genres: 24, persons: 3200, seed: 1895 } as const;

export const contentModule: ModuleDefinition = {
  name: 'content',
  migrations: [{ module: 'content', schema: 'content', dir: new URL('./migrations/', import.meta.url) }],
  async create(ctx) {
    return {
      service: createContentService({ sql: ctx.sql }),
      // The demo rows are written as SQL, not events: the catalog read model (its own seed, which
      // runs after this one) and the film projections (their backfill) are built from the tables.
      async seed() {
        if (await createContentRepository(ctx.sql).anyFilm()) return [];
        const started = Date.now();
        const counts = await generateCatalog(ctx.sql, DEMO_CATALOGUE);
        ctx.logger.info({ ...counts, ms: Date.now() - started }, 'demo catalogue generated');
        return [
          `Demo catalogue: ${counts.films} films, ${counts.genres} genres, ${counts.persons} persons (generated; import real data with \`kino import\`).`,
        ];
      },
    };
  },
  commands: { import: importCommand },
};
