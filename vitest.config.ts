import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'dist/**', 'web/**'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // PGlite instances are memory-hungry WASM; keep parallelism modest on 2-core machines.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    // One verdict per commit: a failing test fails the run (no retries to hide flakiness), and files
    // run in a fixed order. `--sequence.shuffle` runs them shuffled and prints the seed; the same
    // `--sequence.seed=<seed>` replays that order.
    retry: 0,
    sequence: { shuffle: false },
  },
});
