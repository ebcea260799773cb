// Records the checksum of every migration file in migrations.lock.json. A test refuses a change
// to a recorded file (migrations are forward-only); run this after adding a new migration.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

export function migrationChecksums() {
  const out = {};
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.sql') && full.split(path.sep).includes('migrations')) {
        const text = readFileSync(full, 'utf8').replace(/\r\n/g, '\n');
        out[path.relative(root, full).split(path.sep).join('/')] = createHash('sha256')
          .update(text)
          .digest('hex');
      }
    }
  };
  walk(path.join(root, 'src'));
  return out;
}

if (process.argv[1] === import.meta.filename) {
  writeFileSync(
    path.join(root, 'migrations.lock.json'),
    JSON.stringify(migrationChecksums(), null, 2) + '\n',
  );
  process.stderr.write('migrations.lock.json updated\n');
}
