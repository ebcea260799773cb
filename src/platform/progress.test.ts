/** Progress on a stream that is not a terminal: plain lines, at most one every 2 s, and the last. */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgress } from './progress.js';

function sink(): { stream: Writable; lines: () => string[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, lines: () => text.split('\n').filter(Boolean) };
}

describe('createProgress without a terminal', () => {
  afterEach(() => vi.useRealTimers());

  it('writes a line at most every 2 s and a last line on stop', () => {
    vi.useFakeTimers({ now: 10_000 });
    const { stream, lines } = sink();
    const progress = createProgress(stream, 'Importing', 200, 'bytes');
    progress.update(10);
    progress.update(20);
    expect(lines()).toEqual(['Importing: 10/200 bytes (5%)']);
    vi.advanceTimersByTime(2000);
    progress.update(50, 400);
    progress.stop();
    expect(lines()).toEqual([
      'Importing: 10/200 bytes (5%)',
      'Importing: 50/400 bytes (12%)',
      'Importing: 50/400 bytes (12%)',
    ]);
  });

  it('counts an empty total as done', () => {
    const { stream, lines } = sink();
    createProgress(stream, 'Rebuilding', 0).stop();
    expect(lines()).toEqual(['Rebuilding: 0/0 rows (100%)']);
  });
});
