/**
 * fast-check arbitraries from the JSON Schemas of an OpenAPI document: `valid(schema)` yields
 * values the schema accepts (formats, patterns, bounds, required and optional properties), and
 * `hostile(schema)` yields values meant to break the code behind it: wrong types, out-of-range and
 * non-finite numbers, NUL and unpaired surrogates, SQL / LIKE / tsquery metacharacters, very long
 * text, missing and unknown properties. Why a small generator of our own: docs/adr/0021-openapi-fuzzing.md.
 */
import fc from 'fast-check';

export type Schema = Record<string, unknown>;

/** A JSON number token the server must parse itself (1e309 is Infinity once parsed). */
export class RawNumber {
  constructor(readonly text: string) {}
}

const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Strings that have broken servers: encodings, SQL, LIKE, tsquery, paths, templates, sizes. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\ud83d',
  "'",
  '"',
  '\\',
  "' OR '1'='1",
  "'; DROP TABLE film_work; --",
  '%',
  '_',
  '%_%\\',
  '!',
  '&|!:*<->()',
  'a:* & !b | (c <-> d)',
  "'\\''",
  '::',
  ':*',
  '$1',
  '{{ 7*7 }}',
  '{% raw %}',
  '../../etc/passwd',
  '\r\nX-Injected: 1',
  '\u202e\u0301\ufeff',
  '😀'.repeat(50),
  'a'.repeat(10_000),
  '1e309',
  '-1',
  '0',
  '9223372036854775808',
  'NaN',
  'Infinity',
  'null',
  'true',
  '[]',
  '{}',
];

/** The inputs that most often reached the database unchecked: drawn more often than the rest. */
export const CRITICAL_STRINGS: readonly string[] = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '1e309',
  '-1e309',
  '9223372036854775808',
  "' OR '1'='1",
  '%_%\\',
  '&|!:*<->()',
];

/** Numbers past every bound a column or a JavaScript number keeps. */
export const NASTY_NUMBERS: readonly (number | RawNumber)[] = [
  0,
  -1,
  -0.5,
  0.5,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53,
  Number.MAX_SAFE_INTEGER,
  1e300,
  new RawNumber('1e309'),
  new RawNumber('-1e309'),
  new RawNumber('9223372036854775808'),
  new RawNumber('123456789012345678901234567890'),
];

export interface GeneratorContext {
  /** Resolves a `$ref` of the document. */
  resolve(ref: string): Schema;
  /** Known ids to try for a uuid-formatted value (found in earlier responses). */
  uuids: () => readonly string[];
}

function deref(schema: unknown, ctx: GeneratorContext): Schema {
  let s: unknown = schema;
  for (let i = 0; i < 10 && isObject(s) && typeof s.$ref === 'string'; i++) s = ctx.resolve(s.$ref);
  return isObject(s) ? s : {};
}

function typesOf(schema: Schema): string[] {
  if (Array.isArray(schema.type)) return schema.type.filter((t): t is string => typeof t === 'string');
  if (typeof schema.type === 'string') return [schema.type];
  if (isObject(schema.properties)) return ['object'];
  if ('items' in schema) return ['array'];
  return [];
}

/** Arbitrary values the schema accepts (best effort: `not` and cross-field rules are ignored). */
export function valid(schema: unknown, ctx: GeneratorContext, depth = 0): fc.Arbitrary<unknown> {
  const s = deref(schema, ctx);
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum) && s.enum.length > 0) return fc.constantFrom(...(s.enum as unknown[]));
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = s[key];
    if (Array.isArray(options) && options.length > 0)
      return fc.oneof(...options.map((o) => valid(o, ctx, depth + 1)));
  }
  if (Array.isArray(s.allOf) && s.allOf.length > 0) {
    const merged = Object.assign({}, ...s.allOf.map((o) => deref(o, ctx))) as Schema;
    return valid(merged, ctx, depth + 1);
  }
  const types = typesOf(s);
  if (types.length === 0) return fc.jsonValue({ maxDepth: 2 });
  return fc.oneof(...types.map((t) => validOfType(t, s, ctx, depth)));
}

function validOfType(type: string, s: Schema, ctx: GeneratorContext, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
    case 'number': {
      const min = numberBound(s.minimum, s.exclusiveMinimum, 1, type);
      const max = numberBound(s.maximum, s.exclusiveMaximum, -1, type);
      const lo = min ?? (max !== undefined ? max - 1000 : -1000);
      const hi = max ?? lo + 100_000;
      if (type === 'integer')
        return fc.integer({ min: Math.ceil(lo), max: Math.max(Math.ceil(lo), Math.floor(hi)) });
      return fc.double({ min: lo, max: Math.max(lo, hi), noNaN: true, noDefaultInfinity: true });
    }
    case 'string':
      return validString(s, ctx);
    case 'array': {
      if (depth > 4) return fc.constant([]);
      const minLength = typeof s.minItems === 'number' ? s.minItems : 0;
      const maxLength = Math.min(typeof s.maxItems === 'number' ? s.maxItems : 5, minLength + 5);
      return fc.array(valid(s.items ?? {}, ctx, depth + 1), { minLength, maxLength });
    }
    case 'object': {
      if (depth > 4) return fc.constant({});
      const properties = isObject(s.properties) ? s.properties : {};
      const required = Array.isArray(s.required) ? (s.required as string[]) : [];
      const model = Object.fromEntries(
        Object.entries(properties).map(([k, v]) => [k, valid(v, ctx, depth + 1)]),
      );
      return fc.record(model, { requiredKeys: required.filter((k) => k in properties) });
    }
    default:
      return fc.constant(null);
  }
}

function numberBound(inclusive: unknown, exclusive: unknown, step: 1 | -1, type: string): number | undefined {
  if (typeof exclusive === 'number') return exclusive + step * (type === 'integer' ? 1 : 1e-6);
  return typeof inclusive === 'number' ? inclusive : undefined;
}

function validString(s: Schema, ctx: GeneratorContext): fc.Arbitrary<string> {
  const minLength = typeof s.minLength === 'number' ? s.minLength : 0;
  const maxLength = Math.min(typeof s.maxLength === 'number' ? s.maxLength : 40, minLength + 40);
  switch (s.format) {
    case 'uuid': {
      const known = ctx.uuids();
      return known.length > 0 ? fc.oneof(fc.constantFrom(...known), fc.uuid()) : fc.uuid();
    }
    case 'date-time':
      return fc
        .date({
          min: new Date('1970-01-01T00:00:00Z'),
          max: new Date('2100-01-01T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString());
    case 'date':
      return fc
        .date({
          min: new Date('1900-01-01T00:00:00Z'),
          max: new Date('2100-01-01T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString().slice(0, 10));
    case 'email':
      return fc.emailAddress().filter((e) => e.length <= maxLength || maxLength < 6);
    case 'uri':
    case 'url':
      return fc.webUrl();
  }
  if (typeof s.pattern === 'string') {
    return fc
      .stringMatching(new RegExp(s.pattern, 'u'))
      .filter((v) => v.length >= minLength && v.length <= Math.max(maxLength, minLength));
  }
  const fitting = NASTY_STRINGS.filter((v) => v.length >= minLength && v.length <= maxLength);
  return fc.oneof(
    fc.string({ minLength, maxLength }),
    fc.string({ minLength, maxLength, unit: 'grapheme' }).filter((v) => v.length <= maxLength),
    ...(fitting.length > 0 ? [fc.constantFrom(...fitting)] : []),
    ...(minLength <= 1 ? [fc.constantFrom(...CRITICAL_STRINGS.filter((v) => v.length <= maxLength))] : []),
  );
}

/** Arbitrary values that break the schema or stress what is behind it. */
export function hostile(schema: unknown, ctx: GeneratorContext, depth = 0): fc.Arbitrary<unknown> {
  const s = deref(schema, ctx);
  const anything = fc.oneof(
    fc.constantFrom(...CRITICAL_STRINGS),
    fc.constantFrom(...NASTY_STRINGS),
    fc.constantFrom(...NASTY_NUMBERS),
    fc.constantFrom(null, true, false, [], {}),
  );
  const types = typesOf(s);
  if (types.includes('object') && depth < 3) {
    const properties = isObject(s.properties) ? s.properties : {};
    const keys = Object.keys(properties);
    if (keys.length > 0) {
      // Each property valid or hostile, some missing, plus a stray key or two.
      const model = Object.fromEntries(
        keys.map((k) => [
          k,
          fc.oneof(valid(properties[k], ctx, depth + 1), hostile(properties[k], ctx, depth + 1)),
        ]),
      );
      return fc
        .tuple(
          fc.record(model, { requiredKeys: [] }),
          fc.dictionary(fc.constantFrom('\u0000', 'extra', '__proto__', 'constructor', '\ud800'), anything, {
            maxKeys: 1,
          }),
        )
        .map(([record, extra]) => ({ ...extra, ...record }));
    }
  }
  if (types.includes('array') && depth < 3) {
    return fc.oneof(
      fc.array(hostile(s.items ?? {}, ctx, depth + 1), { maxLength: 3 }),
      fc.constant(Array.from({ length: 1000 }, () => 'x')),
      anything,
    );
  }
  return anything;
}
