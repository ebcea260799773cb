import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, STATUS_TITLES, type FieldError } from '../errors.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: FieldError[];
}

/** Fastify's own 4xx errors, mapped to stable codes. */
const FASTIFY_CODES: Record<string, { status: number; code: string; detail?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    code: 'INVALID_JSON',
    detail: 'The request body is not valid JSON.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'INVALID_JSON',
    detail: 'The request body is empty but its type is JSON.',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'BODY_TOO_LARGE',
    detail: 'The request body is larger than this endpoint accepts.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: 'The request body has a media type this endpoint does not accept.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'INVALID_CONTENT_LENGTH' },
  FST_ERR_INVALID_URL: { status: 400, code: 'INVALID_URL' },
  FST_ERR_BAD_URL: { status: 400, code: 'INVALID_URL', detail: 'The request path is not valid.' },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 414,
    code: 'URI_TOO_LONG',
    detail: 'A path parameter is longer than this API accepts.',
  },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'BAD_REQUEST' },
};

const problemType = (code: string) =>
  `https://kinoservice.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`;

export function problem(
  status: number,
  code: string,
  detail: string,
  extra: { errors?: readonly FieldError[]; instance?: string } = {},
): Problem {
  return {
    type: problemType(code),
    title: STATUS_TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...(extra.instance ? { instance: extra.instance } : {}),
    ...(extra.errors ? { errors: [...extra.errors] } : {}),
  };
}

function validationErrors(error: FastifyError): FieldError[] {
  return (error.validation ?? []).map((v) => {
    const params: Record<string, unknown> = v.params;
    const base = v.instancePath || '';
    const field =
      typeof params.missingProperty === 'string'
        ? `${base}/${params.missingProperty}`
        : typeof params.additionalProperty === 'string'
          ? `${base}/${params.additionalProperty}`
          : base || '/';
    const where = error.validationContext ?? 'request';
    return { field: `${where}${field}`, message: v.message ?? 'is invalid' };
  });
}

const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  '57P01',
  '57P03',
  '08006',
  '08001',
]);

/** Turns any error into a problem; `log` says how loud the log line should be. */
export function toProblem(
  error: unknown,
  request: FastifyRequest,
): { problem: Problem; headers: Record<string, string>; log: 'info' | 'warn' | 'error' } {
  if (error instanceof AppError) {
    return {
      problem: problem(error.status, error.code, error.message, {
        ...(error.errors ? { errors: error.errors } : {}),
      }),
      headers: { ...(error.headers ?? {}) },
      log: error.status >= 500 ? 'error' : 'info',
    };
  }
  const fe = error as FastifyError;
  if (fe && fe.validation) {
    const errors = validationErrors(fe);
    return {
      problem: problem(
        400,
        'VALIDATION_FAILED',
        errors.map((e) => `${e.field} ${e.message}`).join('; ') || 'The request is invalid.',
        { errors },
      ),
      headers: {},
      log: 'info',
    };
  }
  const known = fe?.code ? FASTIFY_CODES[fe.code] : undefined;
  if (known) {
    return {
      problem: problem(known.status, known.code, known.detail ?? fe.message),
      headers: {},
      log: 'info',
    };
  }
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { problem: problem(fe.statusCode, 'BAD_REQUEST', fe.message), headers: {}, log: 'info' };
  }
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && UNAVAILABLE.has(code)) {
    return {
      problem: problem(
        503,
        'DEPENDENCY_UNAVAILABLE',
        'A service this request needs is not available. Try again shortly.',
      ),
      headers: { 'retry-after': '5' },
      log: 'error',
    };
  }
  void request;
  return {
    problem: problem(
      500,
      'INTERNAL_ERROR',
      'Something went wrong on our side. The request id identifies it in our logs.',
    ),
    headers: {},
    log: 'error',
  };
}

export function sendProblem(
  reply: FastifyReply,
  p: Problem,
  headers: Record<string, string> = {},
): FastifyReply {
  return reply.code(p.status).headers(headers).type('application/problem+json; charset=utf-8').send(p);
}
