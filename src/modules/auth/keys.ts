/**
 * Signing keys. The key set lives in `auth.signing_keys`, shared by every auth replica, with each
 * private key sealed under the master secret (docs/adr/0030). The newest unretired key signs; a
 * retired key's public half stays in the JWKS until every token it signed has expired.
 *
 * Tokens are signed with fast-jwt, which signs synchronously with node:crypto (0.06 ms for
 * Ed25519 against 0.17 ms through jose's WebCrypto path, and every login and refresh signs);
 * jose generates keys, publishes the JWKS and verifies.
 */
import { createPrivateKey, type JsonWebKey as NodeJsonWebKey } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import {
  calculateJwkThumbprint,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
} from 'jose';
import type { Sql } from '../../ports/sql.js';
import type { Clock } from '../../platform/clock.js';
import type { Config } from '../../platform/config.js';
import type { Logger } from '../../platform/logger.js';
import {
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  type AccessClaims,
  type KeyResolver,
  type TokenAlgorithm,
} from '../../platform/tokens.js';
import type { Sealer } from './crypto.js';
import { createKeyRepository, type KeyRow } from './key.repository.js';

interface LoadedKey {
  kid: string;
  alg: TokenAlgorithm;
  publicJwk: JWK;
  publicKey: CryptoKey;
  /** Signs a complete claim set (iss, iat, nbf and exp included) into a compact JWS. */
  sign: (claims: Record<string, unknown>) => string;
  createdAt: Date;
  retiredAt: Date | null;
}

export interface KeyStore {
  /** Makes sure a signing key exists and loads the key set. */
  init(): Promise<void>;
  reload(): Promise<void>;
  sign(claims: Omit<AccessClaims, 'iss' | 'aud'>, ttlSeconds: number): Promise<string>;
  /** Resolves the public key for a token header, refusing an unknown kid or a foreign alg. */
  readonly resolve: KeyResolver;
  jwks(): { keys: JWK[] };
  /** Adds a new signing key; the old ones stay published for `publishSeconds`. Returns the new kid. */
  rotate(): Promise<string>;
  activeKid(): string;
  close(): void;
}

export interface KeyStoreDeps {
  sql: Sql;
  sealer: Sealer;
  clock: Clock;
  logger: Logger;
  algorithm: TokenAlgorithm;
  /** How long a retired key stays published: the access token lifetime plus a margin. */
  publishSeconds: number;
  /** How often to pick up keys rotated by another process (ms); 0 = never. */
  reloadMs?: number;
}

/**
 * The signing settings configuration decides: the algorithm, and how long a retired key stays
 * published (the access token lifetime plus five minutes, so every token it signed still verifies).
 */
export function keySettings(
  config: Pick<Config, 'authAlgorithm' | 'authAccessTtl'>,
): Pick<KeyStoreDeps, 'algorithm' | 'publishSeconds'> {
  return { algorithm: config.authAlgorithm, publishSeconds: config.authAccessTtl + 300 };
}

export function createKeyStore(deps: KeyStoreDeps): KeyStore {
  const { sql, sealer, clock, logger } = deps;
  const repo = createKeyRepository(sql);
  let keys: LoadedKey[] = [];
  let lastReload = 0;
  let timer: NodeJS.Timeout | undefined;

  async function generate(alg: TokenAlgorithm): Promise<KeyRow> {
    const pair =
      alg === 'EdDSA'
        ? await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
        : await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const publicJwk = await exportJWK(pair.publicKey);
    const privateJwk = await exportJWK(pair.privateKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    return {
      kid,
      alg,
      public_jwk: { ...publicJwk, kid, alg, use: 'sig' },
      private_enc: sealer.seal(JSON.stringify(privateJwk)),
      created_at: clock.now(),
      retired_at: null,
    };
  }

  async function reload(): Promise<void> {
    const rows = await repo.published(clock.now());
    const loaded: LoadedKey[] = [];
    for (const row of rows) {
      const known = keys.find((k) => k.kid === row.kid);
      if (known) {
        loaded.push({ ...known, retiredAt: row.retired_at });
        continue;
      }
      let privateJwk: JWK;
      try {
        privateJwk = JSON.parse(sealer.open(row.private_enc)) as JWK;
      } catch (cause) {
        throw new Error(
          `signing key ${row.kid} cannot be unsealed: every auth replica needs the same AUTH_KEY_SECRET (or the same KINO_DATA_DIR/keys/master.key)`,
          { cause },
        );
      }
      loaded.push({
        kid: row.kid,
        alg: row.alg,
        publicJwk: row.public_jwk,
        publicKey: (await importJWK(row.public_jwk, row.alg)) as CryptoKey,
        sign: createSigner({
          key: createPrivateKey({
            key: privateJwk as NodeJsonWebKey,
            format: 'jwk',
          })
            .export({ type: 'pkcs8', format: 'pem' })
            .toString(),
          algorithm: row.alg,
          kid: row.kid,
        }),
        createdAt: row.created_at,
        retiredAt: row.retired_at,
      });
    }
    keys = loaded;
    lastReload = Date.now();
  }

  function active(): LoadedKey {
    const key = keys.find((k) => k.retiredAt === null) ?? keys[0];
    if (!key) throw new Error('no signing key loaded');
    return key;
  }

  return {
    async init() {
      await sql.transaction(async (tx) => {
        // Replicas starting together: one creates the first key, the others then see it.
        const keySet = createKeyRepository(tx);
        await keySet.lockKeySet();
        if ((await keySet.activeCount()) === 0) {
          const key = await generate(deps.algorithm);
          await keySet.insert(key);
          logger.info({ kid: key.kid, alg: key.alg }, 'signing key generated');
        }
      });
      await reload();
      if (deps.reloadMs) {
        timer = setInterval(() => {
          reload().catch((error: unknown) => logger.warn({ err: error }, 'signing keys reload failed'));
        }, deps.reloadMs);
        timer.unref();
      }
    },
    reload,
    async sign(claims, ttlSeconds) {
      const key = active();
      const now = Math.floor(clock.now().getTime() / 1000);
      return key.sign({
        ...claims,
        iss: TOKEN_ISSUER,
        aud: TOKEN_AUDIENCE,
        iat: now,
        nbf: now,
        exp: now + ttlSeconds,
      });
    },
    async resolve(header) {
      let key = keys.find((k) => k.kid === header.kid);
      // A key rotated by another process: look again, at most once a second.
      if (!key && Date.now() - lastReload > 1000) {
        await reload();
        key = keys.find((k) => k.kid === header.kid);
      }
      if (!key || key.alg !== header.alg) throw new errors.JWKSNoMatchingKey();
      return key.publicKey;
    },
    jwks: () => ({ keys: keys.map((k) => k.publicJwk) }),
    async rotate() {
      const key = await generate(deps.algorithm);
      await sql.transaction(async (tx) => {
        const keySet = createKeyRepository(tx);
        await keySet.retireActive(clock.now(), deps.publishSeconds);
        await keySet.insert(key);
      });
      await reload();
      return key.kid;
    },
    activeKid: () => active().kid,
    close() {
      if (timer) clearInterval(timer);
    },
  };
}
