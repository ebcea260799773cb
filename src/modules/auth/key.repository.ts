/** Signing keys (auth.signing_keys), each private half sealed under the master secret. */
import type { JWK } from 'jose';
import type { SqlExecutor } from '../../ports/sql.js';
import type { TokenAlgorithm } from '../../platform/tokens.js';

export interface KeyRow {
  kid: string;
  alg: TokenAlgorithm;
  public_jwk: JWK;
  private_enc: string;
  created_at: Date;
  retired_at: Date | null;
}

export function createKeyRepository(db: SqlExecutor) {
  return {
    /** Keys still published at `now`, newest first. */
    async published(now: Date): Promise<KeyRow[]> {
      return db.query<KeyRow>(
        `SELECT kid, alg, public_jwk, private_enc, created_at, retired_at FROM auth.signing_keys
         WHERE publish_until IS NULL OR publish_until > $1 ORDER BY created_at DESC, kid`,
        [now],
      );
    },
    /** Serialises first-key creation across replicas until the transaction ends. */
    async lockKeySet(): Promise<void> {
      await db.query(`SELECT pg_advisory_xact_lock(4823030)`);
    },
    async activeCount(): Promise<number> {
      const [row] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM auth.signing_keys WHERE retired_at IS NULL`,
      );
      return row?.n ?? 0;
    },
    async insert(key: KeyRow): Promise<void> {
      await db.query(
        `INSERT INTO auth.signing_keys (kid, alg, public_jwk, private_enc, created_at) VALUES ($1, $2, $3::jsonb, $4, $5)`,
        [key.kid, key.alg, JSON.stringify(key.public_jwk), key.private_enc, key.created_at],
      );
    },
    /** Retires the signing key(s): still published for `publishSeconds` after `now`. */
    async retireActive(now: Date, publishSeconds: number): Promise<void> {
      await db.query(
        `UPDATE auth.signing_keys SET retired_at = $1, publish_until = $1::timestamptz + make_interval(secs => $2)
         WHERE retired_at IS NULL`,
        [now, publishSeconds],
      );
    },
  };
}

export type KeyRepository = ReturnType<typeof createKeyRepository>;
