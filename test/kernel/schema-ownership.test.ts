/**
 * A module never reads another module's tables: the SQL in a module's files names only the
 * schemas it owns (ADR 0001). Cross-module data flows through services, HTTP and events. One
 * exception, read-only: catalog's projector builds its read model from content's tables with
 * set-based SQL (ADR 0010), so catalog may read (FROM, JOIN) the content schema, never write it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const modulesDir = fileURLToPath(new URL('../../src/modules/', import.meta.url));
const OWNED: Record<string, readonly string[]> = {
  auth: ['auth'],
  content: ['content'],
  catalog: ['catalog'],
  etl: [],
  admin: [],
  files: ['files'],
  ugc: ['ugc'],
  notifications: ['notify'],
};
/** Schemas a module may read but not write. */
const READS: Record<string, readonly string[]> = { catalog: ['content'] };
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
          const deletes = /\bdelete\s+$/i.test(text.slice(Math.max(0, match.index - 12), match.index));
          const read = /^(from|join)\s/i.test(match[0]) && !deletes && (READS[module] ?? []).includes(schema);
          if (!owned.includes(schema) && !read)
            foreign.push(`${path.relative(modulesDir, file)}: ${match[0]}`);
        }
      }
      expect(foreign).toEqual([]);
    });
  }

  it('catalog reads content: its projector is what the read-only exception is for', () => {
    const reads = files(path.join(modulesDir, 'catalog')).some((file) =>
      /\b(?:from|join)\s+content\.[a-z_]+/i.test(readFileSync(file, 'utf8')),
    );
    expect(reads).toBe(true);
  });

  it('knows every module folder', () => {
    expect(
      readdirSync(modulesDir)
        .filter((n) => statSync(path.join(modulesDir, n)).isDirectory())
        .sort(),
    ).toEqual(Object.keys(OWNED).sort());
  });
});
