// Builds the server (TypeScript → dist/, SQL migrations copied beside it) and, when present,
// the admin web app (web/ → web/dist/). Runs on `npm install` (prepare) and `npm run build`.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const step = (label) => process.stderr.write(`build: ${label}\n`);

step('server (tsc)');
execFileSync(
  process.execPath,
  [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')],
  {
    stdio: 'inherit',
    cwd: root,
  },
);

// Non-TypeScript assets that live beside the code (migrations, templates, word lists).
const ASSETS = /\.(sql|txt|liquid|html|json)$/;
function copyAssets(dir) {
  for (const name of readdirSync(dir)) {
    const from = path.join(dir, name);
    if (statSync(from).isDirectory()) copyAssets(from);
    else if (ASSETS.test(name))
      cpSync(from, path.join(root, 'dist', path.relative(path.join(root, 'src'), from)));
  }
}
copyAssets(path.join(root, 'src'));

const web = path.join(root, 'web');
if (existsSync(path.join(web, 'package.json')) && process.env.KINO_SKIP_WEB !== '1') {
  step('admin web app (vite)');
  execFileSync(process.execPath, [path.join(root, 'scripts/build-web.mjs')], { stdio: 'inherit', cwd: root });
}
step('done');
