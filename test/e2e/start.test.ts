/**
 * `kino start` as a new user runs it: a fresh data folder, health and readiness, metrics on their
 * own port, a clean exit on Ctrl-C (SIGINT), and a second start that keeps the data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dataDir = mkdtempSync(path.join(tmpdir(), 'kino-start-'));
const running = new Set<ChildProcess>();
afterAll(() => {
  // A step that failed before stopping its server must not leave it holding the folder.
  for (const child of running) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  base: string;
  output: () => string;
}

function start(): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/cli.ts', 'start'], {
    env: {
      ...process.env,
      KINO_DATA_DIR: dataDir,
      PORT: '0',
      METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      DATABASE_URL: '',
      REDIS_URL: '',
      NATS_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const onData = () => {
      const match = /Health\s+(http:\/\/[^\s]+)\/health/.exec(out);
      if (match?.[1]) {
        child.stderr.off('data', onData);
        resolve({ child, base: match[1], output: () => out });
      }
    };
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`kino start exited with ${code}:\n${out}`)));
  });
}

function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    child.on('exit', (code) => resolve({ code, ms: Date.now() - t0 }));
    child.kill(signal);
  });
}

// The two tests are the steps of one scenario on one folder (a first start, then a restart that
// finds the data), so they keep their order when a run shuffles (`--sequence.shuffle`).
describe('kino start', { shuffle: false }, () => {
  it('starts on an empty data folder, answers /health and /ready, and exits cleanly on SIGINT', async () => {
    const { child, base, output } = await start();
    expect(output()).toMatch(/migration applied/);
    expect(existsSync(path.join(dataDir, 'pgdata'))).toBe(true);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    // The banner names the private metrics address; the API port does not serve them.
    const metrics = /Metrics\s+(http:\/\/\S+\/metrics)/.exec(output())?.[1];
    expect(metrics).toBeDefined();
    expect((await fetch(metrics!)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    const stopped = await stop(child, 'SIGINT');
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(5_000);
  }, 120_000);

  it('starts again on the same data folder, keeping the data, and stops on SIGTERM', async () => {
    const { child, base, output } = await start();
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    // Migrations were applied by the first start only.
    expect(output()).not.toMatch(/migration applied/);
    const stopped = await stop(child, 'SIGTERM');
    expect(stopped.code).toBe(0);
  }, 120_000);
});
