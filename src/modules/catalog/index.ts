import './content.events.js';
export type { AccessLevel, FilmSnapshot, FilmType, PersonRole } from './content.events.js';
import type { ModuleDefinition } from '../../platform/module.js';

export const catalogModule: ModuleDefinition = {
  name: 'catalog',
  migrations: [],
  async create() {
    return {};
  },
};
