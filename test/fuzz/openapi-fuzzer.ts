/**
 * The fuzzing machinery behind openapi.fuzz.test.ts, apart from the server it is aimed at: it reads
 * the operations of an OpenAPI document, sends each of them generated valid and hostile requests
 * (schema-arbitrary.ts) over HTTP, and records a finding for any 5xx, any answer slower than
 * `slowMs` (re-sent once first), any answer whose status is not documented or whose body does
 * not match the schema the document declares for it, and any error whose code the document does
 * not list for its status (`x-error-codes`). openapi-fuzzer.test.ts proves on a small app
 * with known defects that each of these checks finds them.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { hostile, RawNumber, valid, type GeneratorContext, type Schema } from './schema-arbitrary.js';

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

export type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

export interface Operation {
  method: (typeof METHODS)[number];
  path: string;
  pointer: string;
  parameters: Parameter[];
  body?: { type: string; schema: Schema };
  responses: Json;
}

export interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface Finding {
  operation: string;
  caller: string;
  request: Sent;
  problem: string;
}

/** Who sends: anonymous (no token) or a user whose token may be renewed after a 401. */
export interface Caller {
  readonly name: string;
  token(): string | null;
  /** Called after a 401 (the operation just sent may have ended the caller's session). */
  renew?(): Promise<void>;
}

export interface FuzzerOptions {
  /** The OpenAPI document, as served. */
  readonly doc: Json;
  /** Where the document's paths are served, e.g. http://127.0.0.1:3000. */
  readonly base: string;
  readonly seed: number;
  /** Requests per operation and caller. */
  readonly runs: number;
  /** An answer slower than this is a finding. Default 2 s. */
  readonly slowMs?: number;
  /** Paths not fuzzed. */
  readonly skip?: readonly RegExp[];
  /** Paths whose non-GET operations run after all the others (they end sessions or take access away). */
  readonly last?: readonly RegExp[];
}

export interface OpenApiFuzzer {
  readonly findings: readonly Finding[];
  /** Requests sent so far. */
  readonly sent: number;
  /** How many answers of each status. */
  readonly statuses: ReadonlyMap<number, number>;
  /** Ids seen in `body` make later path parameters hit real rows. */
  harvest(body: unknown): void;
  operations(): Operation[];
  /** Sends `runs` generated requests per operation and caller, recording findings. */
  run(callers: readonly Caller[]): Promise<void>;
  /** The first findings, one per paragraph, for a failure message. */
  report(limit?: number): string;
}

/** Percent-encoding that also carries unpaired surrogates (as their WTF-8 bytes) and NUL. */
function encode(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else out += encodeURIComponent(ch);
  }
  return out;
}

const asText = (value: unknown): string =>
  value instanceof RawNumber ? value.text : typeof value === 'string' ? value : (JSON.stringify(value) ?? '');

/** JSON text in which RawNumber values stay the literal tokens they are (1e309, 2^63). */
function toJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof RawNumber) {
      raws.push(v.text);
      return `\u0001raw${raws.length - 1}\u0001`;
    }
    return v;
  });
  return (text ?? 'null').replace(/"\\u0001raw(\d+)\\u0001"/g, (_m, i: string) => raws[Number(i)]!);
}

/** Headers are ISO-8859-1 text on the wire: values outside it are sent as their JSON escape. */
const headerSafe = (value: string) =>
  value.replace(/[^\t\x20-\x7e\x80-\xff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

export function createOpenApiFuzzer(options: FuzzerOptions): OpenApiFuzzer {
  const { doc, base, seed, runs } = options;
  const slowMs = options.slowMs ?? 2_000;
  const skip = options.skip ?? [];
  const last = options.last ?? [];
  const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true });
  addFormats.default(ajv);
  ajv.addSchema(doc, 'doc');
  const knownIds = new Set<string>();
  const findings: Finding[] = [];
  const statuses = new Map<number, number>();
  let sent = 0;

  function resolve(ref: string): Schema {
    const parts = ref
      .replace(/^#\//, '')
      .split('/')
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    let node: unknown = doc;
    for (const p of parts) node = isObject(node) ? node[p] : undefined;
    return isObject(node) ? node : {};
  }

  function operations(): Operation[] {
    const list: Operation[] = [];
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      if (!isObject(item) || skip.some((r) => r.test(path))) continue;
      for (const method of METHODS) {
        const op = item[method];
        if (!isObject(op)) continue;
        const parameters = [
          ...((item.parameters as Parameter[]) ?? []),
          ...((op.parameters as Parameter[]) ?? []),
        ];
        let body: Operation['body'];
        const content =
          isObject(op.requestBody) && isObject(op.requestBody.content) ? op.requestBody.content : undefined;
        if (content) {
          const [type, media] = Object.entries(content)[0] ?? [];
          if (type && isObject(media)) body = { type, schema: (media.schema as Schema) ?? {} };
        }
        list.push({
          method,
          path,
          pointer: `doc#/${pointer('paths', path, method)}`,
          parameters,
          ...(body ? { body } : {}),
          responses: (op.responses as Json) ?? {},
        });
      }
    }
    const rank = (o: Operation) => (o.method !== 'get' && last.some((r) => r.test(o.path)) ? 1 : 0);
    return list.sort((a, b) => rank(a) - rank(b));
  }

  const ctx: GeneratorContext = { resolve: (ref) => resolve(ref), uuids: () => [...knownIds] };

  /** One request for the operation: each field valid or hostile, each optional one maybe absent. */
  function requestArbitrary(op: Operation): fc.Arbitrary<{ values: Map<Parameter, unknown>; body: unknown }> {
    const fields = op.parameters.map((p) => {
      const schema = p.schema ?? {};
      const value = fc.oneof(
        { weight: 3, arbitrary: valid(schema, ctx) },
        { weight: 2, arbitrary: hostile(schema, ctx) },
      );
      return p.required
        ? value.map((v) => [p, v] as const)
        : fc.option(
            value.map((v) => [p, v] as const),
            { nil: undefined },
          );
    });
    const body = op.body
      ? fc.oneof(
          { weight: 3, arbitrary: valid(op.body.schema, ctx) },
          { weight: 2, arbitrary: hostile(op.body.schema, ctx) },
        )
      : fc.constant(undefined);
    return fc.tuple(fc.tuple(...fields), body).map(([pairs, b]) => ({
      values: new Map(pairs.filter((x): x is readonly [Parameter, unknown] => x !== undefined)),
      body: b,
    }));
  }

  function build(op: Operation, values: Map<Parameter, unknown>, body: unknown, token: string | null): Sent {
    let path = op.path;
    const query: string[] = [];
    const headers: Record<string, string> = {};
    for (const [p, v] of values) {
      if (p.in === 'path') {
        const text = asText(v);
        path = path.replace(`{${p.name}}`, text === '' ? '%20' : encode(text));
      } else if (p.in === 'query') {
        for (const item of Array.isArray(v) ? v : [v])
          query.push(`${encode(p.name)}=${encode(asText(item))}`);
      } else if (p.in === 'header') headers[p.name] = headerSafe(asText(v));
    }
    // A required path parameter the generator left out still needs a segment.
    path = path.replace(/\{[^}]+\}/g, () => encode(fc.sample(fc.uuid(), { numRuns: 1, seed })[0]!));
    if (token) headers.authorization = `Bearer ${token}`;
    const sentRequest: Sent = {
      method: op.method.toUpperCase(),
      url: `${path}${query.length ? `?${query.join('&')}` : ''}`,
      headers,
    };
    if (op.body) {
      headers['content-type'] = op.body.type;
      sentRequest.body = op.body.type.includes('json') ? toJson(body) : asText(body);
    }
    return sentRequest;
  }

  const validators = new Map<string, ValidateFunction>();
  function validatorFor(ref: string): ValidateFunction {
    let v = validators.get(ref);
    if (!v) {
      v = ajv.compile({ $ref: ref });
      validators.set(ref, v);
    }
    return v;
  }

  /** What is wrong with the answer, or null. */
  async function check(op: Operation, res: Response, ms: number): Promise<string | null> {
    const text = await res.text();
    if (res.status >= 500) return `answered ${res.status}: ${text.slice(0, 300)}`;
    if (ms > slowMs) return `answered after ${ms} ms`;
    const status = String(res.status);
    const key =
      status in op.responses ? status : `${status[0]}XX` in op.responses ? `${status[0]}XX` : 'default';
    const response = op.responses[key];
    if (!isObject(response)) return `answered ${status}, which the document does not declare`;
    const content = isObject(response.content) ? response.content : undefined;
    if (!content || text === '') return null;
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const media = content[type] ?? (type.endsWith('json') ? undefined : null);
    if (media === null) return null; // a non-JSON body (a file, a redirect page): its bytes are not a schema matter
    if (!isObject(media))
      return `answered ${status} as ${type || 'no content type'}; the document declares ${Object.keys(content).join(', ')}`;
    if (!isObject(media.schema)) return null;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return `answered ${status} as ${type} with a body that is not JSON: ${text.slice(0, 200)}`;
    }
    harvest(body);
    const validate = validatorFor(`${op.pointer}/${pointer('responses', key, 'content', type, 'schema')}`);
    if (!validate(body))
      return `answered ${status} with a body that does not match its schema: ${ajv.errorsText(validate.errors)}; body ${text.slice(0, 300)}`;
    const listed = response['x-error-codes'];
    const code = isObject(body) ? body.code : undefined;
    if (Array.isArray(listed) && typeof code === 'string' && !listed.includes(code))
      return `answered ${status} ${code}, a code the document does not list for it (${listed.join(', ')})`;
    return null;
  }

  function harvest(body: unknown): void {
    const stack: unknown[] = [body];
    while (stack.length > 0 && knownIds.size < 200) {
      const v = stack.pop();
      if (typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v))
        knownIds.add(v);
      else if (Array.isArray(v)) stack.push(...(v as unknown[]).slice(0, 20));
      else if (isObject(v)) stack.push(...Object.values(v));
    }
  }

  async function send(request: Sent): Promise<{ res: Response; ms: number }> {
    const t0 = performance.now();
    const res = await fetch(`${base}${request.url}`, {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
    sent += 1;
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    return { res, ms: Math.round(performance.now() - t0) };
  }

  return {
    findings,
    get sent() {
      return sent;
    },
    statuses,
    harvest,
    operations,
    async run(callers) {
      let index = 0;
      for (const op of operations()) {
        for (const caller of callers) {
          const samples = fc.sample(requestArbitrary(op), { numRuns: runs, seed: seed + index++ });
          for (const sample of samples) {
            const request = build(op, sample.values, sample.body, caller.token());
            let { res, ms } = await send(request);
            if (ms > slowMs && res.status < 500) {
              await res.arrayBuffer();
              ({ res, ms } = await send(request));
            }
            if (res.status === 401 && caller.renew) await caller.renew();
            const problem = await check(op, res, ms);
            if (problem)
              findings.push({
                operation: `${op.method.toUpperCase()} ${op.path}`,
                caller: caller.name,
                request,
                problem,
              });
          }
        }
      }
    },
    report(limit = 40) {
      return findings
        .slice(0, limit)
        .map(
          (f) =>
            `${f.operation} (${f.caller}): ${f.problem}\n    ${f.request.method} ${f.request.url}${f.request.body ? `\n    body ${f.request.body.slice(0, 300)}` : ''}`,
        )
        .join('\n');
    },
  };
}
