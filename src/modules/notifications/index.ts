import type { ModuleDefinition } from '../../platform/module.js';

export const notificationsModule: ModuleDefinition = {
  name: 'notifications',
  migrations: [],
  async create() {
    return {};
  },
};
