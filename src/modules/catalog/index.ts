import './content.events.js';
export type { AccessLevel, FilmSnapshot, FilmType, PersonRole } from './content.events.js';
import type { ModuleDefinition } from '../../platform/module.js';
import { createCatalogReadApi } from './catalog.routes.js';

export const catalogModule: ModuleDefinition = {
  name: 'catalog',
  migrations: [
    { module: 'content', schema: 'content', dir: new URL('./migrations/content/', import.meta.url) },
    { module: 'catalog', schema: 'catalog', dir: new URL('./migrations/catalog/', import.meta.url) },
  ],
  async create(ctx) {
    return { routes: createCatalogReadApi(ctx) };
  },
};
