/**
 * Watch progress rules, free of storage so they can be tested alone:
 * - continue-watching shows a film whose position is past 5 % and before 90 % of its duration and
 *   at least 30 s in, unless the user hid it;
 * - reaching 90 % completes the current watch once: it adds one history entry however many times
 *   the player reports positions past 90 %;
 * - going back to the first 5 % starts a new watch (a rewatch), which can complete again;
 * - hiding lasts until the position changes (the user watches it again).
 */
export const CONTINUE_FROM = 0.05;
export const COMPLETE_AT = 0.9;
export const MIN_POSITION_S = 30;

export interface ProgressState {
  readonly position_s: number;
  readonly duration_s: number;
  /** The current watch already reached COMPLETE_AT. */
  readonly completed: boolean;
  readonly hidden: boolean;
}

export interface ProgressChange {
  readonly next: ProgressState;
  /** Nothing differs from the stored state (a repeated write). */
  readonly unchanged: boolean;
  /** This write completed a watch: add a history entry. */
  readonly completedNow: boolean;
}

export function applyProgress(
  previous: ProgressState | null,
  input: { position_s: number; duration_s: number },
): ProgressChange {
  const ratio = input.position_s / input.duration_s;
  const samePosition =
    previous !== null && previous.position_s === input.position_s && previous.duration_s === input.duration_s;
  const restarted = ratio < CONTINUE_FROM;
  let completed = (previous?.completed ?? false) && !restarted;
  let completedNow = false;
  if (ratio >= COMPLETE_AT && !completed) {
    completed = true;
    completedNow = true;
  }
  const hidden = (previous?.hidden ?? false) && samePosition;
  const next: ProgressState = {
    position_s: input.position_s,
    duration_s: input.duration_s,
    completed,
    hidden,
  };
  const unchanged =
    previous !== null && samePosition && previous.completed === completed && previous.hidden === hidden;
  return { next, unchanged, completedNow };
}

/** Whether a position belongs in continue-watching (hidden aside). */
export function inContinueWatching(position_s: number, duration_s: number): boolean {
  const ratio = position_s / duration_s;
  return ratio > CONTINUE_FROM && ratio < COMPLETE_AT && position_s >= MIN_POSITION_S;
}
