/**
 * A 200 MB upload must stream: the process RSS may not grow by 50 MB or more. Measured in a
 * child process (its own heap, --expose-gc for a clean baseline) over a real socket.
 *
 * The child runs PGlite's WebAssembly on V8's baseline compiler only (--liftoff-only): otherwise
 * V8 recompiles hot PGlite functions with its optimising compiler in the background whenever it
 * decides to, and on Node 24 that alone moved the RSS by 200–375 MB in the middle of the upload
 * (with --liftoff-only: +0.1 MB), which says nothing about how the upload is read. Likewise its
 * young generation is capped (--max-semi-space-size=2, in MB): Node 24 lets the nursery grow to
 * tens of MB under the upload's short-lived chunks, which moved the RSS by up to +50 MB on
 * PostgreSQL (+10–18 MB with the cap) — garbage room, not a held upload, which would add 200 MB.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const MB = 1024 * 1024;

describe('files upload memory', () => {
  it('streams a 200 MB upload with less than 50 MB of RSS growth', async () => {
    const child = spawn(
      process.execPath,
      [
        '--liftoff-only',
        '--max-semi-space-size=2',
        '--expose-gc',
        '--import',
        'tsx',
        'test/fixtures/files-upload-memory.ts',
      ],
      { env: { ...process.env, UPLOAD_MB: '200' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, err).toBe(0);
    const line = out.trim().split('\n').at(-1)!;
    const m = JSON.parse(line) as {
      status: number;
      size: number;
      shaMatches: boolean;
      baseline: number;
      peak: number;
      after: number;
    };
    expect(m.status).toBe(201);
    expect(m.size).toBe(200 * MB);
    expect(m.shaMatches).toBe(true);
    const growth = m.peak - m.baseline;
    console.info(`RSS baseline ${(m.baseline / MB).toFixed(1)} MB, peak +${(growth / MB).toFixed(1)} MB`);
    expect(growth).toBeLessThan(50 * MB);
  }, 180_000);
});
