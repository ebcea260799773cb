/** The README stays true to the code: every configuration variable is documented. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SPEC } from '../../src/platform/config.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');

describe('documentation', () => {
  it.each(Object.values(SPEC).map((s) => s.env))('%s is documented in .env.example', (env) => {
    expect(example).toContain(`# ${env}=`);
  });

  it('README gives the two first commands', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });
});
