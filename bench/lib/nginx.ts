/**
 * nginx serving a folder statically (sendfile, keep-alive), from a config generated into a temp
 * prefix as test/deploy does, run in the foreground as this process's child: the reference the
 * product's own file serving is compared with.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { preparePrefix } from '../../scripts/nginx-conf.mjs';
import { freePort } from '../../test/helpers/server-process.js';
import type { Server } from './server.js';
import { cpuSecondsOf, rssOf } from './server.js';

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

/** nginx with `workers` worker processes serving `rootDir` at `/`; throws when nginx is missing. */
export async function startStaticNginx(rootDir: string, workers: number): Promise<Server> {
  if (!NGINX) throw new Error('nginx is not installed (apt-get install nginx)');
  const prefix = mkdtempSync(path.join(tmpdir(), 'kino-bench-nginx-'));
  preparePrefix(prefix);
  const port = await freePort();
  const temp = (name: string) => `${prefix}/temp/${name}`;
  const conf = [
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    `worker_processes ${workers};`,
    'daemon off;',
    `pid ${prefix}/nginx.pid;`,
    `error_log ${prefix}/error.log warn;`,
    'events { worker_connections 4096; }',
    'http {',
    '    default_type application/octet-stream;',
    '    types { video/iso.segment m4s; video/mp4 mp4; application/vnd.apple.mpegurl m3u8; }',
    '    sendfile on;',
    '    tcp_nopush on;',
    '    tcp_nodelay on;',
    '    access_log off;',
    '    keepalive_requests 1000000;',
    `    client_body_temp_path ${temp('client_body')};`,
    `    proxy_temp_path ${temp('proxy')};`,
    `    fastcgi_temp_path ${temp('fastcgi')};`,
    `    uwsgi_temp_path ${temp('uwsgi')};`,
    `    scgi_temp_path ${temp('scgi')};`,
    '    server {',
    `        listen 127.0.0.1:${port};`,
    `        root ${rootDir};`,
    '        location = /nginx-health { return 200; }',
    "        location / { add_header Cache-Control 'public, max-age=31536000, immutable'; }",
    '    }',
    '}',
    '',
  ].join('\n');
  writeFileSync(path.join(prefix, 'nginx.conf'), conf);
  const child = spawn(NGINX, ['-p', prefix, '-e', path.join(prefix, 'error.log'), '-c', 'nginx.conf'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-5_000)));
  const base = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${err}`);
    const ok = await fetch(`${base}/nginx-health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() - t0 > 30_000) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not answer within 30 s: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    base,
    pid: child.pid!,
    readyMs: Date.now() - t0,
    // The master and its workers, which do the serving.
    rssMb: () => withWorkers(child.pid!).reduce((sum, pid) => sum + rssOf(pid), 0),
    cpuSeconds: () => withWorkers(child.pid!).reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
    stderr: () => err,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(prefix, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        // QUIT: a graceful stop of the master and its workers.
        child.kill('SIGQUIT');
      }),
  };
}

/** The process and its children (nginx's workers), from /proc. */
function withWorkers(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return [pid, ...(children ? children.split(/\s+/).map(Number) : [])];
  } catch {
    return [pid];
  }
}
