/**
 * `kino import elasticdump <movies.ndjson> [--genres f] [--persons f]`: reads Elasticsearch
 * dumps (one `{_index, _id, _source}` per line) of the Practicum movies/genres/persons indexes.
 * A film document carries its whole state (genres, persons by role), so its links are replaced;
 * its access level comes from `_source.type` (FREE/PAID/ARCHIVED): a dump without it keeps the
 * stored level (a new film is FREE), since a plain Practicum index has no access levels at all.
 *
 * Two passes: the check pass reads every file (caps, UTF-8, JSON, fields) and writes nothing
 * unless it passes; then the writes.
 */
import { statSync } from 'node:fs';
import type { Sql } from '../../../ports/sql.js';
import type { AccessLevel, PersonRole } from '../content.types.js';
import * as writer from './import.repository.js';
import {
  FIELD_LIMITS,
  limitsOf,
  newRun,
  optionalDate,
  optionalRating,
  optionalText,
  requireText,
  requireUuid,
  RowError,
  show,
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

const ACCESS = new Set(['FREE', 'PAID', 'ARCHIVED']);
const ROLE_FIELDS: [string, PersonRole][] = [
  ['actors', 'actor'],
  ['writers', 'writer'],
  ['directors', 'director'],
];

interface Source {
  [key: string]: unknown;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads NDJSON lines, yielding `_source` (or the object itself) with line numbers. */
async function* documents(
  file: string,
  limits: ImportLimits,
  onBad: (line: number, reason: string) => void,
  onBytes?: (n: number) => void,
): AsyncGenerator<{ line: number; id: unknown; source: Source }> {
  for await (const { lineNo, bytes } of readLines(file, limits, onBytes)) {
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      onBad(lineNo, 'not valid UTF-8');
      continue;
    }
    if (text.trim() === '') continue;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      onBad(lineNo, 'not valid JSON');
      continue;
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
      onBad(lineNo, 'not a JSON object');
      continue;
    }
    const d = doc as { _id?: unknown; _source?: unknown };
    const source = (d._source ?? d) as Source;
    if (!source || typeof source !== 'object') {
      onBad(lineNo, '_source is not an object');
      continue;
    }
    yield { line: lineNo, id: source.id ?? d._id, source };
  }
}

/** Genres or persons of a film document (the API caps a film's lists too). */
function refs(
  value: unknown,
  field: string,
  maxName: number,
  maxItems: number,
): { id: string; name: string }[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new RowError(`${field} is not a list`);
  if (value.length > maxItems) throw new RowError(`${field} has more than ${maxItems} entries`);
  return value.map((v: unknown, i) => {
    const o = (v ?? {}) as { id?: unknown; uuid?: unknown; name?: unknown; full_name?: unknown };
    return {
      id: requireUuid(o.id ?? o.uuid, `${field}[${i}].id`),
      name: requireText(o.name ?? o.full_name, `${field}[${i}].name`, maxName),
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
  const genres = refs(s.genres ?? s.genre, 'genres', FIELD_LIMITS.genreName, 100);
  const persons = ROLE_FIELDS.flatMap(([field, role]) =>
    refs(s[field], field, FIELD_LIMITS.fullName, 1000).map((p) => ({ ...p, role })),
  );
  return {
    line,
    film: {
      id: requireUuid(id, 'id'),
      title: requireText(s.title, 'title', FIELD_LIMITS.title),
      description: optionalText(
        typeof s.description === 'string' ? s.description : null,
        'description',
        FIELD_LIMITS.description,
      ),
      creation_date: optionalDate(s.creation_date),
      rating: optionalRating(s.imdb_rating ?? s.rating),
      type: undefined,
      // Absent: keep the stored level (new films get FREE).
      access: (access as AccessLevel | undefined | null) ?? undefined,
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
  options: ImportOptions = {},
): Promise<{ report: ImportReport; touched: Touched }> {
  const batchSize = options.batchSize ?? 500;
  const limits = limitsOf(options);
  const run = newRun();
  const { report, touched, aliases } = run;
  const list = [files.genres, files.persons, files.movies].filter((f): f is string => typeof f === 'string');
  const sizes = list.map((f) => statSync(f).size);
  const total = 2 * sizes.reduce((a, b) => a + b, 0);
  /** Progress over both passes and every file; each file's reader calls it with its own bytes. */
  const progress = (file: string, pass: number) => {
    const offset = pass * (total / 2) + sizes.slice(0, list.indexOf(file)).reduce((a, b) => a + b, 0);
    return (bytes: number) => options.onProgress?.(offset + bytes, total);
  };
  const bad = (line: number, reason: string) => skip(report, line, reason, limits.maxBadRows);
  const ignore = () => undefined;

  const genreRow = (line: number, id: unknown, source: Source): writer.GenreImportRow & { line: number } => ({
    line,
    id: requireUuid(id, 'id'),
    name: requireText(source.name, 'name', FIELD_LIMITS.genreName),
    description:
      typeof source.description === 'string'
        ? optionalText(source.description, 'description', FIELD_LIMITS.genreDescription)
        : undefined,
  });
  const personRow = (line: number, id: unknown, source: Source) => ({
    line,
    id: requireUuid(id, 'id'),
    full_name: requireText(source.full_name ?? source.name, 'name', FIELD_LIMITS.fullName),
  });

  // 1. Check every file before writing anything.
  const check = async <T>(file: string | undefined, parse: (line: number, id: unknown, s: Source) => T) => {
    if (!file) return;
    for await (const { line, id, source } of documents(file, limits, bad, progress(file, 0))) {
      try {
        parse(line, id, source);
      } catch (error) {
        if (!(error instanceof RowError)) throw error;
        bad(line, error.message);
      }
    }
  };
  await check(files.genres, genreRow);
  await check(files.persons, personRow);
  await check(files.movies, toFilm);

  // 2. Writes (the rows the check refused are left out again, silently).
  const each = async <T>(
    file: string,
    parse: (line: number, id: unknown, s: Source) => T,
    flush: (batch: T[]) => Promise<void>,
  ) => {
    const batch: T[] = [];
    for await (const { line, id, source } of documents(file, limits, ignore, progress(file, 1))) {
      try {
        batch.push(parse(line, id, source));
      } catch (error) {
        if (!(error instanceof RowError)) throw error;
      }
      if (batch.length >= batchSize) await flush(batch.splice(0));
    }
    if (batch.length > 0) await flush(batch.splice(0));
  };

  await writeAll();
  options.onProgress?.(total, total);
  report.skipped.sort((a, b) => a.line - b.line);
  return { report, touched };

  async function writeAll() {
    if (files.genres) await each(files.genres, genreRow, (batch) => writeGenres(sql, run, batch));
    if (files.persons) await each(files.persons, personRow, (batch) => writePersons(sql, run, batch));

    await each(files.movies, toFilm, async (batch) => {
      const ok = await writeBatch(
        sql,
        batch,
        async (tx, docs) => {
          const write = writer.createImportRepository(tx);
          // Genres and persons named by the films, so links always have both sides.
          const genreRows = new Map<string, writer.GenreImportRow>();
          const personRows = new Map<string, { id: string; full_name: string }>();
          for (const d of docs) {
            for (const g of d.genres) genreRows.set(g.id, { id: g.id, name: g.name, description: undefined });
            for (const p of d.persons) personRows.set(p.id, { id: p.id, full_name: p.name });
          }
          const res = await write.upsertGenres([...genreRows.values()]);
          for (const [from, to] of res.aliases) aliases.set(from, to);
          await write.upsertPersons([...personRows.values()]);
          await write.upsertFilms(docs.map((d) => d.film));
          await write.clearLinks(docs.map((d) => d.film.id));
          await write.insertLinks(
            'genre',
            docs.flatMap((d) =>
              d.genres.map((g) => ({ id: null, film_id: d.film.id, ref_id: aliases.get(g.id) ?? g.id })),
            ),
          );
          await write.insertLinks(
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
    });
  }
}
