import './content.events.js';
import type { ModuleDefinition } from '../../platform/module.js';
import { createContentService } from './content.service.js';
import { createReadModel } from './read-model.js';
import type { CatalogModuleService } from './content.types.js';
import { importCommand } from './import/import.command.js';

export type { AccessLevel, FilmSnapshot, FilmType, PersonRole } from './content.events.js';
export type * from './content.types.js';
export { createContentService } from './content.service.js';
export { createReadModel, READ_MODEL_VERSION_KEY } from './read-model.js';
export * as contentSchemas from './content.schemas.js';

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
    return { service };
  },
  commands: { import: importCommand },
};
export { createProgress, type Progress } from './import/progress.js';
export { importPracticumSql } from './import/practicum-sql.js';
export { importElasticdump } from './import/elasticdump.js';
export type { ImportReport } from './import/importer.js';
