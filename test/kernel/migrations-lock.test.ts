/** Migrations are forward-only: a recorded file may never change or disappear. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { migrationChecksums } from '../../scripts/migrations-lock.mjs';

const locked = JSON.parse(
  readFileSync(new URL('../../migrations.lock.json', import.meta.url), 'utf8'),
) as Record<string, string>;
const current = (migrationChecksums as () => Record<string, string>)();

describe('migrations.lock.json', () => {
  it.each(Object.entries(locked))('%s is unchanged', (file, checksum) => {
    expect(current[file], `${file} was deleted or edited; add a new numbered migration instead`).toBe(
      checksum,
    );
  });

  it('records every migration file (run `npm run migrations:lock` after adding one)', () => {
    expect(Object.keys(current).filter((f) => !(f in locked))).toEqual([]);
  });
});
