import './auth.events.js';
import type { ModuleDefinition } from '../../platform/module.js';

export const authModule: ModuleDefinition = {
  name: 'auth',
  migrations: [],
  async create() {
    return {};
  },
};
