/**
 * One error type for the whole product. A thrown `AppError` becomes an
 * `application/problem+json` response with its `status` and stable `code`; anything else becomes a
 * generic 500 whose cause only reaches the log.
 */
export interface FieldError {
  /** JSON pointer-ish path of the offending field, e.g. `/page_size`. */
  readonly field: string;
  readonly message: string;
}

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: readonly FieldError[] | undefined;
  /** Extra headers for the response (e.g. Retry-After). */
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { errors?: readonly FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.errors = options.errors;
    this.headers = options.headers;
  }
}

/** One code of an error catalogue: the HTTP status it answers with and its one message. */
export interface ErrorSpec {
  readonly status: number;
  readonly message: string;
}

/** What a throw site may add to its code's error. */
export interface ErrorDetails {
  /**
   * Replaces the catalogue message when the answer names the value at fault (which permission is
   * missing, which category is unknown). Never for ids the caller sent: the message covers those.
   */
  readonly detail?: string;
  /** Field errors, for a 400 whose fields can be named. */
  readonly errors?: readonly FieldError[];
  /** Extra response headers (e.g. Content-Range). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Seconds until a retry may succeed; becomes Retry-After (rounded up, at least 1). */
  readonly retryAfterSeconds?: number;
  /** The error behind this one; it reaches the log, never the response. */
  readonly cause?: unknown;
}

/** Makes the error of one catalogue code; it also tells its code, status and message. */
export interface ErrorFactory<C extends string = string> {
  (details?: ErrorDetails): AppError;
  readonly code: C;
  readonly status: number;
  readonly message: string;
}

/** A module's error catalogue: one factory per code, so a code not in it does not compile. */
export type ErrorCatalogue<S extends Record<string, ErrorSpec>> = {
  readonly [C in keyof S & string]: ErrorFactory<C>;
};

/** The codes of a catalogue, as a string-literal union. */
export type ErrorCode<T> = T extends ErrorCatalogue<infer S> ? keyof S & string : never;

/**
 * Declares a module's error codes once: each with its status and one message. Throw sites name a
 * code (`throw catalogErrors.FILM_NOT_FOUND()`); routes list the codes they may answer in their
 * schema (`'x-errors'`), and the OpenAPI document names them under each error status.
 * A 401 always tells how to authenticate (`WWW-Authenticate: Bearer`).
 */
export function defineErrors<const S extends Record<string, ErrorSpec>>(specs: S): ErrorCatalogue<S> {
  const catalogue: Record<string, ErrorFactory> = {};
  for (const [code, { status, message }] of Object.entries(specs)) {
    const make = (details: ErrorDetails = {}): AppError => {
      const headers: Record<string, string> = {
        ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
        ...(details.retryAfterSeconds !== undefined
          ? { 'retry-after': String(Math.max(1, Math.ceil(details.retryAfterSeconds))) }
          : {}),
        ...details.headers,
      };
      return new AppError(status, code, details.detail ?? message, {
        ...(details.errors ? { errors: details.errors } : {}),
        ...(Object.keys(headers).length > 0 ? { headers } : {}),
        ...(details.cause !== undefined ? { cause: details.cause } : {}),
      });
    };
    catalogue[code] = Object.assign(make, { code, status, message });
  }
  return Object.freeze(catalogue) as ErrorCatalogue<S>;
}

/**
 * The codes the platform answers on any route: a request the HTTP kernel refuses, input that fails
 * the schema, a missing or bad token, a missing permission, a rate limit, a dependency that is down.
 */
export const platformErrors = defineErrors({
  BAD_REQUEST: { status: 400, message: 'The request is not valid HTTP.' },
  INVALID_URL: { status: 400, message: 'The request path is not valid.' },
  INVALID_CONTENT_LENGTH: { status: 400, message: 'The Content-Length header is not valid.' },
  INVALID_JSON: { status: 400, message: 'The request body is not valid JSON.' },
  VALIDATION_FAILED: { status: 400, message: 'The input is not valid.' },
  AUTHENTICATION_REQUIRED: { status: 401, message: 'Log in to do this.' },
  TOKEN_MALFORMED: { status: 401, message: 'The Authorization header must be "Bearer <access token>".' },
  TOKEN_INVALID: { status: 401, message: 'The access token is not valid.' },
  TOKEN_WRONG_TYPE: { status: 401, message: 'This is not an access token.' },
  TOKEN_EXPIRED: { status: 401, message: 'The access token has expired; refresh it.' },
  TOKEN_REVOKED: { status: 401, message: 'This session has ended; log in again.' },
  TOKEN_UNVERIFIABLE: { status: 401, message: 'This service cannot verify access tokens yet.' },
  PERMISSION_DENIED: { status: 403, message: 'You do not have the permission to do this.' },
  ROUTE_NOT_FOUND: { status: 404, message: 'There is no such route.' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request was not received in time.' },
  BODY_TOO_LARGE: { status: 413, message: 'The request body is larger than this endpoint accepts.' },
  URI_TOO_LONG: { status: 414, message: 'A path parameter is longer than this API accepts.' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'The request body has a media type this endpoint does not accept.',
  },
  RATE_LIMITED: { status: 429, message: 'Too many requests; slow down.' },
  HEADERS_TOO_LARGE: {
    status: 431,
    message: 'The request line or headers are larger than this server accepts.',
  },
  INTERNAL_ERROR: {
    status: 500,
    message: 'Something went wrong on our side. The request id identifies it in our logs.',
  },
  DEPENDENCY_UNAVAILABLE: {
    status: 503,
    message: 'A service this request needs is not available. Try again shortly.',
  },
  AUTH_KEYS_UNAVAILABLE: { status: 503, message: 'Access tokens cannot be checked right now.' },
});

/** The codes of every route that takes a token: why a token is refused. */
export const tokenErrors = [
  platformErrors.AUTHENTICATION_REQUIRED,
  platformErrors.TOKEN_MALFORMED,
  platformErrors.TOKEN_INVALID,
  platformErrors.TOKEN_WRONG_TYPE,
  platformErrors.TOKEN_EXPIRED,
  platformErrors.TOKEN_REVOKED,
] as const;

/** Titles for the problem+json `title` field. */
export const STATUS_TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};
