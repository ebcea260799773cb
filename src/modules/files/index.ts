import './files.events.js';
import type { ModuleDefinition } from '../../platform/module.js';

export const filesModule: ModuleDefinition = {
  name: 'files',
  migrations: [],
  async create() {
    return {};
  },
};
