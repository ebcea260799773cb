/**
 * Shared machinery of the import commands: caps on what an input may hold, batches of validated
 * rows written in their own transactions, bad rows reported with their line numbers, and the
 * sets of touched ids so the read model can follow.
 *
 * Every importer first reads its whole input without writing (the check pass): a line, a file
 * or a field over its cap, or more bad rows than allowed, stops the import there with
 * ImportAborted and nothing is written. Only a clean check pass is followed by the writes.
 */
import type { Sql, SqlExecutor } from '../../../ports/sql.js';
import { UUID_PATTERN } from '../content.schemas.js';
import { createImportRepository, type GenreImportRow } from './import.repository.js';

export interface SkippedRow {
  line: number;
  reason: string;
}

export interface ImportReport {
  films: number;
  genres: number;
  persons: number;
  genre_links: number;
  person_links: number;
  skipped: SkippedRow[];
  /** Total bad rows (the `skipped` list keeps the first 1000). */
  skipped_count: number;
}

/** The ids an import wrote, so the read model can follow. */
export interface Touched {
  films: Set<string>;
  genres: Set<string>;
  persons: Set<string>;
}

/** What an import keeps while it writes: its report, the ids it wrote and the genres it aliased. */
export interface ImportRun {
  report: ImportReport;
  touched: Touched;
  /** Input genre id → the id of the stored genre that has its name (upsertGenres). */
  aliases: Map<string, string>;
}

/** Caps on an import's input; each one ends the import with a message, before any write. */
export interface ImportLimits {
  /** Longest line (bytes). A valid row is far shorter: every field has its own cap below. */
  maxLineBytes: number;
  /** Largest input file (bytes). */
  maxFileBytes: number;
  /** Bad rows tolerated; one more aborts the import (a wrong file is not half-imported). */
  maxBadRows: number;
}

export const DEFAULT_LIMITS: Readonly<ImportLimits> = {
  maxLineBytes: 1024 * 1024,
  maxFileBytes: 4 * 1024 * 1024 * 1024,
  maxBadRows: 1000,
};

/** The API's own limits on stored text (content.schemas.ts), in characters. */
export const FIELD_LIMITS = {
  title: 500,
  description: 20_000,
  genreName: 200,
  genreDescription: 5000,
  fullName: 300,
} as const;

export interface ImportOptions {
  /** Called with the bytes read so far over every pass and file, and the total to read. */
  onProgress?: (done: number, total: number) => void;
  batchSize?: number;
  limits?: Partial<ImportLimits>;
}

/** An import stopped by a cap or an unreadable input before it wrote anything; `message` says which. */
export class ImportAborted extends Error {}

export const uuidRe = new RegExp(UUID_PATTERN);

export class RowError extends Error {}

/** A value as text for messages (JSON for objects). */
export const show = (value: unknown): string =>
  typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));

export function newReport(): ImportReport {
  return { films: 0, genres: 0, persons: 0, genre_links: 0, person_links: 0, skipped: [], skipped_count: 0 };
}

export function newRun(): ImportRun {
  return {
    report: newReport(),
    touched: { films: new Set(), genres: new Set(), persons: new Set() },
    aliases: new Map(),
  };
}

/** Records a bad row; throws ImportAborted once there are more than `maxBadRows`. */
export function skip(report: ImportReport, line: number, reason: string, maxBadRows = Infinity): void {
  report.skipped_count++;
  if (report.skipped.length < 1000) report.skipped.push({ line, reason: reason.slice(0, 300) });
  if (report.skipped_count > maxBadRows)
    throw new ImportAborted(
      `more than ${maxBadRows} bad rows (the limit; line ${line}: ${reason.slice(0, 200)})`,
    );
}

/** Options with their caps filled in. */
export function limitsOf(options: ImportOptions): ImportLimits {
  return { ...DEFAULT_LIMITS, ...options.limits };
}

export function requireUuid(value: unknown, field: string): string {
  if (typeof value !== 'string' || !uuidRe.test(value)) throw new RowError(`${field} is not a uuid`);
  return value.toLowerCase();
}

// A lone surrogate becomes U+FFFD on its way to the database: refused rather than altered.
// (With the u flag a surrogate pair is one code point, so only lone halves match.)
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Text the database stores exactly as given: no NUL, no lone surrogate, at most `max` characters. */
export function optionalText(value: unknown, field: string, max: number): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw new RowError(`${field} is not text`);
  if (value.length > max) throw new RowError(`${field} is longer than ${max} characters`);
  if (value.includes('\u0000')) throw new RowError(`${field} holds a NUL character`);
  if (LONE_SURROGATE.test(value)) throw new RowError(`${field} holds a lone surrogate (not Unicode text)`);
  return value;
}

export function requireText(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.trim().length === 0) throw new RowError(`${field} is empty`);
  return optionalText(value, field, max)!;
}

export function optionalRating(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 10) throw new RowError(`rating ${show(value)} is not in 0..10`);
  return n;
}

export function optionalDate(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  const s = show(value).slice(0, 10);
  const d = new Date(`${s}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== s)
    throw new RowError(`date ${show(value)} is not valid`);
  return s;
}

export function optionalTimestamp(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  const d =
    typeof value === 'number'
      ? new Date(value)
      : new Date(
          show(value)
            .replace(' ', 'T')
            .replace(/([+-]\d\d)$/, '$1:00'),
        );
  if (Number.isNaN(d.getTime())) throw new RowError(`timestamp ${show(value)} is not valid`);
  return d.toISOString();
}

/**
 * Writes `rows` with `write` in one transaction; when the batch fails, retries each half (and
 * so on down to single rows), so one refused row in a batch of n costs about 2·log2(n) extra
 * transactions, not n; only the rows the database refuses are skipped (with their line numbers).
 */
export async function writeBatch<R extends { line: number }>(
  sql: Sql,
  rows: readonly R[],
  write: (tx: SqlExecutor, rows: readonly R[]) => Promise<void>,
  report: ImportReport,
): Promise<R[]> {
  if (rows.length === 0) return [];
  try {
    await sql.transaction((tx) => write(tx, rows));
    return [...rows];
  } catch (error) {
    if (error instanceof ImportAborted) throw error;
    if (rows.length === 1) {
      skip(report, rows[0]!.line, error instanceof Error ? error.message : String(error));
      return [];
    }
    const half = Math.ceil(rows.length / 2);
    const ok = await writeBatch(sql, rows.slice(0, half), write, report);
    ok.push(...(await writeBatch(sql, rows.slice(half), write, report)));
    return ok;
  }
}

/**
 * Upserts genres (writeBatch), counting the stored ones and recording their ids; a genre whose
 * name a stored genre already has becomes an alias of it (upsertGenres).
 */
export async function writeGenres(
  sql: Sql,
  run: ImportRun,
  rows: readonly (GenreImportRow & { line: number })[],
): Promise<void> {
  const ok = await writeBatch(
    sql,
    rows,
    async (tx, batch) => {
      // The same id maps to the same stored genre on every try, so a retried half is harmless.
      for (const [from, to] of (await createImportRepository(tx).upsertGenres(batch)).aliases)
        run.aliases.set(from, to);
    },
    run.report,
  );
  ok.forEach((r) => run.touched.genres.add(run.aliases.get(r.id) ?? r.id));
  run.report.genres += ok.length;
}

/** Upserts persons (writeBatch), counting the stored ones and recording their ids. */
export async function writePersons(
  sql: Sql,
  run: ImportRun,
  rows: readonly { line: number; id: string; full_name: string }[],
): Promise<void> {
  const ok = await writeBatch(
    sql,
    rows,
    (tx, batch) =>
      createImportRepository(tx)
        .upsertPersons(batch)
        .then(() => undefined),
    run.report,
  );
  ok.forEach((r) => run.touched.persons.add(r.id));
  run.report.persons += ok.length;
}
