/** HTTP details of serving file content: byte ranges, entity tags, Content-Disposition. */
import makeContentDisposition from 'content-disposition';
import rangeParser from 'range-parser';
import type { ByteRange } from '../../ports/blob.js';

export type RangeResult =
  { kind: 'full' } | { kind: 'partial'; range: ByteRange } | { kind: 'unsatisfiable' };

/**
 * Reads a `Range` header for a body of `size` bytes (parsed by range-parser). Only single
 * `bytes=` ranges are honoured; several ranges, other units or a malformed header get the whole
 * body (RFC 9110 §14.2 lets a server ignore Range). A range that selects no byte is
 * unsatisfiable (416).
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'full' };
  // RFC 9110 §14.1.3: a suffix longer than the body selects the whole body (range-parser says -1).
  const suffix = /^\s*bytes\s*=\s*-\s*(\d+)\s*$/i.exec(header);
  const normalised = suffix && Number(suffix[1]) > size && size > 0 ? `bytes=-${size}` : header;
  const parsed = rangeParser(size, normalised);
  if (parsed === -1) return { kind: 'unsatisfiable' };
  if (parsed === -2 || parsed.type !== 'bytes' || parsed.length !== 1) return { kind: 'full' };
  const [range] = parsed;
  return range ? { kind: 'partial', range: { start: range.start, end: range.end } } : { kind: 'full' };
}

/** True when an If-None-Match header matches `etag` (weak comparison, RFC 9110 §13.1.2). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => bare(t) === bare(etag));
}

/** A Content-Disposition value with an ASCII fallback and the exact UTF-8 name (RFC 6266). */
export function contentDisposition(type: 'inline' | 'attachment', filename: string): string {
  return makeContentDisposition(filename, { type });
}
