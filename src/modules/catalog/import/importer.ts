/**
 * Shared machinery of the import commands: batches of validated rows written in their own
 * transactions, bad rows reported with their line numbers, and the sets of touched ids so the
 * read model can follow.
 */
import type { Sql, SqlExecutor } from '../../../ports/sql.js';
import { UUID_PATTERN } from '../content.schemas.js';

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

export interface ImportOptions {
  /** Called with bytes read so far. */
  onProgress?: (bytesRead: number) => void;
  batchSize?: number;
}

export const uuidRe = new RegExp(UUID_PATTERN);

export class RowError extends Error {}

/** A value as text for messages (JSON for objects). */
export const show = (value: unknown): string =>
  typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));

export function newReport(): ImportReport {
  return { films: 0, genres: 0, persons: 0, genre_links: 0, person_links: 0, skipped: [], skipped_count: 0 };
}

export function skip(report: ImportReport, line: number, reason: string): void {
  report.skipped_count++;
  if (report.skipped.length < 1000) report.skipped.push({ line, reason });
}

export function requireUuid(value: unknown, field: string): string {
  if (typeof value !== 'string' || !uuidRe.test(value)) throw new RowError(`${field} is not a uuid`);
  return value.toLowerCase();
}

export function requireText(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.trim().length === 0) throw new RowError(`${field} is empty`);
  if (value.length > max) throw new RowError(`${field} is longer than ${max} characters`);
  return value;
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
 * Writes `rows` with `write` in one transaction; when the batch fails, retries row by row so
 * only the rows the database refuses are skipped (with their line numbers).
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
    if (rows.length === 1) {
      skip(report, rows[0]!.line, error instanceof Error ? error.message : String(error));
      return [];
    }
    const ok: R[] = [];
    for (const row of rows) ok.push(...(await writeBatch(sql, [row], write, report)));
    return ok;
  }
}
