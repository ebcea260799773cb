/**
 * The OpenAPI document's shared parts: the one security scheme every route names, the problem+json
 * error shape, and a pass over the generated document that gives every operation its error
 * responses and an example for every body. Routes declare what is particular to them (their
 * inputs, their success bodies, errors they answer on purpose); what every route shares is added
 * here, once, so the document cannot drift route by route.
 */
import { Type } from '@sinclair/typebox';
import { platformErrors, STATUS_TITLES, tokenErrors, type ErrorFactory } from '../errors.js';

declare module 'fastify' {
  interface FastifySchema {
    /**
     * The catalogue codes this route may answer on purpose (`catalogErrors.FILM_NOT_FOUND`, …).
     * The document names them under their statuses; the codes every route shares (a bad input,
     * a bad token) are added by `completeDocument` and need not be listed.
     */
    'x-errors'?: readonly ErrorFactory[];
  }
}

/** The name of the bearer-token scheme in `components.securitySchemes`. */
export const BEARER_SCHEME = 'bearer';

type SecurityRequirement = { [scheme: string]: string[] }[];

/** Security of a route that needs a logged-in caller (an access token). */
export const bearerSecurity: SecurityRequirement = [{ [BEARER_SCHEME]: [] }];
/** Security of a route that anyone may call; a token, when sent, widens what the caller sees. */
export const optionalBearerSecurity: SecurityRequirement = [{}, { [BEARER_SCHEME]: [] }];

export const securitySchemes = {
  [BEARER_SCHEME]: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token from POST /api/v1/auth/login (the `access_token` field).',
  },
} as const;

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** RFC 9457 problem details, as every error of the API is answered. */
export const Problem = Type.Object(
  {
    type: Type.String({ description: 'A URI naming the kind of problem.' }),
    title: Type.String(),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    detail: Type.String(),
    code: Type.String({ description: 'A stable machine-readable code, e.g. VALIDATION_FAILED.' }),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true, description: 'application/problem+json (RFC 9457)' },
);

/** What a status means on any route, with the code a client most often sees with it. */
const ERROR_STATUSES: Readonly<Record<string, { description: string; code: string; detail: string }>> = {
  '400': {
    description: 'The request is invalid: a parameter or body field is missing, malformed or out of range.',
    code: 'VALIDATION_FAILED',
    detail: 'querystring/page_size must be <= 100',
  },
  '401': {
    description: 'No valid access token: it is missing where required, expired, revoked or malformed.',
    code: 'AUTHENTICATION_REQUIRED',
    detail: 'Log in to do this.',
  },
  '403': {
    description: 'The caller is known but may not do this.',
    code: 'PERMISSION_DENIED',
    detail: 'This needs the permission CRUD_FILMS.',
  },
  '404': {
    description: 'Nothing has this id.',
    code: 'NOT_FOUND',
    detail: 'Nothing has this id.',
  },
  default: {
    description:
      'Any other error, as problem+json: 409 conflict, 413 too large, 415 media type, 429 rate limited (with Retry-After), 500, 503.',
    code: 'RATE_LIMITED',
    detail: 'Too many attempts. Try again later.',
  },
};

/** A code as the document names it. */
interface CodeDoc {
  readonly code: string;
  readonly status: number;
  readonly message: string;
}

function problemExample(status: string, first: CodeDoc | undefined): Record<string, unknown> {
  const meta = ERROR_STATUSES[status in ERROR_STATUSES ? status : 'default']!;
  const numeric = first?.status ?? (status === 'default' ? 429 : Number(status));
  const code = first?.code ?? meta.code;
  const fieldErrors = code === platformErrors.VALIDATION_FAILED.code;
  return {
    type: `https://kinoservice.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: STATUS_TITLES[numeric] ?? 'Error',
    status: numeric,
    detail: fieldErrors || !first ? meta.detail : first.message,
    code,
    ...(fieldErrors ? { errors: [{ field: 'querystring/page_size', message: 'must be <= 100' }] } : {}),
  };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A problem response: the schema a route declared for the status (if any), else the shared one;
 * the codes it may carry are listed in `x-error-codes` and in its description.
 */
function problemResponse(status: string, declared: Json | undefined, codes: readonly CodeDoc[]): Json {
  const content = isObject(declared?.content) ? declared.content : {};
  const media = Object.values(content).find(isObject);
  const schema = isObject(media?.schema) ? media.schema : Problem;
  const description =
    typeof declared?.description === 'string' && declared.description !== 'Default Response'
      ? declared.description
      : (ERROR_STATUSES[status]?.description ?? 'An error, as problem+json.');
  const list = codes.map((c) => `- \`${c.code}\`: ${c.message}`);
  return {
    description: list.length > 0 ? `${description}\n\n${list.join('\n')}` : description,
    ...(isObject(declared?.headers) ? { headers: declared.headers } : {}),
    ...(codes.length > 0 ? { 'x-error-codes': codes.map((c) => c.code) } : {}),
    content: {
      [PROBLEM_MEDIA_TYPE]: {
        schema,
        example: problemExample(status, codes[0]),
      },
    },
  };
}

const asCode = (error: unknown): CodeDoc | null => {
  const e = error as Partial<CodeDoc> | null;
  return (typeof e === 'function' || isObject(e)) &&
    typeof e.code === 'string' &&
    typeof e.status === 'number' &&
    typeof e.message === 'string'
    ? { code: e.code, status: e.status, message: e.message }
    : null;
};

const SAMPLE_UUID = '3fa85f64-5717-4562-b3fc-2c963f66afa6';

/** A small value that satisfies the schema, for the document's examples. */
export function exampleOf(
  schema: unknown,
  depth = 0,
  resolve: (ref: string) => unknown = () => null,
): unknown {
  if (isObject(schema) && typeof schema.$ref === 'string')
    return exampleOf(resolve(schema.$ref), depth + 1, resolve);
  if (!isObject(schema) || depth > 8) return null;
  if ('example' in schema) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ('default' in schema) return schema.default;
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options)) {
      const list: unknown[] = options;
      if (key === 'allOf')
        return Object.assign({}, ...list.map((o) => exampleOf(o, depth + 1, resolve))) as unknown;
      const first: unknown = list.find((o) => isObject(o) && o.type !== 'null') ?? list[0];
      return exampleOf(first, depth + 1, resolve);
    }
  }
  const types: unknown[] = Array.isArray(schema.type) ? schema.type : [schema.type];
  const type = types.find((t) => t !== 'null');
  switch (type) {
    case 'object': {
      const properties = isObject(schema.properties) ? schema.properties : {};
      return Object.fromEntries(
        Object.entries(properties).map(([k, v]) => [k, exampleOf(v, depth + 1, resolve)]),
      );
    }
    case 'array':
      return 'items' in schema ? [exampleOf(schema.items, depth + 1, resolve)] : [];
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'string':
      return stringExample(schema);
    default:
      return null;
  }
}

function stringExample(schema: Json): string {
  switch (schema.format) {
    case 'uuid':
      return SAMPLE_UUID;
    case 'date-time':
      return '2026-01-31T12:00:00.000Z';
    case 'date':
      return '2026-01-31';
    case 'email':
      return 'viewer@example.com';
    case 'uri':
      return 'https://example.com/';
    default: {
      const min = typeof schema.minLength === 'number' ? schema.minLength : 1;
      return 'example'.padEnd(min, 'x');
    }
  }
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/**
 * Completes every operation of the generated document: the error responses a route can always
 * answer (400 when it takes input, 401/403 when it names the bearer scheme, 404 when it has path
 * parameters, and a problem+json `default` for the rest) and an example for every JSON body.
 * Used as @fastify/swagger's `transformObject`.
 */
export function completeDocument<T extends object>(document: T): T {
  const doc = document as Json;
  // Routes that do not say otherwise accept an optional token (it widens what the caller sees).
  doc.security ??= optionalBearerSecurity;
  const paths = doc.paths;
  if (!isObject(paths)) return document;
  for (const item of Object.values(paths)) {
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const operation = item[method];
      if (isObject(operation)) completeOperation(operation, doc.security, (ref) => resolveRef(doc, ref));
    }
  }
  return document;
}

function resolveRef(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return null;
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? node[key] : undefined;
  }
  return node ?? null;
}

function completeOperation(
  operation: Json,
  defaultSecurity: unknown,
  resolve: (ref: string) => unknown,
): void {
  const responses: Json = isObject(operation.responses) ? operation.responses : {};
  operation.responses = responses;
  const parameters = Array.isArray(operation.parameters) ? operation.parameters.filter(isObject) : [];
  const declared = operation.security ?? defaultSecurity;
  const security = Array.isArray(declared) ? declared.filter(isObject) : [];
  const namesBearer = security.some((s) => BEARER_SCHEME in s);
  const needsToken = namesBearer && !security.some((s) => Object.keys(s).length === 0);

  // The codes the route declared, then those every such route shares.
  const codes: CodeDoc[] = [];
  const declaredCodes = operation['x-errors'];
  delete operation['x-errors'];
  for (const error of Array.isArray(declaredCodes) ? declaredCodes : []) {
    const code = asCode(error);
    if (code) codes.push(code);
  }
  const takesInput = parameters.length > 0 || operation.requestBody !== undefined;
  if (takesInput) codes.push(platformErrors.VALIDATION_FAILED);
  if (operation.requestBody !== undefined) codes.push(platformErrors.INVALID_JSON);
  const hasPathParams = parameters.some((p) => p.in === 'path');
  // A path parameter that does not decode is refused before routing.
  if (hasPathParams) codes.push(platformErrors.INVALID_URL);
  // Where a route answers 413 or 415 itself, the kernel's refusal of a body shares the status.
  for (const kernel of [platformErrors.BODY_TOO_LARGE, platformErrors.UNSUPPORTED_MEDIA_TYPE])
    if (codes.some((c) => c.status === kernel.status)) codes.push(kernel);
  if (namesBearer)
    codes.push(...tokenErrors.filter((e) => needsToken || e !== platformErrors.AUTHENTICATION_REQUIRED));

  const statuses: string[] = ['default'];
  if (takesInput) statuses.push('400');
  if (namesBearer) statuses.push('401');
  if (needsToken) statuses.push('403');
  if (hasPathParams) statuses.push('404');
  for (const { status } of codes) statuses.push(String(status));
  for (const status of Object.keys(responses)) if (/^[45]\d\d$/.test(status)) statuses.push(status);
  for (const status of new Set(statuses)) {
    const declared = responses[status];
    const here = uniqueCodes(codes.filter((c) => String(c.status) === status));
    responses[status] = problemResponse(status, isObject(declared) ? declared : undefined, here);
  }

  for (const [status, response] of Object.entries(responses)) {
    if (!/^[23]/.test(status) || !isObject(response)) continue;
    addExamples(response, resolve);
  }
  if (isObject(operation.requestBody)) addExamples(operation.requestBody, resolve);
}

function uniqueCodes(codes: readonly CodeDoc[]): CodeDoc[] {
  return [...new Map(codes.map((c) => [c.code, c])).values()];
}

function addExamples(holder: Json, resolve: (ref: string) => unknown): void {
  if (!isObject(holder.content)) return;
  for (const media of Object.values(holder.content)) {
    if (isObject(media) && media.example === undefined && media.examples === undefined && 'schema' in media)
      media.example = exampleOf(media.schema, 0, resolve);
  }
}
