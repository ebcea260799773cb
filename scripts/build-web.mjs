// Builds the admin panel (web/ → web/dist/) with Vite. Called by scripts/build.mjs, so it runs on
// `npm install` (prepare) and `npm run build`; the server serves web/dist at /admin.
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const web = path.join(root, 'web');
const { build } = await import('vite');
await build({ root: web, configFile: path.join(web, 'vite.config.ts'), logLevel: 'warn' });
process.stderr.write(`build: admin web app written to ${path.relative(root, path.join(web, 'dist'))}\n`);
