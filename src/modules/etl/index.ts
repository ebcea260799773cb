import type { ModuleDefinition } from '../../platform/module.js';

export const etlModule: ModuleDefinition = {
  name: 'etl',
  migrations: [],
  async create() {
    return {};
  },
};
