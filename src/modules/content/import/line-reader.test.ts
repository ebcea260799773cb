/**
 * The importers' line reader: lines as bytes, `\r\n` and a last line without newline handled,
 * and a line over the cap stopping the read about one line in, whatever the file holds after it
 * (#28.4). The reader reports the bytes it has read after every chunk, so how far it got and what
 * it holds are read from the reader itself, not from the process's RSS (which moves by hundreds
 * of MB with WebAssembly compilation and is no measure of one reader).
 */
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportAborted } from './importer.js';
import { readLines } from './line-reader.js';

const MiB = 1024 * 1024;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kino-lines-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(file: string, maxLineBytes = MiB): Promise<string[]> {
  const out: string[] = [];
  for await (const line of readLines(file, { maxLineBytes, maxFileBytes: 1024 * MiB }))
    out.push(`${line.lineNo}:${line.bytes.toString('utf8')}`);
  return out;
}

describe('readLines', () => {
  it('yields each line as bytes with its number, without \\n or \\r\\n, and a last line with no newline', async () => {
    const file = path.join(dir, 'mixed.txt');
    writeFileSync(file, 'one\r\ntwo\n\nfour\r\nlast');
    expect(await collect(file)).toEqual(['1:one', '2:two', '3:', '4:four', '5:last']);
  });

  it('keeps a line split across many chunks whole', async () => {
    const file = path.join(dir, 'split.txt');
    const long = 'x'.repeat(200 * 1024);
    writeFileSync(file, `a\n${long}\nb\n`);
    const lines = await collect(file);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe(`2:${long}`);
  });

  it('takes a line of exactly the cap and refuses one byte more', async () => {
    const file = path.join(dir, 'cap.txt');
    writeFileSync(file, `${'y'.repeat(1000)}\r\n${'z'.repeat(1001)}\n`);
    await expect(collect(file, 1000)).rejects.toThrow(
      /line 2 of .* is longer than 1000 bytes \(the line limit\)/,
    );
  });

  it('stops a 160 MB line with no newline about one line in, holding about one line', async () => {
    const file = path.join(dir, 'long.txt');
    const out = createWriteStream(file);
    out.write('short line\n');
    const chunk = Buffer.alloc(MiB, 0x61);
    for (let i = 0; i < 160; i++) if (!out.write(chunk)) await once(out, 'drain');
    out.end();
    await once(out, 'finish');

    const held = () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const before = held();
    let peak = 0;
    let lastRead = 0;
    const lines: number[] = [];
    const read = async () => {
      for await (const line of readLines(file, { maxLineBytes: MiB, maxFileBytes: 1024 * MiB }, (n) => {
        lastRead = n;
        peak = Math.max(peak, held() - before);
      }))
        lines.push(line.lineNo);
    };
    await expect(read()).rejects.toBeInstanceOf(ImportAborted);
    expect(lines).toEqual([1]);
    // The read stops within a couple of 64 kB chunks past the cap, not at the end of the file.
    expect(lastRead).toBeGreaterThanOrEqual(MiB - 64 * 1024);
    expect(lastRead).toBeLessThan(MiB + 256 * 1024);
    // What it holds while reading: the pending line (≤ 1 MiB) and a chunk or two, not the file.
    expect(peak).toBeLessThan(16 * MiB);
  });
});
