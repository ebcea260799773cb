/**
 * `kino import practicum-sql <file>`: reads a plain-format pg_dump of the Practicum content
 * schema and upserts the rows of its COPY blocks for content.film_work, genre, person,
 * genre_film_work and person_film_work (any column order, a table in several blocks). Other
 * blocks are skipped.
 *
 * Three passes over the file, each holding one line and one batch at most in memory: the check
 * pass (caps, decoding, row shapes; nothing written unless it passes), then the films, genres
 * and persons, then the links, so a link never waits for a film that comes later in the file.
 * A genre whose name the catalogue already gives another genre (names are unique) is not
 * inserted: its id stands for the existing genre, and its links follow (upsertGenres).
 */
import { statSync } from 'node:fs';
import type { Sql } from '../../../ports/sql.js';
import type { FilmType, PersonRole } from '../content.types.js';
import { CopyFieldError, parseCopyHeader, parseCopyLine } from './copy-text.js';
import * as writer from './import.repository.js';
import {
  FIELD_LIMITS,
  limitsOf,
  newRun,
  optionalDate,
  optionalRating,
  optionalText,
  optionalTimestamp,
  requireText,
  requireUuid,
  RowError,
  skip,
  writeBatch,
  writeGenres,
  writePersons,
  type ImportLimits,
  type ImportOptions,
  type ImportReport,
  type Touched,
} from './importer.js';
import { readLines } from './line-reader.js';

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

type Lined<T> = T & { line: number };

type Row =
  | { kind: 'film'; row: Lined<writer.FilmImportRow> }
  | { kind: 'genre'; row: Lined<writer.GenreImportRow> }
  | { kind: 'person'; row: Lined<{ id: string; full_name: string }> }
  | { kind: 'genre_link' | 'person_link'; row: Lined<writer.LinkRow> };

const COPY_PREFIX = Buffer.from('COPY ');
const END_OF_DATA = Buffer.from('\\.');

function toRow(
  table: Table,
  line: number,
  col: (name: string) => string | null,
  has: (name: string) => boolean,
): Row {
  switch (table) {
    case 'film_work': {
      const type = col('type');
      if (type !== null && !FILM_TYPES.has(type)) throw new RowError(`type ${type} is not movie or tv_show`);
      const access = col('access');
      if (access !== null && !ACCESS.has(access))
        throw new RowError(`access ${access} is not FREE, PAID or ARCHIVED`);
      return {
        kind: 'film',
        row: {
          line,
          id: requireUuid(col('id'), 'id'),
          title: requireText(col('title'), 'title', FIELD_LIMITS.title),
          description: optionalText(col('description'), 'description', FIELD_LIMITS.description),
          creation_date: optionalDate(col('creation_date')),
          rating: optionalRating(col('rating')),
          type: (type ?? undefined) as FilmType | undefined,
          // No access column (the Practicum schema) or NULL: a new film is FREE, a stored one keeps its level.
          access: (access ?? undefined) as writer.FilmImportRow['access'],
          created: optionalTimestamp(col('created')),
          modified: optionalTimestamp(col('modified')),
        },
      };
    }
    case 'genre':
      return {
        kind: 'genre',
        row: {
          line,
          id: requireUuid(col('id'), 'id'),
          name: requireText(col('name'), 'name', FIELD_LIMITS.genreName),
          description: has('description')
            ? optionalText(col('description'), 'description', FIELD_LIMITS.genreDescription)
            : undefined,
        },
      };
    case 'person':
      return {
        kind: 'person',
        row: {
          line,
          id: requireUuid(col('id'), 'id'),
          full_name: requireText(col('full_name'), 'full_name', FIELD_LIMITS.fullName),
        },
      };
    case 'genre_film_work':
      return {
        kind: 'genre_link',
        row: {
          line,
          id: col('id') === null ? null : requireUuid(col('id'), 'id'),
          film_id: requireUuid(col('film_work_id'), 'film_work_id'),
          ref_id: requireUuid(col('genre_id'), 'genre_id'),
        },
      };
    case 'person_film_work': {
      const role = col('role');
      if (role === null || !ROLES.has(role))
        throw new RowError(`role ${String(role)} is not actor, director or writer`);
      return {
        kind: 'person_link',
        row: {
          line,
          id: col('id') === null ? null : requireUuid(col('id'), 'id'),
          film_id: requireUuid(col('film_work_id'), 'film_work_id'),
          ref_id: requireUuid(col('person_id'), 'person_id'),
          role: role as PersonRole,
        },
      };
    }
  }
}

/**
 * The rows of the file's content COPY blocks, parsed and checked; a bad row goes to `onBad`
 * with its line number and reason.
 */
async function* copyRows(
  file: string,
  limits: ImportLimits,
  onBad: (line: number, reason: string) => void,
  onBytes: (bytesRead: number) => void,
): AsyncGenerator<Row> {
  let block: { table: Table; columns: string[]; index: Map<string, number> } | null = null;
  let skipping = false;
  let lineNo = 0;
  for await (const { lineNo: n, bytes } of readLines(file, limits, onBytes)) {
    lineNo = n;
    if (block === null && !skipping) {
      if (!bytes.subarray(0, COPY_PREFIX.length).equals(COPY_PREFIX)) continue;
      const head = parseCopyHeader(bytes.toString('utf8'));
      if (head && head.schema === 'content' && TABLES.has(head.table)) {
        const table = head.table as Table;
        const index = new Map(head.columns.map((c, i) => [c, i]));
        const absent = REQUIRED[table].filter((c) => !index.has(c));
        if (absent.length > 0) {
          onBad(n, `COPY ${table} lacks column(s) ${absent.join(', ')}; block skipped`);
          skipping = true;
        } else block = { table, columns: head.columns, index };
      } else skipping = true;
      continue;
    }
    if (bytes.equals(END_OF_DATA)) {
      block = null;
      skipping = false;
      continue;
    }
    if (skipping || block === null) continue;
    const current = block;
    try {
      const fields = parseCopyLine(bytes);
      if (fields.length !== current.columns.length)
        throw new RowError(`expected ${current.columns.length} fields, found ${fields.length}`);
      const col = (name: string) => {
        const i = current.index.get(name);
        return i === undefined ? null : (fields[i] ?? null);
      };
      yield toRow(current.table, n, col, (name) => current.index.has(name));
    } catch (error) {
      if (!(error instanceof RowError) && !(error instanceof CopyFieldError)) throw error;
      onBad(n, error.message);
    }
  }
  if (block !== null) onBad(lineNo, `COPY ${block.table} block is not terminated by \\.`);
}

export async function importPracticumSql(
  sql: Sql,
  file: string,
  options: ImportOptions = {},
): Promise<{ report: ImportReport; touched: Touched }> {
  const batchSize = options.batchSize ?? 1000;
  const limits = limitsOf(options);
  const run = newRun();
  const { report, touched, aliases } = run;
  const size = statSync(file).size;
  const progress = (pass: number) => (bytes: number) => options.onProgress?.(pass * size + bytes, 3 * size);
  const ignore = () => undefined;

  // 1. Check: every cap and every row, before anything is written.
  for await (const row of copyRows(
    file,
    limits,
    (line, reason) => skip(report, line, reason, limits.maxBadRows),
    progress(0),
  ))
    void row;

  // 2. Films, genres and persons. Bad rows were reported by the check; what the database still
  // refuses here is reported too, but no longer stops the import (that would leave it half done).
  const films: Lined<writer.FilmImportRow>[] = [];
  const genres: Lined<writer.GenreImportRow>[] = [];
  const persons: Lined<{ id: string; full_name: string }>[] = [];
  const flushEntities = async () => {
    const f = await writeBatch(
      sql,
      films.splice(0),
      (tx, rows) =>
        writer
          .createImportRepository(tx)
          .upsertFilms(rows)
          .then(() => undefined),
      report,
    );
    f.forEach((r) => touched.films.add(r.id));
    report.films += f.length;
    await writeGenres(sql, run, genres.splice(0));
    await writePersons(sql, run, persons.splice(0));
  };
  for await (const r of copyRows(file, limits, ignore, progress(1))) {
    if (r.kind === 'film') films.push(r.row);
    else if (r.kind === 'genre') genres.push(r.row);
    else if (r.kind === 'person') persons.push(r.row);
    if (films.length + genres.length + persons.length >= batchSize) await flushEntities();
  }
  await flushEntities();

  // 3. Links, now that every film, genre and person of the file is stored.
  const links = { genre: [] as Lined<writer.LinkRow>[], person: [] as Lined<writer.LinkRow>[] };
  const flushLinks = async (kind: 'genre' | 'person') => {
    // Filled inside the transaction, read once it committed (a retried half re-fills the same rows).
    const missing = new Set<Lined<writer.LinkRow>>();
    const ok = await writeBatch(
      sql,
      links[kind].splice(0),
      async (tx, batch) => {
        const left = new Set((await writer.createImportRepository(tx).insertLinks(kind, batch)).missing);
        batch.forEach((r, i) => (left.has(i) ? missing.add(r) : missing.delete(r)));
      },
      report,
    );
    for (const r of ok) {
      if (missing.has(r)) skip(report, r.line, `film or ${kind} not found`);
      else {
        touched.films.add(r.film_id);
        if (kind === 'genre') report.genre_links++;
        else report.person_links++;
      }
    }
  };
  for await (const r of copyRows(file, limits, ignore, progress(2))) {
    if (r.kind === 'genre_link') {
      links.genre.push({ ...r.row, ref_id: aliases.get(r.row.ref_id) ?? r.row.ref_id });
      if (links.genre.length >= batchSize) await flushLinks('genre');
    } else if (r.kind === 'person_link') {
      links.person.push(r.row);
      if (links.person.length >= batchSize) await flushLinks('person');
    }
  }
  await flushLinks('genre');
  await flushLinks('person');
  options.onProgress?.(3 * size, 3 * size);
  report.skipped.sort((a, b) => a.line - b.line);
  return { report, touched };
}
