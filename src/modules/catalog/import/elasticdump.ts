/**
 * `kino import elasticdump <movies.ndjson> [--genres f] [--persons f]`: reads Elasticsearch
 * dumps (one `{_index, _id, _source}` per line) of the Practicum movies/genres/persons indexes.
 * A film document carries its whole state (genres, persons by role), so its links are replaced;
 * its access level comes from `_source.type` (FREE/PAID/ARCHIVED), FREE when absent.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Sql } from '../../../ports/sql.js';
import type { AccessLevel, PersonRole } from '../content.types.js';
import * as writer from './import.repository.js';
import {
  newReport,
  optionalDate,
  optionalRating,
  requireText,
  requireUuid,
  RowError,
  show,
  skip,
  writeBatch,
  type ImportOptions,
  type ImportReport,
} from './importer.js';
import type { Touched } from './practicum-sql.js';

const ACCESS = new Set(['FREE', 'PAID', 'ARCHIVED']);
const ROLE_FIELDS: [string, PersonRole][] = [
  ['actors', 'actor'],
  ['writers', 'writer'],
  ['directors', 'director'],
];

interface Source {
  [key: string]: unknown;
}

/** Reads NDJSON lines, yielding `_source` (or the object itself) with line numbers. */
async function* documents(
  file: string,
  report: ImportReport,
  onBytes?: (n: number) => void,
): AsyncGenerator<{ line: number; id: unknown; source: Source }> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (lineNo % 500 === 0) onBytes?.(stream.bytesRead);
    if (line.trim() === '') continue;
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch {
      skip(report, lineNo, 'not valid JSON');
      continue;
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
      skip(report, lineNo, 'not a JSON object');
      continue;
    }
    const d = doc as { _id?: unknown; _source?: unknown };
    const source = (d._source ?? d) as Source;
    if (!source || typeof source !== 'object') {
      skip(report, lineNo, '_source is not an object');
      continue;
    }
    yield { line: lineNo, id: source.id ?? d._id, source };
  }
  onBytes?.(stream.bytesRead);
}

function refs(value: unknown, field: string): { id: string; name: string }[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new RowError(`${field} is not a list`);
  return value.map((v, i) => {
    const o = v as { id?: unknown; uuid?: unknown; name?: unknown; full_name?: unknown };
    return {
      id: requireUuid(o.id ?? o.uuid, `${field}[${i}].id`),
      name: requireText(o.name ?? o.full_name, `${field}[${i}].name`, 300),
    };
  });
}

interface FilmDoc {
  line: number;
  film: writer.FilmImportRow;
  genres: { id: string; name: string }[];
  persons: { id: string; name: string; role: PersonRole }[];
}

function toFilm(line: number, id: unknown, s: Source): FilmDoc {
  const access = s.type ?? s.access;
  if (access !== undefined && access !== null && !ACCESS.has(show(access)))
    throw new RowError(`type ${show(access)} is not FREE, PAID or ARCHIVED`);
  const genres = refs(s.genres ?? s.genre, 'genres');
  const persons = ROLE_FIELDS.flatMap(([field, role]) => refs(s[field], field).map((p) => ({ ...p, role })));
  return {
    line,
    film: {
      id: requireUuid(id, 'id'),
      title: requireText(s.title, 'title', 500),
      description: typeof s.description === 'string' ? s.description : null,
      creation_date: optionalDate(s.creation_date),
      rating: optionalRating(s.imdb_rating ?? s.rating),
      type: undefined,
      access: (access as AccessLevel | undefined | null) ?? 'FREE',
      created: null,
      modified: null,
    },
    genres,
    persons,
  };
}

export interface ElasticdumpFiles {
  movies: string;
  genres?: string | undefined;
  persons?: string | undefined;
}

export async function importElasticdump(
  sql: Sql,
  files: ElasticdumpFiles,
  options: ImportOptions & { onFile?: (file: string) => void } = {},
): Promise<{ report: ImportReport; touched: Touched }> {
  const batchSize = options.batchSize ?? 500;
  const report = newReport();
  const touched: Touched = { films: new Set(), genres: new Set(), persons: new Set() };
  const aliases = new Map<string, string>();

  if (files.genres) {
    options.onFile?.(files.genres);
    let batch: (writer.GenreImportRow & { line: number })[] = [];
    const flush = async () => {
      const ok = await writeBatch(
        sql,
        batch,
        async (tx, rows) => {
          const res = await writer.upsertGenres(tx, rows);
          for (const [from, to] of res.aliases) aliases.set(from, to);
        },
        report,
      );
      ok.forEach((r) => touched.genres.add(aliases.get(r.id) ?? r.id));
      report.genres += ok.length;
      batch = [];
    };
    for await (const { line, id, source } of documents(files.genres, report, options.onProgress)) {
      try {
        batch.push({
          line,
          id: requireUuid(id, 'id'),
          name: requireText(source.name, 'name', 200),
          description: typeof source.description === 'string' ? source.description : undefined,
        });
      } catch (error) {
        if (!(error instanceof RowError)) throw error;
        skip(report, line, error.message);
      }
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  }

  if (files.persons) {
    options.onFile?.(files.persons);
    let batch: { line: number; id: string; full_name: string }[] = [];
    const flush = async () => {
      const ok = await writeBatch(
        sql,
        batch,
        (tx, rows) => writer.upsertPersons(tx, rows).then(() => undefined),
        report,
      );
      ok.forEach((r) => touched.persons.add(r.id));
      report.persons += ok.length;
      batch = [];
    };
    for await (const { line, id, source } of documents(files.persons, report, options.onProgress)) {
      try {
        batch.push({
          line,
          id: requireUuid(id, 'id'),
          full_name: requireText(source.full_name ?? source.name, 'name', 300),
        });
      } catch (error) {
        if (!(error instanceof RowError)) throw error;
        skip(report, line, error.message);
      }
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  }

  options.onFile?.(files.movies);
  let batch: FilmDoc[] = [];
  const flush = async () => {
    const ok = await writeBatch(
      sql,
      batch,
      async (tx, docs) => {
        // Genres and persons named by the films, so links always have both sides.
        const genreRows = new Map<string, writer.GenreImportRow>();
        const personRows = new Map<string, { id: string; full_name: string }>();
        for (const d of docs) {
          for (const g of d.genres) genreRows.set(g.id, { id: g.id, name: g.name, description: undefined });
          for (const p of d.persons) personRows.set(p.id, { id: p.id, full_name: p.name });
        }
        const res = await writer.upsertGenres(tx, [...genreRows.values()]);
        for (const [from, to] of res.aliases) aliases.set(from, to);
        await writer.upsertPersons(tx, [...personRows.values()]);
        await writer.upsertFilms(
          tx,
          docs.map((d) => d.film),
        );
        await writer.clearLinks(
          tx,
          docs.map((d) => d.film.id),
        );
        await writer.insertLinks(
          tx,
          'genre',
          docs.flatMap((d) =>
            d.genres.map((g) => ({ id: null, film_id: d.film.id, ref_id: aliases.get(g.id) ?? g.id })),
          ),
        );
        await writer.insertLinks(
          tx,
          'person',
          docs.flatMap((d) =>
            d.persons.map((p) => ({ id: null, film_id: d.film.id, ref_id: p.id, role: p.role })),
          ),
        );
      },
      report,
    );
    for (const d of ok) {
      touched.films.add(d.film.id);
      d.genres.forEach((g) => touched.genres.add(aliases.get(g.id) ?? g.id));
      d.persons.forEach((p) => touched.persons.add(p.id));
      report.genre_links += d.genres.length;
      report.person_links += d.persons.length;
    }
    report.films += ok.length;
    batch = [];
  };
  for await (const { line, id, source } of documents(files.movies, report, options.onProgress)) {
    try {
      batch.push(toFilm(line, id, source));
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      skip(report, line, error.message);
    }
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  report.skipped.sort((a, b) => a.line - b.line);
  return { report, touched };
}
