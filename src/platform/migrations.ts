/**
 * Forward-only numbered SQL migrations, one folder per module (`NNNN_name.sql`). Each module's
 * files are applied in number order inside one transaction per file; an applied file whose text
 * changed is refused, because the database no longer matches the code that describes it.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Sql } from '../ports/sql.js';
import type { Logger } from './logger.js';
import { createMigrationsRepository } from './migrations.repository.js';

export interface MigrationSet {
  /** Owner, also the SQL schema created for it (`platform`, `auth`, `content`, …). */
  readonly module: string;
  readonly schema: string;
  readonly dir: URL;
}

export interface Migration {
  readonly module: string;
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly sql: string;
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

export const PLATFORM_MIGRATIONS: MigrationSet = {
  module: 'platform',
  schema: 'platform',
  dir: new URL('./migrations/', import.meta.url),
};

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export async function readMigrations(set: MigrationSet): Promise<Migration[]> {
  const dir = fileURLToPath(set.dir);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  } catch {
    return [];
  }
  const out: Migration[] = [];
  for (const name of names) {
    const match = FILE.exec(name);
    if (!match) throw new MigrationError(`${set.module}: migration file ${name} must be named NNNN_name.sql`);
    const sql = await readFile(`${dir}/${name}`, 'utf8');
    const version = Number(match[1]);
    if (out.some((m) => m.version === version))
      throw new MigrationError(`${set.module}: two migrations numbered ${version}`);
    out.push({
      module: set.module,
      version,
      name: match[2] ?? name,
      checksum: createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex'),
      sql,
    });
  }
  return out;
}

/** Applies every pending migration of `sets`, in the order given. Returns what it applied. */
export async function migrate(
  sql: Sql,
  sets: readonly MigrationSet[],
  logger?: Logger,
): Promise<Migration[]> {
  await createMigrationsRepository(sql).ensureTable();
  const applied: Migration[] = [];
  for (const set of sets) {
    const files = await readMigrations(set);
    for (const migration of files) {
      const done = await sql.transaction(async (tx) => {
        const bookkeeping = createMigrationsRepository(tx);
        // Several processes may start at once: one applies, the others wait and then see it done.
        await bookkeeping.lock();
        const checksum = await bookkeeping.appliedChecksum(migration.module, migration.version);
        if (checksum !== null) {
          if (checksum !== migration.checksum) {
            throw new MigrationError(
              `${migration.module} migration ${String(migration.version).padStart(4, '0')}_${migration.name}.sql ` +
                'was changed after it was applied. Migrations are forward-only: restore the file and add a new one.',
            );
          }
          return false;
        }
        await bookkeeping.createSchema(set.schema);
        await tx.exec(migration.sql);
        await bookkeeping.record(migration);
        return true;
      });
      if (done) {
        applied.push(migration);
        logger?.info(
          { module: migration.module, version: migration.version, name: migration.name },
          'migration applied',
        );
      }
    }
  }
  return applied;
}
