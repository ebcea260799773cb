import { describe, expect, it } from 'vitest';
import { AppError, defineErrors, type ErrorCode } from './errors.js';

const errors = defineErrors({
  THING_NOT_FOUND: { status: 404, message: 'There is no thing with this id.' },
  LOGIN_NEEDED: { status: 401, message: 'Log in first.' },
  SLOW_DOWN: { status: 429, message: 'Too many things.' },
});

describe('defineErrors', () => {
  it('makes each code an AppError with its status and its one message', () => {
    const error = errors.THING_NOT_FOUND();
    expect(error).toBeInstanceOf(AppError);
    expect([error.status, error.code, error.message]).toEqual([
      404,
      'THING_NOT_FOUND',
      'There is no thing with this id.',
    ]);
    expect(error.headers).toBeUndefined();
    const { code, status, message } = errors.THING_NOT_FOUND;
    expect({ code, status, message }).toEqual({
      code: 'THING_NOT_FOUND',
      status: 404,
      message: error.message,
    });
  });

  it('takes a detail, field errors, headers and a cause from the throw site', () => {
    const cause = new Error('db down');
    const error = errors.THING_NOT_FOUND({
      detail: 'The thing 7 is gone.',
      errors: [{ field: '/id', message: 'unknown' }],
      headers: { 'x-why': 'gone' },
      cause,
    });
    expect(error.message).toBe('The thing 7 is gone.');
    expect(error.errors).toEqual([{ field: '/id', message: 'unknown' }]);
    expect(error.headers).toEqual({ 'x-why': 'gone' });
    expect(error.cause).toBe(cause);
  });

  it('says how to authenticate on a 401 and rounds Retry-After up to whole seconds', () => {
    expect(errors.LOGIN_NEEDED().headers).toEqual({ 'www-authenticate': 'Bearer' });
    expect(errors.SLOW_DOWN({ retryAfterSeconds: 2.1 }).headers).toEqual({ 'retry-after': '3' });
    expect(errors.SLOW_DOWN({ retryAfterSeconds: 0 }).headers).toEqual({ 'retry-after': '1' });
  });

  it('types the codes as a union, so a code not in the catalogue does not compile', () => {
    const code: ErrorCode<typeof errors> = 'SLOW_DOWN';
    // @ts-expect-error: not a code of this catalogue
    const other: ErrorCode<typeof errors> = 'FILM_NOT_FOUND';
    // @ts-expect-error: not a code of this catalogue
    const missing: unknown = errors.FILM_NOT_FOUND;
    expect(missing).toBeUndefined();
    expect([code, other]).toEqual(['SLOW_DOWN', 'FILM_NOT_FOUND']);
    expect(Object.isFrozen(errors)).toBe(true);
  });
});
