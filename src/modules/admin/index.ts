import type { ModuleDefinition } from '../../platform/module.js';

export const adminModule: ModuleDefinition = {
  name: 'admin',
  migrations: [],
  async create() {
    return {};
  },
};
