/**
 * Password hashing (argon2id, OWASP parameters m=19 MiB, t=2, p=1) with a bound on concurrent
 * hashes, and the password rules (NIST 800-63B: 8–128 characters, no composition rules, common
 * passwords refused).
 */
import { readFileSync } from 'node:fs';
import { hash, verify } from '@node-rs/argon2';
import { authErrors } from './auth.errors.js';
import { randomToken, Semaphore } from './crypto.js';

const PARAMS = {
  // Algorithm.Argon2id (a const enum, not importable under verbatimModuleSyntax).
  algorithm: 2 as const,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password or a malformed hash. */
  verify(hashed: string, password: string): Promise<boolean>;
  /** Spends the time of a real verification, for callers with no account (no enumeration). */
  dummyVerify(password: string): Promise<void>;
}

export function createPasswordHasher(concurrency: number): PasswordHasher {
  const gate = new Semaphore(concurrency);
  let dummy: Promise<string> | undefined;
  const verifyOne = (hashed: string, password: string) =>
    gate.run(() => verify(hashed, password).catch(() => false));
  return {
    hash: (password) => gate.run(() => hash(password, PARAMS)),
    verify: verifyOne,
    async dummyVerify(password) {
      dummy ??= gate.run(() => hash(randomToken(16), PARAMS));
      await verifyOne(await dummy, password);
    },
  };
}

let common: ReadonlySet<string> | undefined;
function commonPasswords(): ReadonlySet<string> {
  common ??= new Set(
    readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#')),
  );
  return common;
}

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

/** Throws 400 PASSWORD_TOO_SHORT / PASSWORD_TOO_LONG / PASSWORD_TOO_COMMON. */
export function checkPassword(password: string, context: { login?: string; email?: string } = {}): void {
  const length = [...password.normalize('NFC')].length;
  const field = [{ field: '/password', message: '' }];
  if (length < PASSWORD_MIN)
    throw authErrors.PASSWORD_TOO_SHORT({
      detail: `A password needs at least ${PASSWORD_MIN} characters.`,
      errors: [{ ...field[0]!, message: `at least ${PASSWORD_MIN} characters` }],
    });
  if (length > PASSWORD_MAX)
    throw authErrors.PASSWORD_TOO_LONG({
      detail: `A password has at most ${PASSWORD_MAX} characters.`,
      errors: [{ ...field[0]!, message: `at most ${PASSWORD_MAX} characters` }],
    });
  const lower = password.toLowerCase();
  const personal = [context.login, context.email, context.email?.split('@')[0]]
    .filter((s): s is string => !!s && s.length >= 4)
    .map((s) => s.toLowerCase());
  if (commonPasswords().has(lower) || personal.includes(lower))
    throw authErrors.PASSWORD_TOO_COMMON({ errors: [{ ...field[0]!, message: 'too common' }] });
}
