/**
 * The Content-Security-Policy of the API docs (/api/docs, Swagger UI). It is as strict as the rest
 * of the product (scripts and styles from this origin only) with one exception: Swagger UI renders
 * its logo as an SVG holding a `<style>` element, which a strict `style-src` blocks. Rather than
 * allow every inline style, the policy lists the SHA-256 of each style text the shipped bundles
 * create, read from the installed files at start-up, so an upgrade of Swagger UI keeps working
 * without anyone copying hashes by hand.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const BUNDLES = [
  '@fastify/swagger-ui/static/swagger-ui-bundle.js',
  '@fastify/swagger-ui/static/swagger-ui-standalone-preset.js',
];

/** `createElement("style", null, "<css>")` with a plain string literal as its only child. */
const INLINE_STYLE = /createElement\("style",null,("(?:[^"\\]|\\.)*")\)/g;

/** The CSP hash sources of the style texts the Swagger UI bundles insert. */
export function swaggerStyleHashes(): string[] {
  const require = createRequire(import.meta.url);
  const hashes = new Set<string>();
  for (const bundle of BUNDLES) {
    const source = readFileSync(require.resolve(bundle), 'utf8');
    for (const match of source.matchAll(INLINE_STYLE)) {
      const css = JSON.parse(match[1]!) as string;
      hashes.add(`'sha256-${createHash('sha256').update(css).digest('base64')}'`);
    }
  }
  return [...hashes].sort();
}

/** The whole policy for the docs routes. */
export function docsContentSecurityPolicy(): string {
  return [
    "default-src 'self'",
    "base-uri 'self'",
    "object-src 'none'",
    "frame-ancestors 'self'",
    "form-action 'self'",
    "script-src 'self'",
    "script-src-attr 'none'",
    `style-src 'self' ${swaggerStyleHashes().join(' ')}`.trim(),
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
  ].join('; ');
}
