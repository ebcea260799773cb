import './ugc.events.js';
export type { UgcEventRecord } from './ugc.events.js';
import type { ModuleDefinition } from '../../platform/module.js';
import { ugcCommand } from './prune.command.js';

export const ugcModule: ModuleDefinition = {
  name: 'ugc',
  migrations: [{ module: 'ugc', schema: 'ugc', dir: new URL('./migrations/', import.meta.url) }],
  uses: ['content'],
  async create(ctx) {
    const { createUgc } = await import('./ugc.module.js');
    return createUgc(ctx);
  },
  commands: { ugc: ugcCommand },
};
