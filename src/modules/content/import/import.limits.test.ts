/**
 * The importers against hostile input (#28.4, #28.5): COPY text decoded on bytes as PostgreSQL
 * decodes it, invalid UTF-8 refused, caps on lines, fields and bad rows that stop an import
 * before it writes anything, one bad row costing a handful of retries, and an elasticdump
 * without access levels keeping the stored ones. Property-based cases (fast-check) generate
 * dumps with long lines, bad escapes, invalid UTF-8 and bursts of bad rows.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql, SqlExecutor } from '../../../ports/sql.js';
import { createTestKino, type TestKino } from '../../../../test/helpers/kino.js';
import { CopyFieldError, decodeCopyField } from './copy-text.js';
import { importElasticdump } from './elasticdump.js';
import { ImportAborted, newReport, writeBatch } from './importer.js';
import { importPracticumSql } from './practicum-sql.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** COPY text for `s`, each byte written plainly or as an octal or hex escape as `pick` says. */
function encodeCopy(s: string, pick: (i: number) => number): Buffer {
  const out: string[] = [];
  Buffer.from(s, 'utf8').forEach((b, i) => {
    const how = pick(i);
    if (b === 0x5c) out.push('\\\\');
    else if (b === 0x09) out.push('\\t');
    else if (b === 0x0a) out.push('\\n');
    else if (b === 0x0d) out.push('\\r');
    else if (how === 1) out.push(`\\${b.toString(8).padStart(3, '0')}`);
    else if (how === 2) out.push(`\\x${b.toString(16).padStart(2, '0')}`);
    else out.push(String.fromCharCode(b) + '\u0000'); // marker: a raw byte
  });
  // Raw bytes were marked above so multi-byte characters survive as bytes.
  const bytes: number[] = [];
  for (const part of out) {
    if (part.endsWith('\u0000')) bytes.push(part.charCodeAt(0));
    else for (const c of part) bytes.push(c.charCodeAt(0));
  }
  return Buffer.from(bytes);
}

describe('COPY text decoding (as PostgreSQL)', () => {
  it('reads octal and hex escapes as bytes of UTF-8', () => {
    expect(decodeCopyField('\\303\\251')).toBe('é');
    expect(decodeCopyField('caf\\xc3\\xa9')).toBe('café');
    expect(decodeCopyField('\\320\\237\\321\\200\\320\\270')).toBe('При');
    expect(decodeCopyField('\\101\\x42')).toBe('AB');
  });

  it('refuses invalid UTF-8 and NUL instead of replacing them', () => {
    expect(() => decodeCopyField('\\377')).toThrow(CopyFieldError);
    expect(() => decodeCopyField(Buffer.from([0x61, 0xff, 0x62]))).toThrow(/not valid UTF-8/);
    expect(() => decodeCopyField('\\303')).toThrow(/not valid UTF-8/);
    expect(() => decodeCopyField('a\\0b')).toThrow(/NUL/);
  });

  it('property: any text, escaped any way, decodes to itself', () => {
    let cases = 0;
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 60 }).filter((s) => !s.includes('\u0000') && s !== '\\N'),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 16 }),
        (text, picks) => {
          cases++;
          expect(decodeCopyField(encodeCopy(text, (i) => picks[i % picks.length]!))).toBe(text);
        },
      ),
      { numRuns: 3000 },
    );
    console.info(`COPY round-trip property: ${cases} cases`);
  });

  it('property: any bytes either decode to valid UTF-8 text or are refused with CopyFieldError', () => {
    let cases = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        cases++;
        let decoded: string | null;
        try {
          decoded = decodeCopyField(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(CopyFieldError);
          refused++;
          return;
        }
        if (decoded === null) return;
        // What was accepted is exactly what PostgreSQL would store: valid UTF-8, no NUL.
        expect(utf8.decode(Buffer.from(decoded, 'utf8'))).toBe(decoded);
        expect(decoded.includes('\u0000')).toBe(false);
      }),
      { numRuns: 5000 },
    );
    console.info(`COPY bytes property: ${cases} cases, ${refused} refused`);
  });
});

describe('writeBatch', () => {
  it('one refused row in a batch of 1000 costs about 2·log2(1000) transactions, not 1000', async () => {
    let transactions = 0;
    const sql = {
      async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
        transactions++;
        return fn({} as SqlExecutor);
      },
    } as unknown as Sql;
    const rows = Array.from({ length: 1000 }, (_, i) => ({ line: i + 1 }));
    const report = newReport();
    const ok = await writeBatch(
      sql,
      rows,
      async (_tx, batch) => {
        if (batch.some((r) => r.line === 613)) throw new Error('refused');
      },
      report,
    );
    expect(ok).toHaveLength(999);
    expect(report.skipped).toEqual([{ line: 613, reason: 'refused' }]);
    expect(transactions).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(1000)) + 1);
  });
});

describe('imports of hostile input (real database)', () => {
  let kino: TestKino;
  let dir: string;
  beforeAll(async () => {
    kino = await createTestKino({ modules: ['catalog'], workers: false });
    dir = mkdtempSync(path.join(tmpdir(), 'kino-import-limits-'));
  }, 180_000);
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await kino?.close();
  });
  const sql = () => kino.kernel.engines.sql;
  const titlesOf = async (ids: string[]) =>
    new Map(
      (
        await sql().query<{ id: string; title: string }>(
          'SELECT id, title FROM content.film_work WHERE id = ANY($1::uuid[])',
          [ids],
        )
      ).map((r) => [r.id, r.title]),
    );
  let n = 0;
  const dump = (lines: (string | Buffer)[]) => {
    const file = path.join(dir, `dump-${n++}.sql`);
    writeFileSync(
      file,
      Buffer.concat(lines.flatMap((l) => [typeof l === 'string' ? Buffer.from(l) : l, Buffer.from('\n')])),
    );
    return file;
  };
  const FILMS = 'COPY content.film_work (id, title, description) FROM stdin;';

  it('stores \\303\\251 as é and refuses a row of invalid UTF-8 by its line number', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const file = dump([
      FILMS,
      `${a}\tCaf\\303\\251 Society\t\\N`,
      Buffer.concat([Buffer.from(`${b}\tBad `), Buffer.from([0xff, 0xfe]), Buffer.from('\t\\N')]),
      `${c}\tEscaped bad \\377\t\\N`,
      '\\.',
    ]);
    const { report } = await importPracticumSql(sql(), file);
    expect(report.films).toBe(1);
    expect(report.skipped.map((s) => [s.line, s.reason])).toEqual([
      [3, 'field 2 is not valid UTF-8'],
      [4, 'field 2 is not valid UTF-8'],
    ]);
    expect(await titlesOf([a, b, c])).toEqual(new Map([[a, 'Café Society']]));
  });

  it('refuses a description over the API limit (20,000 characters) as a bad row', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const file = dump([FILMS, `${a}\tLong\t${'x'.repeat(20_001)}`, `${b}\tShort\tok`, '\\.']);
    const { report } = await importPracticumSql(sql(), file);
    expect(report.skipped).toEqual([{ line: 2, reason: 'description is longer than 20000 characters' }]);
    expect([...(await titlesOf([a, b])).keys()]).toEqual([b]);
  });

  it('stops at a line over the cap, or at more bad rows than allowed, having written nothing', async () => {
    const ids = [randomUUID(), randomUUID()];
    const long = dump([FILMS, `${ids[0]}\tFirst\t\\N`, `${ids[1]}\tSecond\t${'y'.repeat(5000)}`, '\\.']);
    await expect(importPracticumSql(sql(), long, { limits: { maxLineBytes: 4096 } })).rejects.toThrow(
      /line 3 of .* is longer than 4096 bytes/,
    );
    const bad = dump([FILMS, `${ids[0]}\tFirst\t\\N`, 'x\tBad', 'y\tBad', 'z\tBad', '\\.']);
    await expect(importPracticumSql(sql(), bad, { limits: { maxBadRows: 2 } })).rejects.toThrow(
      /more than 2 bad rows/,
    );
    // Not even the valid rows before the bad ones.
    expect((await titlesOf(ids)).size).toBe(0);
  });

  it('an elasticdump without access levels keeps the stored ones (per film, within one batch)', async () => {
    const [paid, other] = [randomUUID(), randomUUID()];
    const movies = path.join(dir, 'movies.ndjson');
    const doc = (id: string, extra: Record<string, unknown>) =>
      JSON.stringify({ _index: 'movies', _id: id, _source: { id, title: 'ES film', ...extra } });
    writeFileSync(movies, [doc(paid, { type: 'PAID' }), doc(other, { type: 'ARCHIVED' })].join('\n'));
    await importElasticdump(sql(), { movies });
    // A plain Practicum index has no `type`; the other document in the same batch does.
    writeFileSync(movies, [doc(paid, { imdb_rating: 7 }), doc(other, { type: 'FREE' })].join('\n'));
    await importElasticdump(sql(), { movies });
    const rows = await sql().query<{ id: string; access: string }>(
      'SELECT id, access FROM content.film_work WHERE id = ANY($1::uuid[])',
      [[paid, other]],
    );
    expect(new Map(rows.map((r) => [r.id, r.access]))).toEqual(
      new Map([
        [paid, 'PAID'],
        [other, 'FREE'],
      ]),
    );
  });

  it('property: generated dumps (long lines, bad escapes, invalid UTF-8, bursts of bad rows) import exactly their valid rows, or nothing', async () => {
    const MAX_LINE = 2048;
    const MAX_BAD = 4;
    type Gen =
      | { kind: 'film'; title: string; picks: number[] }
      | { kind: 'invalid-utf8'; bytes: number[] }
      | { kind: 'bad-escape' }
      | { kind: 'long'; size: number }
      | { kind: 'burst'; count: number };
    const title = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
      .filter((s) => s.trim().length > 0 && !s.includes('\u0000') && s !== '\\N' && s.length <= 500);
    const row: fc.Arbitrary<Gen> = fc.oneof(
      {
        weight: 8,
        arbitrary: fc.record({
          kind: fc.constant('film' as const),
          title,
          picks: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 8 }),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('invalid-utf8' as const),
          bytes: fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 3 }),
        }),
      },
      { weight: 1, arbitrary: fc.constant({ kind: 'bad-escape' as const }) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('long' as const),
          size: fc.integer({ min: MAX_LINE + 1, max: 200_000 }),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant('burst' as const), count: fc.integer({ min: 1, max: 6 }) }),
      },
    );
    let cases = 0;
    const outcomes = { imported: 0, tooLong: 0, tooManyBad: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 25 }), async (rows) => {
        cases++;
        const lines: Buffer[] = [Buffer.from(FILMS)];
        const valid = new Map<string, string>();
        const all: string[] = [];
        let bad = 0;
        let firstLong = -1;
        for (const r of rows) {
          const id = randomUUID();
          all.push(id);
          const prefix = Buffer.from(`${id}\t`);
          if (r.kind === 'film') {
            const line = Buffer.concat([
              prefix,
              encodeCopy(r.title, (i) => r.picks[i % r.picks.length]!),
              Buffer.from('\t\\N'),
            ]);
            if (line.length > MAX_LINE) continue;
            lines.push(line);
            valid.set(id, r.title);
          } else if (r.kind === 'invalid-utf8') {
            // A lone continuation or truncated sequence: never valid UTF-8 after an ASCII letter.
            lines.push(
              Buffer.concat([
                prefix,
                Buffer.from('t'),
                Buffer.from([0xc3, ...r.bytes.map(() => 0x28)]),
                Buffer.from('\t\\N'),
              ]),
            );
            bad++;
          } else if (r.kind === 'bad-escape') {
            lines.push(Buffer.from(`${id}\tOctal past a byte \\303(\t\\N`));
            bad++;
          } else if (r.kind === 'long') {
            if (firstLong === -1) firstLong = lines.length;
            lines.push(Buffer.concat([prefix, Buffer.alloc(r.size, 0x61), Buffer.from('\t\\N')]));
          } else {
            for (let i = 0; i < r.count; i++) lines.push(Buffer.from(`not-a-uuid-${i}\tBurst\t\\N`));
            bad += r.count;
          }
        }
        lines.push(Buffer.from('\\.'));
        const file = dump(lines);
        const run = importPracticumSql(sql(), file, {
          limits: { maxLineBytes: MAX_LINE, maxBadRows: MAX_BAD },
        });
        // The oracle: bad rows counted up to the first long line (the check pass stops there).
        const badBeforeLong = firstLong === -1 ? bad : Number.NaN;
        if (firstLong !== -1 || bad > MAX_BAD) {
          const error = await run.then(
            () => null,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(ImportAborted);
          if (firstLong !== -1 && /longer than/.test(String(error))) outcomes.tooLong++;
          else outcomes.tooManyBad++;
          expect((await titlesOf(all)).size, 'nothing written').toBe(0);
        } else {
          const { report } = await run;
          outcomes.imported++;
          expect(report.skipped_count).toBe(badBeforeLong);
          expect(await titlesOf(all)).toEqual(valid);
        }
      }),
      { numRuns: 40 },
    );
    console.info(
      `importer property: ${cases} generated dumps (${outcomes.imported} imported, ${outcomes.tooLong} stopped by a long line, ${outcomes.tooManyBad} by bad rows)`,
    );
  }, 300_000);
});
