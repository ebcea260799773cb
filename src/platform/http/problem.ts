import type { FastifyError, FastifyReply } from 'fastify';
import { AppError, platformErrors, STATUS_TITLES, type ErrorFactory, type FieldError } from '../errors.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: FieldError[];
}

/**
 * Fastify's own 4xx errors, mapped to platform codes. `detail: 'fastify'` answers Fastify's own
 * message; a string replaces the code's message.
 */
const FASTIFY_CODES: Record<string, { error: ErrorFactory; detail?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { error: platformErrors.INVALID_JSON },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    error: platformErrors.INVALID_JSON,
    detail: 'The request body is empty but its type is JSON.',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { error: platformErrors.BODY_TOO_LARGE },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { error: platformErrors.UNSUPPORTED_MEDIA_TYPE },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { error: platformErrors.INVALID_CONTENT_LENGTH, detail: 'fastify' },
  FST_ERR_INVALID_URL: { error: platformErrors.INVALID_URL, detail: 'fastify' },
  FST_ERR_BAD_URL: { error: platformErrors.INVALID_URL },
  FST_ERR_MAX_PARAM_LENGTH: { error: platformErrors.URI_TOO_LONG },
  FST_ERR_ASYNC_CONSTRAINT: { error: platformErrors.BAD_REQUEST, detail: 'fastify' },
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

/**
 * The problem of a catalogue code (or of an error made from one), for answers written outside the
 * error handler.
 */
export function problemOf(
  error: ErrorFactory | AppError,
  extra: { detail?: string; instance?: string } = {},
): Problem {
  return problem(error.status, error.code, extra.detail ?? error.message, {
    ...(extra.instance !== undefined ? { instance: extra.instance } : {}),
    ...(error instanceof AppError && error.errors ? { errors: error.errors } : {}),
  });
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
export function toProblem(error: unknown): {
  problem: Problem;
  headers: Record<string, string>;
  log: 'info' | 'warn' | 'error';
} {
  if (error instanceof AppError) {
    return {
      problem: problemOf(error),
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
        platformErrors.VALIDATION_FAILED.code,
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
      problem: problemOf(known.error, { detail: known.detail === 'fastify' ? fe.message : known.detail }),
      headers: {},
      log: 'info',
    };
  }
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return {
      problem: problem(fe.statusCode, platformErrors.BAD_REQUEST.code, fe.message),
      headers: {},
      log: 'info',
    };
  }
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && UNAVAILABLE.has(code)) {
    return {
      problem: problemOf(platformErrors.DEPENDENCY_UNAVAILABLE),
      headers: { 'retry-after': '5' },
      log: 'error',
    };
  }
  return {
    problem: problemOf(platformErrors.INTERNAL_ERROR),
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
