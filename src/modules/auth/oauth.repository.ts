/** Social login state (auth.oauth_states, single use) and linked identities (auth.identities). */
import type { SqlExecutor } from '../../ports/sql.js';

export interface OAuthState {
  code_verifier: string;
  nonce: string;
  return_to: string | null;
}

export function createOAuthRepository(db: SqlExecutor) {
  return {
    async insertState(s: {
      stateHash: string;
      provider: string;
      codeVerifier: string;
      nonce: string;
      returnTo: string | null;
      expiresAt: Date;
      browserHash: string;
    }): Promise<void> {
      await db.query(
        `INSERT INTO auth.oauth_states (state_hash, provider, code_verifier, nonce, return_to, expires_at, browser_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [s.stateHash, s.provider, s.codeVerifier, s.nonce, s.returnTo, s.expiresAt, s.browserHash],
      );
    },
    /** Deletes and returns a live state of this provider and browser; exactly one caller gets it. */
    async takeState(
      stateHash: string,
      provider: string,
      browserHash: string,
      now: Date,
    ): Promise<OAuthState | undefined> {
      const [row] = await db.query<OAuthState>(
        `DELETE FROM auth.oauth_states
         WHERE state_hash = $1 AND provider = $2 AND expires_at > $3 AND browser_hash = $4
         RETURNING code_verifier, nonce, return_to`,
        [stateHash, provider, now, browserHash],
      );
      return row;
    },
    /** The account linked to a provider's subject. */
    async linkedUser(provider: string, subject: string): Promise<string | undefined> {
      const [row] = await db.query<{ user_id: string }>(
        'SELECT user_id FROM auth.identities WHERE provider = $1 AND subject = $2',
        [provider, subject],
      );
      return row?.user_id;
    },
    /** Links a provider's subject to an account, unless linked already. */
    async link(provider: string, subject: string, userId: string, email: string | null): Promise<void> {
      await db.query(
        `INSERT INTO auth.identities (provider, subject, user_id, email) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
        [provider, subject, userId, email],
      );
    },
  };
}

export type OAuthRepository = ReturnType<typeof createOAuthRepository>;
