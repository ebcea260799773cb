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
  await sql.exec(`
    CREATE SCHEMA IF NOT EXISTS platform;
    CREATE TABLE IF NOT EXISTS platform.schema_migration (
      module     text NOT NULL,
      version    integer NOT NULL,
      name       text NOT NULL,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (module, version)
    );`);
  const applied: Migration[] = [];
  for (const set of sets) {
    const files = await readMigrations(set);
    for (const migration of files) {
      const done = await sql.transaction(async (tx) => {
        // Several processes may start at once: one applies, the others wait and then see it done.
        await tx.query('SELECT pg_advisory_xact_lock(4823001)');
        const [row] = await tx.query<{ checksum: string }>(
          'SELECT checksum FROM platform.schema_migration WHERE module = $1 AND version = $2',
          [migration.module, migration.version],
        );
        if (row) {
          if (row.checksum !== migration.checksum) {
            throw new MigrationError(
              `${migration.module} migration ${String(migration.version).padStart(4, '0')}_${migration.name}.sql ` +
                'was changed after it was applied. Migrations are forward-only: restore the file and add a new one.',
            );
          }
          return false;
        }
        await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${set.schema};`);
        await tx.exec(migration.sql);
        await tx.query(
          'INSERT INTO platform.schema_migration (module, version, name, checksum) VALUES ($1, $2, $3, $4)',
          [migration.module, migration.version, migration.name, migration.checksum],
        );
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
