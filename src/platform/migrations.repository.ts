/** The migration runner's bookkeeping (platform.schema_migration). */
import type { SqlExecutor } from '../ports/sql.js';

export interface AppliedMigration {
  module: string;
  version: number;
  name: string;
  checksum: string;
}

export function createMigrationsRepository(db: SqlExecutor) {
  return {
    /** Creates the bookkeeping table if this database has none yet. */
    async ensureTable(): Promise<void> {
      await db.exec(`
        CREATE SCHEMA IF NOT EXISTS platform;
        CREATE TABLE IF NOT EXISTS platform.schema_migration (
          module     text NOT NULL,
          version    integer NOT NULL,
          name       text NOT NULL,
          checksum   text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (module, version)
        );`);
    },

    /** Waits for other migrating processes; held until the transaction of `db` ends. */
    async lock(): Promise<void> {
      await db.query('SELECT pg_advisory_xact_lock(4823001)');
    },

    /** The checksum recorded for an applied migration, or null if it was not applied. */
    async appliedChecksum(module: string, version: number): Promise<string | null> {
      const [row] = await db.query<{ checksum: string }>(
        'SELECT checksum FROM platform.schema_migration WHERE module = $1 AND version = $2',
        [module, version],
      );
      return row?.checksum ?? null;
    },

    /** `schema` is a module's schema name from code, never input. */
    async createSchema(schema: string): Promise<void> {
      await db.exec(`CREATE SCHEMA IF NOT EXISTS ${schema};`);
    },

    async record(migration: AppliedMigration): Promise<void> {
      await db.query(
        'INSERT INTO platform.schema_migration (module, version, name, checksum) VALUES ($1, $2, $3, $4)',
        [migration.module, migration.version, migration.name, migration.checksum],
      );
    },
  };
}

export type MigrationsRepository = ReturnType<typeof createMigrationsRepository>;
