/**
 * Error codes come from a module's catalogue: the project's lint configuration refuses the ways
 * around one (a new AppError, a hand-written problem, the free-string helpers) in module and
 * platform code, and leaves the catalogue helper itself alone.
 */
import { readdirSync } from 'node:fs';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

/** Lints `code` as if it were `file`, with the rule the project's configuration gives that file. */
async function lint(file: string, code: string): Promise<string[]> {
  const config = (await eslint.calculateConfigForFile(file)) as Linter.Config;
  const rule = config.rules?.['no-restricted-syntax'];
  if (!rule) return [];
  const messages = new Linter({ configType: 'flat' }).verify(
    code,
    [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        rules: { 'no-restricted-syntax': rule },
      },
    ],
    file,
  );
  return messages.map((m) => `${m.line}: ${m.message}`);
}

const BYPASSES = `
import { AppError, notFound } from '../../platform/errors.js';
import { problem } from '../../platform/http/problem.js';
export const a = new AppError(404, 'FILM_GONE', 'Gone.');
export class FilmGone extends AppError {}
export const b = problem(404, 'FILM_GONE', 'Gone.');
export const c = notFound;
`;

const CATALOGUED = `
import { defineErrors } from '../../platform/errors.js';
import { problemOf } from '../../platform/http/problem.js';
export const filmErrors = defineErrors({ FILM_GONE: { status: 404, message: 'Gone.' } });
export const a = filmErrors.FILM_GONE();
export const b = problemOf(filmErrors.FILM_GONE);
`;

describe('the error catalogue lint rule', () => {
  it.each([
    'src/modules/catalog/catalog.service.ts',
    'src/platform/security.ts',
    'test/e2e/catalog.fixtures.ts',
  ])('refuses every way around a catalogue in %s', async (file) => {
    const found = await lint(file, BYPASSES);
    expect(found.map((m) => Number(m.split(':')[0]))).toEqual([2, 4, 5, 6]);
    expect(found.every((m) => m.includes('error catalogue'))).toBe(true);
  });

  it('holds in every module, each of which declares its codes in a catalogue', async () => {
    const modules = readdirSync('src/modules', { withFileTypes: true }).filter((d) => d.isDirectory());
    expect(modules.length).toBeGreaterThan(5);
    for (const { name } of modules) {
      expect(await lint(`src/modules/${name}/index.ts`, BYPASSES), name).toHaveLength(4);
      const catalogue = readdirSync(`src/modules/${name}`).find((f) => f.endsWith('.errors.ts'));
      if (name !== 'etl') expect(catalogue, name).toBe(`${name}.errors.ts`);
    }
  });

  it('accepts throw sites that name a catalogue code', async () => {
    expect(await lint('src/modules/catalog/catalog.service.ts', CATALOGUED)).toEqual([]);
  });

  it('leaves the catalogue helper and the problem writer alone', async () => {
    expect(await lint('src/platform/errors.ts', BYPASSES)).toEqual([]);
    expect(await lint('src/platform/http/problem.ts', BYPASSES)).toEqual([]);
  });
});
