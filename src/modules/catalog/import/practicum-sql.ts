/**
 * `kino import practicum-sql <file>`: reads a plain-format pg_dump of the Practicum content
 * schema line by line and upserts the rows of its COPY blocks for content.film_work, genre,
 * person, genre_film_work and person_film_work (any column order, a table in several blocks).
 * Other blocks are skipped. Links whose film or genre/person appears later in the file are
 * retried at the end; rows that stay invalid are skipped with their line number.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Sql } from '../../../ports/sql.js';
import type { FilmType, PersonRole } from '../content.types.js';
import { parseCopyHeader, parseCopyLine } from './copy-text.js';
import * as writer from './import.repository.js';
import {
  newReport,
  optionalDate,
  optionalRating,
  optionalTimestamp,
  requireText,
  requireUuid,
  RowError,
  skip,
  writeBatch,
  type ImportOptions,
  type ImportReport,
} from './importer.js';

type Table = 'film_work' | 'genre' | 'person' | 'genre_film_work' | 'person_film_work';
const TABLES = new Set<string>(['film_work', 'genre', 'person', 'genre_film_work', 'person_film_work']);
const REQUIRED: Record<Table, string[]> = {
  film_work: ['id', 'title'],
  genre: ['id', 'name'],
  person: ['id', 'full_name'],
  genre_film_work: ['film_work_id', 'genre_id'],
  person_film_work: ['film_work_id', 'person_id', 'role'],
};
const FILM_TYPES = new Set(['movie', 'tv_show']);
const ACCESS = new Set(['FREE', 'PAID', 'ARCHIVED']);
const ROLES = new Set(['actor', 'director', 'writer']);

export interface Touched {
  films: Set<string>;
  genres: Set<string>;
  persons: Set<string>;
}

type Lined<T> = T & { line: number };

export async function importPracticumSql(
  sql: Sql,
  file: string,
  options: ImportOptions = {},
): Promise<{ report: ImportReport; touched: Touched }> {
  const batchSize = options.batchSize ?? 1000;
  const report = newReport();
  const touched: Touched = { films: new Set(), genres: new Set(), persons: new Set() };
  const films: Lined<writer.FilmImportRow>[] = [];
  const genres: Lined<writer.GenreImportRow>[] = [];
  const persons: Lined<{ id: string; full_name: string }>[] = [];
  const genreLinks: Lined<writer.LinkRow>[] = [];
  const personLinks: Lined<writer.LinkRow>[] = [];
  const deferred: { kind: 'genre' | 'person'; row: Lined<writer.LinkRow> }[] = [];
  let hasAccess = false;

  async function flushEntities() {
    const f = await writeBatch(
      sql,
      films.splice(0),
      (tx, rows) => writer.upsertFilms(tx, rows).then(() => undefined),
      report,
    );
    f.forEach((r) => touched.films.add(r.id));
    report.films += f.length;
    const g = await writeBatch(
      sql,
      genres.splice(0),
      async (tx, rows) => {
        await writer.upsertGenres(tx, rows);
      },
      report,
    );
    g.forEach((r) => touched.genres.add(r.id));
    report.genres += g.length;
    const p = await writeBatch(
      sql,
      persons.splice(0),
      (tx, rows) => writer.upsertPersons(tx, rows).then(() => undefined),
      report,
    );
    p.forEach((r) => touched.persons.add(r.id));
    report.persons += p.length;
  }

  async function flushLinks(kind: 'genre' | 'person', rows: Lined<writer.LinkRow>[], final: boolean) {
    if (rows.length === 0) return;
    await flushEntities();
    await writeBatch(
      sql,
      rows,
      async (tx, batch) => {
        const { inserted, missing } = await writer.insertLinks(tx, kind, batch);
        const left = new Set(missing);
        batch.forEach((r, i) => {
          if (left.has(i)) {
            if (final) skip(report, r.line, `film or ${kind} not found`);
            else deferred.push({ kind, row: r });
          } else touched.films.add(r.film_id);
        });
        if (kind === 'genre') report.genre_links += batch.length - left.size;
        else report.person_links += batch.length - left.size;
        void inserted;
      },
      report,
    );
  }

  async function flushAll() {
    await flushEntities();
    await flushLinks('genre', genreLinks.splice(0), false);
    await flushLinks('person', personLinks.splice(0), false);
  }

  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  let block: { table: Table; columns: string[]; index: Map<string, number> } | null = null;
  let skipping = false;
  let lastProgress = 0;
  for await (const line of lines) {
    lineNo++;
    if (lineNo - lastProgress >= 2000) {
      lastProgress = lineNo;
      options.onProgress?.(stream.bytesRead);
    }
    if (block === null && !skipping) {
      if (!line.startsWith('COPY ')) continue;
      const head = parseCopyHeader(line);
      if (head && head.schema === 'content' && TABLES.has(head.table)) {
        const table = head.table as Table;
        const index = new Map(head.columns.map((c, i) => [c, i]));
        const absent = REQUIRED[table].filter((c) => !index.has(c));
        if (absent.length > 0) {
          skip(report, lineNo, `COPY ${table} lacks column(s) ${absent.join(', ')}; block skipped`);
          skipping = true;
        } else {
          block = { table, columns: head.columns, index };
          if (table === 'film_work' && index.has('access')) hasAccess = true;
        }
      } else skipping = true;
      continue;
    }
    if (line === '\\.') {
      block = null;
      skipping = false;
      continue;
    }
    if (skipping || block === null) continue;
    const fields = parseCopyLine(line);
    if (fields.length !== block.columns.length) {
      skip(report, lineNo, `expected ${block.columns.length} fields, found ${fields.length}`);
      continue;
    }
    const col = (name: string) => {
      const i = block!.index.get(name);
      return i === undefined ? null : (fields[i] ?? null);
    };
    try {
      switch (block.table) {
        case 'film_work': {
          const type = col('type');
          if (type !== null && !FILM_TYPES.has(type))
            throw new RowError(`type ${type} is not movie or tv_show`);
          const access = col('access');
          if (access !== null && !ACCESS.has(access))
            throw new RowError(`access ${access} is not FREE, PAID or ARCHIVED`);
          films.push({
            line: lineNo,
            id: requireUuid(col('id'), 'id'),
            title: requireText(col('title'), 'title', 500),
            description: col('description'),
            creation_date: optionalDate(col('creation_date')),
            rating: optionalRating(col('rating')),
            type: (type ?? undefined) as FilmType | undefined,
            access: hasAccess ? ((access ?? 'FREE') as 'FREE') : undefined,
            created: optionalTimestamp(col('created')),
            modified: optionalTimestamp(col('modified')),
          });
          break;
        }
        case 'genre':
          genres.push({
            line: lineNo,
            id: requireUuid(col('id'), 'id'),
            name: requireText(col('name'), 'name', 200),
            description: block.index.has('description') ? col('description') : undefined,
          });
          break;
        case 'person':
          persons.push({
            line: lineNo,
            id: requireUuid(col('id'), 'id'),
            full_name: requireText(col('full_name'), 'full_name', 300),
          });
          break;
        case 'genre_film_work':
          genreLinks.push({
            line: lineNo,
            id: col('id') === null ? null : requireUuid(col('id'), 'id'),
            film_id: requireUuid(col('film_work_id'), 'film_work_id'),
            ref_id: requireUuid(col('genre_id'), 'genre_id'),
          });
          break;
        case 'person_film_work': {
          const role = col('role');
          if (role === null || !ROLES.has(role))
            throw new RowError(`role ${String(role)} is not actor, director or writer`);
          personLinks.push({
            line: lineNo,
            id: col('id') === null ? null : requireUuid(col('id'), 'id'),
            film_id: requireUuid(col('film_work_id'), 'film_work_id'),
            ref_id: requireUuid(col('person_id'), 'person_id'),
            role: role as PersonRole,
          });
          break;
        }
      }
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      skip(report, lineNo, error.message);
      continue;
    }
    if (films.length + genres.length + persons.length >= batchSize) await flushEntities();
    if (genreLinks.length >= batchSize) await flushLinks('genre', genreLinks.splice(0), false);
    if (personLinks.length >= batchSize) await flushLinks('person', personLinks.splice(0), false);
  }
  if (block !== null) skip(report, lineNo, `COPY ${block.table} block is not terminated by \\.`);
  await flushAll();
  // Links that came before their film or genre/person: one more try, then report.
  const retry = deferred.splice(0);
  for (const kind of ['genre', 'person'] as const) {
    const rows = retry.filter((d) => d.kind === kind).map((d) => d.row);
    for (let i = 0; i < rows.length; i += batchSize)
      await flushLinks(kind, rows.slice(i, i + batchSize), true);
  }
  options.onProgress?.(stream.bytesRead);
  report.skipped.sort((a, b) => a.line - b.line);
  return { report, touched };
}
