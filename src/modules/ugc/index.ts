import './ugc.events.js';
export type { UgcEventRecord } from './ugc.events.js';
import type { ModuleDefinition } from '../../platform/module.js';

export const ugcModule: ModuleDefinition = {
  name: 'ugc',
  migrations: [],
  async create() {
    return {};
  },
};
