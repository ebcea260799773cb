/** The only SQL of the files module: file metadata and the film projection, schema `files`. */
import type { SqlExecutor } from '../../ports/sql.js';
import type { AccessLevel } from '../content/index.js';
import type { FileKind } from './files.ingest.js';

export interface FileRow {
  readonly id: string;
  readonly short_name: string;
  readonly blob_key: string;
  readonly filename: string;
  readonly size: number;
  readonly content_type: string;
  readonly sha256: string;
  readonly kind: FileKind;
  readonly film_id: string | null;
  readonly created_by: string | null;
  readonly created_at: Date;
}

export type NewFileRow = Omit<FileRow, 'created_at'>;

export interface ListQuery {
  readonly filmId?: string;
  readonly kind?: FileKind;
  readonly limit: number;
  readonly offset: number;
}

const COLUMNS =
  'f.id, f.short_name, f.blob_key, f.filename, f.size, f.content_type, f.sha256, f.kind, f.film_id, f.created_by, f.created_at';

export function createFilesRepository(db: SqlExecutor) {
  return {
    async insert(row: NewFileRow): Promise<FileRow> {
      const [created] = await db.query<FileRow>(
        `INSERT INTO files.file AS f (id, short_name, blob_key, filename, size, content_type, sha256, kind, film_id, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
        [
          row.id,
          row.short_name,
          row.blob_key,
          row.filename,
          row.size,
          row.content_type,
          row.sha256,
          row.kind,
          row.film_id,
          row.created_by,
        ],
      );
      return created!;
    },

    async find(id: string): Promise<(FileRow & { access: AccessLevel | null }) | null> {
      const [row] = await db.query<FileRow & { access: AccessLevel | null }>(
        `SELECT ${COLUMNS}, fm.access FROM files.file f LEFT JOIN files.film fm ON fm.id = f.film_id WHERE f.id = $1`,
        [id],
      );
      return row ?? null;
    },

    /**
     * Posters and trailers, and other files whose film's level is among `levels` (a file of no known film
     * counts as ARCHIVED, as catalog's canSee has it).
     */
    async list(
      query: ListQuery,
      levels: readonly AccessLevel[],
    ): Promise<{ rows: FileRow[]; total: number }> {
      const where = `($1::uuid IS NULL OR f.film_id = $1) AND ($2::text IS NULL OR f.kind = $2)
        AND (f.kind IN ('poster', 'trailer') OR COALESCE(fm.access, 'ARCHIVED') = ANY($3::text[]))`;
      const params = [query.filmId ?? null, query.kind ?? null, levels];
      const rows = await db.query<FileRow>(
        `SELECT ${COLUMNS} FROM files.file f LEFT JOIN files.film fm ON fm.id = f.film_id
         WHERE ${where} ORDER BY f.created_at DESC, f.id LIMIT $4 OFFSET $5`,
        [...params, query.limit, query.offset],
      );
      const [count] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM files.file f LEFT JOIN files.film fm ON fm.id = f.film_id WHERE ${where}`,
        params,
      );
      return { rows, total: count?.n ?? 0 };
    },

    async remove(id: string): Promise<FileRow | null> {
      const [row] = await db.query<FileRow>(
        `DELETE FROM files.file AS f WHERE f.id = $1 RETURNING ${COLUMNS}`,
        [id],
      );
      return row ?? null;
    },

    /** The film's current poster: the newest one uploaded. */
    async currentPoster(filmId: string): Promise<FileRow | null> {
      const [row] = await db.query<FileRow>(
        `SELECT ${COLUMNS} FROM files.file f WHERE f.film_id = $1 AND f.kind = 'poster'
         ORDER BY f.created_at DESC, f.id DESC LIMIT 1`,
        [filmId],
      );
      return row ?? null;
    },

    async filmAccess(filmId: string): Promise<AccessLevel | null> {
      const [row] = await db.query<{ access: AccessLevel }>('SELECT access FROM files.film WHERE id = $1', [
        filmId,
      ]);
      return row?.access ?? null;
    },

    /** Applies films' access levels, each unless a newer version is already known; one statement. */
    async upsertFilms(films: readonly { id: string; access: AccessLevel; version: number }[]): Promise<void> {
      if (films.length === 0) return;
      await db.execute(
        `INSERT INTO files.film (id, access, version)
         SELECT id, access, version FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, access text, version int)
         ON CONFLICT (id) DO UPDATE SET access = EXCLUDED.access, version = EXCLUDED.version, updated_at = now()
         WHERE files.film.version < EXCLUDED.version`,
        [JSON.stringify(films.map(({ id, access, version }) => ({ id, access, version })))],
      );
    },

    async deleteFilm(filmId: string): Promise<void> {
      await db.execute('DELETE FROM files.film WHERE id = $1', [filmId]);
    },

    /** Which of `keys` have a file row. */
    async knownKeys(keys: readonly string[]): Promise<Set<string>> {
      if (keys.length === 0) return new Set();
      const rows = await db.query<{ blob_key: string }>(
        'SELECT blob_key FROM files.file WHERE blob_key = ANY($1::text[])',
        [keys],
      );
      return new Set(rows.map((r) => r.blob_key));
    },

    /** Every file row, a page at a time in id order (for gc). */
    async page(after: string | null, limit: number): Promise<FileRow[]> {
      return db.query<FileRow>(
        `SELECT ${COLUMNS} FROM files.file f WHERE ($1::uuid IS NULL OR f.id > $1) ORDER BY f.id LIMIT $2`,
        [after, limit],
      );
    },
  };
}

export type FilesRepository = ReturnType<typeof createFilesRepository>;
