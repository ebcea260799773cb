import type { ModuleDefinition } from '../../platform/module.js';

export const ugcModule: ModuleDefinition = {
  name: 'ugc',
  migrations: [],
  async create() {
    return {};
  },
};
