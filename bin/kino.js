#!/usr/bin/env node
// The `kino` command: runs the compiled CLI (npm install builds it into dist/).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/runtime/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('kino: the build is missing (dist/). Run `npm install` or `npm run build` first.\n');
  process.exit(1);
}
await import(cli.href);
