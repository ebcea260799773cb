/**
 * Email addresses as auth stores and compares them (docs/adr/0035-account-recovery.md).
 *
 * One mailbox, one spelling: the address is mapped and normalised the way RFC 8265 (PRECIS,
 * UsernameCasePreserved) prepares an identifier — fullwidth and halfwidth forms mapped to their
 * ordinary characters, then Unicode NFC — before anything compares or stores it, so NFC/NFD
 * twins and fullwidth copies of one address meet the same unique index. What remains must be a
 * bare mailbox (RFC 5321 `Mailbox`, the WHATWG "valid email address" grammar widened to
 * letters and digits of any script): no display name, no group, no comment, no list, nothing
 * a mailer could read as a second address.
 */
import { authErrors } from './auth.errors.js';

/** Characters an unquoted local part may hold besides letters and digits (RFC 5322 atext). */
const ATEXT = "!#$%&'*+/=?^_`{|}~-";
const LOCAL = new RegExp(
  `^[\\p{L}\\p{M}\\p{N}${ATEXT.replace(/[-\\^\]/]/g, '\\$&')}]+(?:\\.[\\p{L}\\p{M}\\p{N}${ATEXT.replace(/[-\\^\]/]/g, '\\$&')}]+)*$`,
  'u',
);
const LABEL = /^[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]{0,61}[\p{L}\p{M}\p{N}])?$/u;

/**
 * Scripts whose letters look alike. A local part or a domain label mixing two of them
 * (`pаypal` with a Cyrillic а) is refused; a whole word in one script is a different address.
 */
const SCRIPTS: readonly [string, RegExp][] = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Cherokee', /\p{Script=Cherokee}/u],
];

function mixesScripts(part: string): boolean {
  const seen = new Set<string>();
  for (const ch of part) {
    if (!/\p{L}/u.test(ch)) continue;
    const script = SCRIPTS.find(([, re]) => re.test(ch))?.[0];
    if (script) seen.add(script);
    if (seen.size > 1) return true;
  }
  return false;
}

/** The Halfwidth and Fullwidth Forms block: RFC 8265 §3.4.1 width mapping applies to it. */
const WIDE = /[\uFF01-\uFFEE]/gu;

/** The stored form of an address, or null when it is not one bare mailbox. */
export function normalizeEmail(input: string): string | null {
  const mapped = input.replace(WIDE, (ch) => ch.normalize('NFKC')).normalize('NFC');
  // After width mapping, a remaining compatibility character (ligature, superscript, circled
  // letter) is disallowed by the PRECIS IdentifierClass rather than silently folded.
  if (mapped !== mapped.normalize('NFKC')) return null;
  if (mapped.length > 254) return null;
  const at = mapped.lastIndexOf('@');
  if (at <= 0 || at === mapped.length - 1) return null;
  const local = mapped.slice(0, at);
  const domain = mapped.slice(at + 1);
  if (local.length > 64 || !LOCAL.test(local) || mixesScripts(local)) return null;
  const labels = domain.split('.');
  if (labels.length < 2) return null;
  for (const label of labels) if (!LABEL.test(label) || mixesScripts(label)) return null;
  return mapped;
}

/** normalizeEmail, or 400 EMAIL_INVALID naming the field. */
export function requireEmail(input: string, field = '/email'): string {
  const email = normalizeEmail(input);
  if (email === null)
    throw authErrors.EMAIL_INVALID({
      errors: [{ field, message: 'a bare address such as name@example.com' }],
    });
  return email;
}
