/** `kino ugc prune --older-than 90d`: detaches (and drops) whole days of old events. */
import { parseArgs } from 'node:util';
import type { Command } from '../../platform/module.js';
import { prunePartitions } from './partitions.js';

const DURATION = /^(\d+)d$/;

export const ugcCommand: Command = {
  summary: 'Maintenance of user-generated content: prune old event partitions.',
  usage: 'kino ugc prune --older-than 90d [--keep]   (--keep detaches without dropping)',
  async run(ctx) {
    let parsed;
    try {
      parsed = parseArgs({
        args: [...ctx.args],
        allowPositionals: true,
        options: {
          'older-than': { type: 'string', default: '90d' },
          keep: { type: 'boolean', default: false },
        },
      });
    } catch {
      ctx.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const { positionals, values } = parsed;
    const olderThan = DURATION.exec(values['older-than']);
    if (positionals[0] !== 'prune' || !olderThan) {
      ctx.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const kernel = await ctx.kernel(['ugc']);
    try {
      const cutoff = new Date(kernel.context.clock.now().getTime() - Number(olderThan[1]) * 86_400_000);
      const pruned = await prunePartitions(kernel.context.sql, cutoff, { keep: values.keep });
      ctx.stdout.write(
        pruned.length === 0
          ? 'No event partitions to prune.\n'
          : `${values.keep ? 'Detached' : 'Dropped'} ${pruned.length} partition(s): ${pruned.join(', ')}\n`,
      );
      return 0;
    } finally {
      await kernel.close();
    }
  },
};
