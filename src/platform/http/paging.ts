/**
 * The paging parameters of every list route, in one place. Both are bounded: an unbounded
 * `page_number` (1e309 coerces to Infinity, 9223372036854775808 to a number past int64) reached
 * the database as an OFFSET it refused, and answered 500 instead of 400.
 */
import { Type } from '@sinclair/typebox';

/**
 * The largest page number accepted. A page past the end is still an empty list (the Practicum
 * contract); the bound only keeps the OFFSET, (page_number - 1) × page_size, an exact integer
 * well inside PostgreSQL's bigint.
 */
export const MAX_PAGE_NUMBER = 1_000_000_000;

export interface PageSizeOptions {
  /** Largest page (default 100). */
  max?: number;
  /** Page size when the parameter is absent; `null` for none (the route decides). */
  default?: number | null;
}

export function pageNumberSchema(options: { default?: number | null } = {}) {
  const fallback = options.default === undefined ? 1 : options.default;
  return Type.Integer({
    minimum: 1,
    maximum: MAX_PAGE_NUMBER,
    ...(fallback === null ? {} : { default: fallback }),
    description: `Page number, from 1 (at most ${MAX_PAGE_NUMBER}).`,
  });
}

export function pageSizeSchema(options: PageSizeOptions = {}) {
  const max = options.max ?? 100;
  const fallback = options.default === undefined ? 50 : options.default;
  return Type.Integer({
    minimum: 1,
    maximum: max,
    ...(fallback === null ? {} : { default: fallback }),
    description: `Items per page (1..${max}).`,
  });
}

/** `page_number` and `page_size` properties, to spread into a query schema. */
export function pagingFields(options: PageSizeOptions & { numberDefault?: number | null } = {}) {
  return {
    page_number: pageNumberSchema({ default: options.numberDefault }),
    page_size: pageSizeSchema(options),
  };
}

/** A `sort` parameter: one of `columns`, a leading minus for descending. */
export function sortSchema(columns: readonly string[]) {
  return Type.Union(
    columns.flatMap((c) => [Type.Literal(c), Type.Literal(`-${c}`)]),
    { description: 'Column to sort by; a leading minus sorts descending.' },
  );
}
