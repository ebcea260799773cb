/**
 * SQL statements live in repositories and only platform subscribes to the bus: the project's lint
 * configuration refuses SQL text outside *.repository.ts files (the sql engine adapters and tests
 * aside) and `bus.subscribe` outside src/platform/.
 */
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import kino from '../../scripts/lint/plugin.mjs';

const eslint = new ESLint({ cwd: process.cwd() });

/** Lints `code` as if it were `file`, with the kino rules the project's configuration gives that file. */
async function lint(file: string, code: string): Promise<string[]> {
  const config = (await eslint.calculateConfigForFile(file)) as Linter.Config;
  const rules = Object.fromEntries(
    Object.entries(config.rules ?? {}).filter(([name]) => name.startsWith('kino/')),
  );
  const messages = new Linter({ configType: 'flat' }).verify(
    code,
    [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, plugins: { kino }, rules }],
    file,
  );
  return messages.map((m) => `${m.line}: ${m.ruleId}`);
}

const SQL = `
import type { SqlExecutor } from '../../ports/sql.js';
export const byId = (db: SqlExecutor, id: string) => db.query('SELECT id FROM content.film_work WHERE id = $1', [id]);
`;

const SUBSCRIBE = `
import type { Bus } from '../../ports/bus.js';
export const start = (bus: Bus, ctx: { bus: Bus }) => [
  bus.subscribe({ group: 'g', types: ['x'], handler: async () => undefined }),
  ctx.bus.subscribe({ group: 'g', types: ['x'], handler: async () => undefined }),
];
`;

describe('the repository lint rules', () => {
  it('refuses a SQL statement outside a repository, in modules and platform', async () => {
    expect(await lint('src/modules/catalog/catalog.service.ts', SQL)).toEqual([
      '3: kino/sql-in-repositories',
    ]);
    expect(await lint('src/platform/outbox.ts', SQL)).toEqual(['3: kino/sql-in-repositories']);
  });

  it('accepts SQL in repositories, the sql adapters and tests', async () => {
    expect(await lint('src/modules/catalog/catalog.repository.ts', SQL)).toEqual([]);
    expect(await lint('src/platform/outbox.repository.ts', SQL)).toEqual([]);
    expect(await lint('src/adapters/sql/pglite.ts', SQL)).toEqual([]);
    expect(await lint('src/modules/catalog/catalog.repository.test.ts', SQL)).toEqual([]);
  });

  it('refuses bus.subscribe outside platform and accepts it inside', async () => {
    expect(await lint('src/modules/ugc/event.sink.ts', SUBSCRIBE)).toEqual([
      '4: kino/bus-subscribe-in-platform',
      '5: kino/bus-subscribe-in-platform',
    ]);
    expect(await lint('src/runtime/kernel.ts', SUBSCRIBE)).toHaveLength(2);
    expect(await lint('src/platform/consumer.ts', SUBSCRIBE)).toEqual([]);
  });

  it.each([
    ['INSERT INTO ugc.rating (user_id) VALUES ($1)', true],
    ['  update auth.users set login = $2 where id = $1', true],
    ['WITH ins AS (INSERT INTO x SELECT 1) SELECT 1', true],
    ['DELETE FROM catalog.state WHERE key = $1', true],
    ['CREATE INDEX IF NOT EXISTS a ON b (c)', true],
    ['ALTER TABLE ugc.events DETACH PARTITION ugc.p', true],
    ['SET LOCAL session_replication_role = replica', true],
    ['VACUUM (ANALYZE) catalog.film', true],
    ['SELECT pg_advisory_xact_lock($1)', true],
    ['Reset your password', false],
    ['Delete a file (blob and metadata)', false],
    ['Set the password', false],
    ['delete', false],
    ['DELETE', false],
    ['COPY film_work lacks column(s) id; block skipped', false],
    ['With Redis: MiB of catalog responses', false],
  ])('reads %j as SQL: %s', async (text, sql) => {
    const found = await lint(
      'src/modules/catalog/catalog.service.ts',
      `export const s = ${JSON.stringify(text)};`,
    );
    expect(found.length).toBe(sql ? 1 : 0);
  });
});
