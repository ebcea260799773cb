/**
 * `kino import practicum-sql <file>` and `kino import elasticdump <movies.ndjson> [--genres f]
 * [--persons f]`. Streams the file, upserts in batches, shows progress on stderr, then brings the
 * catalog's read model up to date for what changed (through its service, so the command runs the
 * catalog module beside this one) and announces the films through the outbox.
 */
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command, CommandContext } from '../../../platform/module.js';
import { emit } from '../../../platform/outbox.js';
import { event } from '../../../platform/events.js';
import { createContentRepository } from '../content.repository.js';
import { importElasticdump } from './elasticdump.js';
import {
  DEFAULT_LIMITS,
  ImportAborted,
  type ImportLimits,
  type ImportReport,
  type Touched,
} from './importer.js';
import { importPracticumSql } from './practicum-sql.js';
import { createProgress, type Progress } from '../../../platform/progress.js';

const USAGE = [
  'kino import practicum-sql <dump.sql> [--max-bad-rows N]',
  '       kino import elasticdump <movies.ndjson> [--genres <genres.ndjson>] [--persons <persons.ndjson>] [--max-bad-rows N]',
  `  --max-bad-rows N   stop (writing nothing) when more than N rows are bad (default ${DEFAULT_LIMITS.maxBadRows})`,
].join('\n');

function fileSize(ctx: CommandContext, file: string): number | null {
  try {
    return statSync(file).size;
  } catch {
    ctx.stderr.write(`kino import: cannot read ${file}\n`);
    return null;
  }
}

function printReport(ctx: CommandContext, report: ImportReport, seconds: number): void {
  ctx.stdout.write(
    `Imported ${report.films} films, ${report.genres} genres, ${report.persons} persons, ` +
      `${report.genre_links} genre links, ${report.person_links} person links in ${seconds.toFixed(1)} s; ` +
      `${report.skipped_count} bad row(s) skipped.\n`,
  );
  for (const s of report.skipped.slice(0, 20)) ctx.stderr.write(`  line ${s.line}: ${s.reason}\n`);
  if (report.skipped_count > 20) ctx.stderr.write(`  … and ${report.skipped_count - 20} more\n`);
}

export const importCommand: Command = {
  summary: 'Import films, genres and persons from a Practicum pg_dump or Elasticsearch dumps.',
  usage: USAGE,
  async run(ctx) {
    const { positionals, values } = parseArgs({
      args: [...ctx.args],
      allowPositionals: true,
      options: {
        genres: { type: 'string' },
        persons: { type: 'string' },
        'max-bad-rows': { type: 'string' },
      },
    });
    const [format, file] = positionals;
    const maxBadRows = Number(values['max-bad-rows'] ?? DEFAULT_LIMITS.maxBadRows);
    if (
      (format !== 'practicum-sql' && format !== 'elasticdump') ||
      !file ||
      !Number.isSafeInteger(maxBadRows) ||
      maxBadRows < 0
    ) {
      ctx.stderr.write(`usage: ${USAGE}\n`);
      return 2;
    }
    const limits: ImportLimits = { ...DEFAULT_LIMITS, maxBadRows };
    const files = [file, values.genres, values.persons].filter((f): f is string => typeof f === 'string');
    const sizes = files.map((f) => fileSize(ctx, f));
    if (sizes.some((s) => s === null)) return 1;
    const tooBig = files.find((_, i) => sizes[i]! > limits.maxFileBytes);
    if (tooBig) {
      ctx.stderr.write(
        `kino import: ${tooBig} is larger than ${limits.maxFileBytes} bytes (the size limit); nothing was imported.\n`,
      );
      return 1;
    }
    const totalBytes = sizes.reduce<number>((a, b) => a + (b ?? 0), 0);

    const kernel = await ctx.kernel(['content', 'catalog']);
    try {
      const sql = kernel.context.sql;
      const started = Date.now();
      const progress: Progress = createProgress(ctx.stderr, `Importing ${format}`, totalBytes, 'bytes');
      const onProgress = (done: number, total: number) => progress.update(done, total);
      let result: { report: ImportReport; touched: Touched };
      try {
        result =
          format === 'practicum-sql'
            ? await importPracticumSql(sql, file, { onProgress, limits })
            : await importElasticdump(
                sql,
                { movies: file, genres: values.genres, persons: values.persons },
                { onProgress, limits },
              );
      } catch (error) {
        if (!(error instanceof ImportAborted)) throw error;
        progress.stop();
        ctx.stderr.write(`kino import: ${error.message}; nothing was imported.\n`);
        return 1;
      }
      progress.stop();
      printReport(ctx, result.report, (Date.now() - started) / 1000);

      const { readModel } = kernel.services.require('catalog');
      let bar: Progress | undefined;
      const projected = await readModel.refresh(result.touched, (done, total) => {
        bar ??= createProgress(ctx.stderr, 'Updating the catalog', total, 'films');
        bar.update(done, total);
      });
      bar?.stop();
      // Other modules (and an etl worker elsewhere) hear about the films through the outbox.
      const ids = [...result.touched.films];
      await sql.transaction(async (tx) => {
        const content = createContentRepository(tx);
        for (let i = 0; i < ids.length; i += 1000) {
          const filmIds = ids.slice(i, i + 1000);
          const films = await content.filmFactsOf(filmIds);
          await emit(tx, [event('content.films.bulk_changed', 'import', { filmIds, films })]);
        }
      });
      // A server bus keeps them for every consumer group; the in-process bus has none in this
      // process, so the rows wait in the outbox for the server's relay.
      if (kernel.context.bus.engine !== 'memory') await kernel.flushOutbox();
      ctx.stdout.write(
        `Catalog updated: ${projected.films} films, ${projected.genres} genres, ${projected.persons} persons.\n`,
      );
      return 0;
    } finally {
      await kernel.close();
    }
  },
};
