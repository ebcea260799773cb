/**
 * One rule for every decoded input value, applied by the HTTP kernel to every route: strings
 * (values and object keys, in the path, the query and a parsed body) are well-formed Unicode
 * without NUL, and numbers are finite and within ±(2^53 − 1).
 *
 * Why here and not in each schema: JSON Schema cannot say "every string" without annotating every
 * string of every route, and one forgotten field is enough. PostgreSQL refuses U+0000 in text and
 * jsonb and lone surrogates in UTF-8, and refuses an OFFSET of Infinity; each of these reached it
 * and answered 500. The number check runs after schema validation because query coercion turns
 * "1e309" into Infinity and "9223372036854775808" into an imprecise double, both of which pass an
 * `integer` type check.
 */
import type { FastifyRequest } from 'fastify';
import { platformErrors, type FieldError } from '../errors.js';

const TEXT_MESSAGE = 'must be well-formed Unicode text without NUL (U+0000) or unpaired surrogates';
const NUMBER_MESSAGE = `must be a finite number between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`;

/** NUL, or a surrogate not part of a pair (in `u` mode a pair is one code point, not two). */
// eslint-disable-next-line no-control-regex -- NUL is the character looked for
const BAD_TEXT = /[\u0000\p{Cs}]/u;
const badText = (s: string) => BAD_TEXT.test(s);
const badNumber = (n: number) => !Number.isFinite(n) || Math.abs(n) > Number.MAX_SAFE_INTEGER;

/** The first offending value under `root`, as `{ field, message }`, or null. */
export function findBadInput(root: unknown, where: string): FieldError | null {
  const stack: [unknown, string][] = [[root, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (badText(value)) return { field: `${where}${path || '/'}`, message: TEXT_MESSAGE };
    } else if (typeof value === 'number') {
      if (badNumber(value)) return { field: `${where}${path || '/'}`, message: NUMBER_MESSAGE };
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push([item, `${path}/${i}`]));
    } else if (value !== null && typeof value === 'object' && isPlain(value)) {
      for (const [key, item] of Object.entries(value)) {
        const child = `${path}/${pointerEscape(key)}`;
        if (badText(key)) return { field: `${where}${child}`, message: `key ${TEXT_MESSAGE}` };
        stack.push([item, child]);
      }
    }
  }
  return null;
}

/** A parsed record (JSON, or the query parser's prototype-less object), never a Buffer or a stream. */
function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null;
}

/** A key as a JSON pointer segment; NUL and unpaired surrogates are shown as U+FFFD. */
const pointerEscape = (key: string) =>
  key.replace(new RegExp(BAD_TEXT.source, 'gu'), '\uFFFD').replace(/~/g, '~0').replace(/\//g, '~1');

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route's body is a batch whose handler refuses bad items one by one (answering which,
     * and keeping the rest), so the guard leaves the body to it.
     */
    bodyCheckedPerItem?: boolean;
  }
}

/**
 * A Fastify preHandler (it runs after validation and coercion): refuses the request with 400
 * VALIDATION_FAILED when any input value breaks the rule above.
 */
export function guardInput(request: FastifyRequest, _reply: unknown, done: (error?: Error) => void): void {
  const bad =
    findBadInput(request.params, 'params') ??
    findBadInput(request.query, 'querystring') ??
    (request.routeOptions.config.bodyCheckedPerItem ? null : findBadInput(request.body, 'body'));
  if (!bad) return done();
  done(platformErrors.VALIDATION_FAILED({ detail: `${bad.field} ${bad.message}`, errors: [bad] }));
}
