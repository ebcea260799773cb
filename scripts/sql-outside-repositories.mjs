// Prints how many SQL statements each source file outside the repositories holds, and the total
// (the lint rule kino/sql-in-repositories fails on each of them). Counts every file, including
// those the lint configuration still exempts. Usage: node scripts/sql-outside-repositories.mjs
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import kino from './lint/plugin.mjs';

const root = path.resolve(import.meta.dirname, '..');

/** Files where SQL belongs: repositories, the sql engine adapters, tests. */
export function mayHoldSql(file) {
  return (
    file.endsWith('.repository.ts') || file.startsWith('src/adapters/sql/') || /\.test\.[cm]?ts$/.test(file)
  );
}

function sourceFiles(dir) {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(file);
    return /\.[cm]?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [file] : [];
  });
}

export function countSqlOutsideRepositories() {
  const linter = new Linter({ configType: 'flat' });
  const config = [
    {
      files: ['**/*.ts', '**/*.mts', '**/*.cts'],
      languageOptions: { parser: tseslint.parser },
      plugins: { kino },
      rules: { 'kino/sql-in-repositories': 'error' },
    },
  ];
  const counts = new Map();
  for (const file of sourceFiles('src')
    .filter((f) => !mayHoldSql(f))
    .sort()) {
    const messages = linter.verify(readFileSync(path.join(root, file), 'utf8'), config, file);
    const fatal = messages.find((m) => m.fatal);
    const sql = messages.filter((m) => m.ruleId === 'kino/sql-in-repositories');
    if (fatal) throw new Error(`${file}: ${fatal.message}`);
    if (sql.length > 0) counts.set(file, sql.length);
  }
  return counts;
}

if (process.argv[1] === import.meta.filename) {
  const counts = countSqlOutsideRepositories();
  let total = 0;
  for (const [file, n] of [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
    console.log(`${String(n).padStart(4)}  ${file}`);
    total += n;
  }
  console.log(`${String(total).padStart(4)}  total in ${counts.size} file(s)`);
}
