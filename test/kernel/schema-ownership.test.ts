/**
 * A module never reads another module's tables: the SQL in a module's files names only the
 * schemas it owns (ADR 0001). Cross-module data flows through services, HTTP and events.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const modulesDir = fileURLToPath(new URL('../../src/modules/', import.meta.url));
const OWNED: Record<string, readonly string[]> = {
  auth: ['auth'],
  catalog: ['content', 'catalog'],
  etl: [],
  admin: [],
  files: ['files'],
  ugc: ['ugc'],
  notifications: ['notify'],
};
const ALL = [...new Set([...Object.values(OWNED).flat(), 'platform'])];
// A schema-qualified table reference inside SQL: FROM/JOIN/INTO/UPDATE/TABLE … schema.table
const REFERENCE = new RegExp(
  `\\b(?:from|join|into|update|table|references|on)\\s+(${ALL.join('|')})\\.[a-z_]+`,
  'gi',
);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return files(full);
    return /\.(ts|sql)$/.test(name) && !name.endsWith('.test.ts') ? [full] : [];
  });
}

describe('schema ownership', () => {
  for (const [module, owned] of Object.entries(OWNED)) {
    it(`${module} names only its own schema(s): ${owned.join(', ') || 'none'}`, () => {
      const foreign: string[] = [];
      for (const file of files(path.join(modulesDir, module))) {
        const text = readFileSync(file, 'utf8');
        for (const match of text.matchAll(REFERENCE)) {
          const schema = match[1]!.toLowerCase();
          if (!owned.includes(schema)) foreign.push(`${path.relative(modulesDir, file)}: ${match[0]}`);
        }
      }
      expect(foreign).toEqual([]);
    });
  }

  it('knows every module folder', () => {
    expect(
      readdirSync(modulesDir)
        .filter((n) => statSync(path.join(modulesDir, n)).isDirectory())
        .sort(),
    ).toEqual(Object.keys(OWNED).sort());
  });
});
