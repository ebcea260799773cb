import { describe, expect, it } from 'vitest';
import { applyProgress, inContinueWatching, type ProgressState } from './progress.rules.js';

const at = (position_s: number, duration_s = 1000) => ({ position_s, duration_s });

/** Feeds positions one after another and returns how many watches completed. */
function watch(positions: number[], duration = 1000): { completions: number; state: ProgressState | null } {
  let state: ProgressState | null = null;
  let completions = 0;
  for (const p of positions) {
    const change = applyProgress(state, at(p, duration));
    if (change.completedNow) completions++;
    state = change.next;
  }
  return { completions, state };
}

describe('progress rules', () => {
  it('continue-watching is strictly between 5 % and 90 % and at least 30 s in', () => {
    expect(inContinueWatching(50, 1000)).toBe(false);
    expect(inContinueWatching(51, 1000)).toBe(true);
    expect(inContinueWatching(899, 1000)).toBe(true);
    expect(inContinueWatching(900, 1000)).toBe(false);
    expect(inContinueWatching(29, 100)).toBe(false);
    expect(inContinueWatching(30, 100)).toBe(true);
  });

  it('completes a watch once at 90 %, however often it is reported', () => {
    expect(watch([100, 899]).completions).toBe(0);
    expect(watch([100, 900, 950, 950, 1000]).completions).toBe(1);
    expect(watch([950, 500, 960]).completions).toBe(1);
  });

  it('a rewatch from the first 5 % can complete again', () => {
    expect(watch([950, 20, 400, 990]).completions).toBe(2);
    expect(watch([950, 49, 950, 0, 950]).completions).toBe(3);
    expect(watch([950, 50, 950]).completions).toBe(1);
  });

  it('repeated reports are unchanged; a new position clears hiding', () => {
    const first = applyProgress(null, at(300));
    expect(first.unchanged).toBe(false);
    const hidden = { ...first.next, hidden: true };
    const same = applyProgress(hidden, at(300));
    expect(same).toMatchObject({ unchanged: true, next: { hidden: true } });
    expect(applyProgress(hidden, at(310)).next.hidden).toBe(false);
  });
});
