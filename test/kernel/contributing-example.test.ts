/**
 * CONTRIBUTING.md, "Adding a module", stays true: its `file=` code blocks are written out as the
 * module they describe, in a scratch copy of src/ (the real folders linked beside it), then linted
 * with the project's own rules, typechecked as if registered, and run in a kernel on the test
 * engines, whose routes, error codes, OpenAPI document and event path this test calls from outside.
 */
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ESLint, Linter } from 'eslint';
import ts from 'typescript';
import tseslint from 'typescript-eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import kino from '../../scripts/lint/plugin.mjs';
import type { ModuleDefinition } from '../../src/platform/module.js';
import { createTestKino, type TestKino } from '../helpers/kino.js';

const repo = path.resolve(import.meta.dirname, '../..');
const MODULE_DIR = 'src/modules/hello/';

/** The blocks opened by ```<lang> file=<path>, by path. */
function codeBlocks(markdown: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of markdown.matchAll(/^```\w+ file=(\S+)\n([\s\S]*?)^```$/gm)) {
    const [, file, code] = m as unknown as [string, string, string];
    if (blocks.has(file)) throw new Error(`CONTRIBUTING.md: two blocks for ${file}`);
    blocks.set(file, code);
  }
  return blocks;
}

const blocks = codeBlocks(readFileSync(path.join(repo, 'CONTRIBUTING.md'), 'utf8'));
const sources = [...blocks.keys()].filter((f) => f.endsWith('.ts'));

// Outside src/ (the migrations lock and the lint configuration walk it), ignored by git and lint.
let scratch: string;
let server: TestKino;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(repo, '.contributing-example-'));
  mkdirSync(path.join(scratch, 'src/modules'), { recursive: true });
  // The real src/ beside the module, so its imports reach the very files the kernel runs.
  for (const entry of readdirSync(path.join(repo, 'src')))
    if (entry !== 'modules') symlinkSync(path.join(repo, 'src', entry), path.join(scratch, 'src', entry));
  for (const entry of readdirSync(path.join(repo, 'src/modules')))
    symlinkSync(path.join(repo, 'src/modules', entry), path.join(scratch, 'src/modules', entry));
  for (const [file, code] of blocks) {
    mkdirSync(path.dirname(path.join(scratch, file)), { recursive: true });
    writeFileSync(path.join(scratch, file), code);
  }
  const index = path.join(scratch, MODULE_DIR, 'index.ts');
  const { helloModule } = (await import(pathToFileURL(index).href)) as { helloModule: ModuleDefinition };
  server = await createTestKino({ modules: [], extraModules: [helloModule] });
});

afterAll(async () => {
  await server?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

interface Greeting {
  id: string;
  name: string;
  message: string;
  created_at: string;
  delivered_at: string | null;
}

const greet = (name: unknown) =>
  server.app.inject({ method: 'POST', url: '/api/v1/hello/greetings', payload: { name } });

describe('the example module of CONTRIBUTING.md', () => {
  it('is a whole module: a migration, and each kind of file of DEVELOPERS.md', () => {
    expect([...blocks.keys()].every((f) => f.startsWith(MODULE_DIR))).toBe(true);
    expect([...blocks.keys()]).toEqual(
      expect.arrayContaining([
        `${MODULE_DIR}index.ts`,
        `${MODULE_DIR}migrations/0001_hello.sql`,
        `${MODULE_DIR}hello.errors.ts`,
        `${MODULE_DIR}hello.events.ts`,
        `${MODULE_DIR}hello.repository.ts`,
        `${MODULE_DIR}hello.service.ts`,
        `${MODULE_DIR}hello.routes.ts`,
      ]),
    );
  });

  it('keeps the rules npm run check enforces on module code', async () => {
    const eslint = new ESLint({ cwd: repo });
    const found: string[] = [];
    for (const file of sources) {
      // The project's rules that need no type information (those are the typecheck's below).
      const config = (await eslint.calculateConfigForFile(file)) as Linter.Config;
      const rules = Object.fromEntries(
        Object.entries(config.rules ?? {}).filter(
          ([name]) => name.startsWith('kino/') || name.startsWith('no-restricted-'),
        ),
      );
      const messages = new Linter({ configType: 'flat' }).verify(
        blocks.get(file)!,
        [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, plugins: { kino }, rules }],
        file,
      );
      found.push(...messages.map((m) => `${file}:${m.line} ${m.ruleId ?? ''} ${m.message}`));
    }
    expect(found).toEqual([]);
  });

  it('typechecks strictly once its name is registered in MODULE_NAMES', () => {
    const configFile = ts.readConfigFile(path.join(repo, 'tsconfig.json'), (f) => ts.sys.readFile(f));
    const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, repo);
    const host = ts.createCompilerHost({ ...options, noEmit: true });
    const getSourceFile = host.getSourceFile.bind(host);
    const registry = path.join(repo, 'src/platform/config.ts');
    // Step 9 of the section, as the compiler sees it.
    host.getSourceFile = (fileName, language, ...rest) => {
      if (realpathSync(fileName) !== registry) return getSourceFile(fileName, language, ...rest);
      const text = readFileSync(registry, 'utf8');
      const registered = text.replace(/(export const MODULE_NAMES = \[)/, "$1'hello', ");
      if (registered === text) throw new Error('MODULE_NAMES is no longer declared as this test expects');
      return ts.createSourceFile(fileName, registered, language);
    };
    const program = ts.createProgram({
      rootNames: sources.map((f) => path.join(scratch, f)),
      options: { ...options, noEmit: true },
      host,
    });
    // The module's own files: checking them resolves what they use, without checking all of src/.
    const own = program.getSourceFiles().filter((f) => f.fileName.startsWith(path.join(scratch, MODULE_DIR)));
    expect(own).toHaveLength(sources.length);
    const found = [
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...own.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)]),
    ];
    const diagnostics = found.map((d) => {
      const where = d.file
        ? `${path.relative(scratch, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1} `
        : '';
      return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(diagnostics).toEqual([]);
  });

  it('greets over HTTP: POST creates, GET returns it', async () => {
    const created = await greet('  Ada ');
    expect(created.statusCode).toBe(201);
    const greeting = created.json<Greeting>();
    expect(greeting).toMatchObject({ name: 'Ada', message: 'Hello, Ada!', delivered_at: null });

    const read = await server.app.inject(`/api/v1/hello/greetings/${greeting.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json<Greeting>()).toMatchObject({ id: greeting.id, name: 'Ada', message: 'Hello, Ada!' });
  });

  it("answers a body its rule refuses with the catalogue's code, as problem+json", async () => {
    const refused = await greet('1234');
    expect(refused.statusCode).toBe(400);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({ status: 400, code: 'NAME_WITHOUT_LETTERS' });

    const invalid = await greet('');
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ code: 'VALIDATION_FAILED' });

    const missing = await server.app.inject('/api/v1/hello/greetings/00000000-0000-4000-8000-000000000000');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'GREETING_NOT_FOUND' });
  });

  it('names its error codes in the OpenAPI document', async () => {
    const res = await server.app.inject('/api/openapi.json');
    expect(res.statusCode).toBe(200);
    type Responses = Record<string, { 'x-error-codes'?: string[] }>;
    const paths = res.json<{ paths: Record<string, Record<string, { responses: Responses }>> }>().paths;
    const post = paths['/api/v1/hello/greetings']?.post;
    const get = paths['/api/v1/hello/greetings/{id}']?.get;
    expect(post?.responses['400']?.['x-error-codes']).toContain('NAME_WITHOUT_LETTERS');
    expect(get?.responses['404']?.['x-error-codes']).toContain('GREETING_NOT_FOUND');
  });

  it('writes its event through the outbox, and its worker consumes it once', async () => {
    const greeting = (await greet('Grace')).json<Greeting>();
    await server.settle();
    const events = await server.kernel.engines.sql.query<{ payload: unknown }>(
      "SELECT payload FROM platform.outbox WHERE type = 'hello.greeted' AND key = $1",
      [greeting.id],
    );
    expect(events.map((e) => e.payload)).toEqual([{ greetingId: greeting.id, name: 'Grace' }]);
    const read = (await server.app.inject(`/api/v1/hello/greetings/${greeting.id}`)).json<Greeting>();
    expect(read.delivered_at).not.toBeNull();
  });
});
