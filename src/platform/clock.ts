import { randomUUID } from 'node:crypto';

/** Time source, injected so tests can move it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests can set and advance. */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date | string = '2026-01-01T00:00:00Z') {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  set(at: Date | string): void {
    this.current = new Date(at).getTime();
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

/** Id source, injected like the clock. */
export type IdGenerator = () => string;
export const randomId: IdGenerator = () => randomUUID();

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
