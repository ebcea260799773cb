/**
 * The etl module keeps the catalog read model in step with the edited catalogue: its `etl`
 * worker consumes content events (and poster changes) through a durable bus group and asks the
 * catalog projector to re-project what they touch. `kino etl rebuild` recomputes everything.
 */
import type { ModuleDefinition } from '../../platform/module.js';
import { createProgress } from '../../platform/progress.js';
import { createEtlWorker } from './etl.worker.js';

export const etlModule: ModuleDefinition = {
  name: 'etl',
  migrations: [],
  uses: ['catalog'],
  async create(ctx) {
    return { workers: { etl: createEtlWorker(ctx) } };
  },
  commands: {
    etl: {
      summary: 'Catalog read model maintenance: rebuild it from the content tables.',
      usage: 'kino etl rebuild',
      async run(ctx) {
        if (ctx.args[0] !== 'rebuild') {
          ctx.stderr.write(`usage: ${this.usage}\n`);
          return 2;
        }
        const kernel = await ctx.kernel(['catalog']);
        try {
          const { readModel } = kernel.services.require('catalog');
          const started = Date.now();
          let progress: ReturnType<typeof createProgress> | undefined;
          const result = await readModel.rebuild((done, total) => {
            progress ??= createProgress(ctx.stderr, 'Rebuilding films', total, 'films');
            progress.update(done, total);
          });
          progress?.stop();
          const seconds = (Date.now() - started) / 1000;
          ctx.stdout.write(
            `Rebuilt the catalog read model: ${result.films} films, ${result.genres} genres, ${result.persons} persons in ${seconds.toFixed(1)} s.\n`,
          );
          return 0;
        } finally {
          await kernel.close();
        }
      },
    },
  },
};
