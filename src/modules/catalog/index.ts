import type { ModuleDefinition } from '../../platform/module.js';

export const catalogModule: ModuleDefinition = {
  name: 'catalog',
  migrations: [],
  async create() {
    return {};
  },
};
