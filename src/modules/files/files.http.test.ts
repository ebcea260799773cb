import { describe, expect, it } from 'vitest';
import { contentDisposition, etagMatches, parseRange } from './files.http.js';
import { sanitizeFilename } from './files.ingest.js';

describe('parseRange', () => {
  it('reads single ranges, open ends and suffixes', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ kind: 'partial', range: { start: 0, end: 99 } });
    expect(parseRange('bytes=900-', 1000)).toEqual({ kind: 'partial', range: { start: 900, end: 999 } });
    expect(parseRange('bytes=-100', 1000)).toEqual({ kind: 'partial', range: { start: 900, end: 999 } });
    expect(parseRange('bytes=-5000', 1000)).toEqual({ kind: 'partial', range: { start: 0, end: 999 } });
    expect(parseRange('bytes=500-5000', 1000)).toEqual({ kind: 'partial', range: { start: 500, end: 999 } });
  });
  it('says unsatisfiable for ranges past the end', () => {
    expect(parseRange('bytes=1000-', 1000)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=1000-2000', 1000)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 1000)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=5-2', 1000)).toEqual({ kind: 'unsatisfiable' });
  });
  it('serves the whole body for what it does not honour', () => {
    for (const h of [undefined, '', 'bytes=0-1,5-6', 'items=0-1', 'bytes=abc', 'bytes=-'])
      expect(parseRange(h, 1000)).toEqual({ kind: 'full' });
  });
});

describe('etagMatches', () => {
  it('compares weakly and understands lists and *', () => {
    expect(etagMatches('"abc"', '"abc"')).toBe(true);
    expect(etagMatches('W/"abc"', '"abc"')).toBe(true);
    expect(etagMatches('"x", "abc"', '"abc"')).toBe(true);
    expect(etagMatches('*', '"abc"')).toBe(true);
    expect(etagMatches('"abd"', '"abc"')).toBe(false);
    expect(etagMatches(undefined, '"abc"')).toBe(false);
  });
});

describe('contentDisposition and sanitizeFilename', () => {
  it('keeps the UTF-8 name exact and the ASCII fallback harmless', () => {
    expect(contentDisposition('attachment', 'Сталкер "1979".mp4')).toBe(
      `attachment; filename="??????? \\"1979\\".mp4"; filename*=UTF-8''%D0%A1%D1%82%D0%B0%D0%BB%D0%BA%D0%B5%D1%80%20%221979%22.mp4`,
    );
  });
  it('reduces traversal-looking names to a bare name', () => {
    expect(sanitizeFilename('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFilename('..\\..\\windows\\win.ini')).toBe('win.ini');
    expect(sanitizeFilename('..')).toBe('file');
    expect(sanitizeFilename('/')).toBe('file');
    expect(sanitizeFilename('a\u0000b\nc.png')).toBe('abc.png');
    expect(sanitizeFilename('.hidden')).toBe('hidden');
    expect(sanitizeFilename(undefined)).toBe('file');
    expect(sanitizeFilename('x'.repeat(300))).toHaveLength(255);
  });
});
