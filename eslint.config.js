// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { readdirSync } from 'node:fs';
import globals from 'globals';
import kino from './scripts/lint/plugin.mjs';

/** Engine drivers: only files under src/adapters/ may import them (ADR 0001). */
const DRIVERS = [
  'pg',
  'ioredis',
  'nats',
  '@electric-sql/pglite',
  '@aws-sdk/client-s3',
  '@aws-sdk/s3-request-presigner',
  'nodemailer',
];
const driverRule = {
  paths: DRIVERS.map((name) => ({ name, message: 'Engine drivers are imported only by src/adapters/.' })),
  patterns: DRIVERS.map((d) => ({
    group: [`${d}/*`],
    message: 'Engine drivers are imported only by src/adapters/.',
  })),
};

const modules = readdirSync(new URL('./src/modules/', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

/**
 * Error codes are declared once, in a catalogue (`defineErrors`, src/platform/errors.ts); throw sites
 * name a code of it. These selectors refuse the ways around a catalogue.
 */
const catalogueMessage =
  "Throw a code of the module's error catalogue (defineErrors in src/platform/errors.ts).";
const errorCatalogueRule = [
  'error',
  { selector: "NewExpression[callee.name='AppError']", message: catalogueMessage },
  { selector: "ClassDeclaration[superClass.name='AppError']", message: catalogueMessage },
  {
    selector: "CallExpression[callee.name='problem']",
    message: `${catalogueMessage} For a body, use problemOf().`,
  },
  {
    selector:
      'ImportSpecifier[imported.name=/^(badRequest|unauthorized|forbidden|notFound|conflict|tooManyRequests|unavailable)$/]',
    message: catalogueMessage,
  },
];
const layer = (regex, message) => ({ regex, message });
const noAdapters = layer('(^|/)adapters/', 'Only src/runtime/ imports adapters; depend on a port instead.');
const noRuntime = layer('(^|/)runtime/', 'Nothing imports the runtime; it imports everything else.');
const noModules = layer('(^|/)modules/', 'Platform, ports and adapters never depend on modules.');

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'web/**',
      'coverage/**',
      'bench/results/**',
      'bench/.data/**',
      '.kino*/**',
      // The scratch copy of src/ that test/kernel/contributing-example.test.ts writes and removes.
      '.contributing-example-*/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/only-throw-error': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  {
    files: ['src/platform/**/*.ts', 'src/ports/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { ...driverRule, patterns: [...driverRule.patterns, noAdapters, noRuntime, noModules] },
      ],
    },
  },
  {
    files: ['src/adapters/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noRuntime, noModules] }] },
  },
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    ignores: ['src/platform/errors.ts', 'src/platform/http/problem.ts'],
    rules: { 'no-restricted-syntax': errorCatalogueRule },
  },
  // SQL lives in repositories (and the sql engine adapters); only platform subscribes to the bus.
  { plugins: { kino } },
  {
    files: ['src/**/*.ts'],
    ignores: ['**/*.repository.ts', 'src/adapters/sql/**', '**/*.test.ts'],
    rules: { 'kino/sql-in-repositories': 'error' },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/platform/**'],
    rules: { 'kino/bus-subscribe-in-platform': 'error' },
  },
  ...modules.map((name) => ({
    files: [`src/modules/${name}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          ...driverRule,
          patterns: [
            ...driverRule.patterns,
            noAdapters,
            noRuntime,
            ...modules
              .filter((other) => other !== name)
              .map((other) =>
                layer(
                  `(^|/)${other}/(?!index\\.js$)`,
                  `Import another module only through its index.ts (${other}/index.js).`,
                ),
              ),
          ],
        },
      ],
    },
  })),
);
