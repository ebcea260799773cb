/**
 * The distributed shape end to end on this machine's PostgreSQL, Redis and NATS: every service as
 * its own process (auth and catalog twice, the transcode worker twice) behind nginx, blobs in an S3
 * server (s3rver), a PAID film's video packaged by a transcode worker process and played by a
 * subscriber through nginx (and its cache), then the fault behaviour of
 * docs/operations.md — a catalog replica killed under load, NATS stopped while events are
 * posted, Redis stopped while the catalog and auth answer.
 *
 * Runs only with DISTRIBUTED_E2E=1 and DATABASE_URL, REDIS_URL and NATS_URL set: it stops and
 * starts the machine's nats-server and redis-server, so nothing else may use them meanwhile —
 * or with DISTRIBUTED_PRIVATE_ENGINES=1 (instead of REDIS_URL and NATS_URL) on private ones.
 * Ports DISTRIBUTED_BASE_PORT (default 18110) and the following 31 are used; DISTRIBUTED_FAULTS=0
 * runs only the boot checks, DISTRIBUTED_KEEP_LOGS=1 keeps the processes' logs.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { createMediaEngine } from '../../src/modules/files/media/media.engine.js';
import { eventually } from '../helpers/engines.js';
import { multipart } from '../helpers/files.js';
import { NGINX, startCluster, waitForOk, type Cluster } from './harness.js';

const exec = promisify(execFile);

const enabled =
  process.env.DISTRIBUTED_E2E === '1' &&
  Boolean(
    process.env.DATABASE_URL &&
    NGINX &&
    (process.env.DISTRIBUTED_PRIVATE_ENGINES === '1' || (process.env.REDIS_URL && process.env.NATS_URL)),
  );

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Results worth reading in the CI log, printed once at the end. */
const figures: string[] = [];

describe.skipIf(!enabled)('distributed shape', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    const started = Date.now();
    cluster = await startCluster();
    figures.push(`cluster booted in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 240_000);

  afterAll(async () => {
    // Restarts the machine's engines if a test left them stopped.
    await cluster?.close();
    if (figures.length > 0) process.stdout.write(`\ndistributed figures:\n  ${figures.join('\n  ')}\n`);
  }, 60_000);

  /** Skips a test whose routes are not in this build yet (a module still to land). */
  async function requireRoute(ctx: TestContext, method: string, path: string): Promise<void> {
    const response = await fetch(`${cluster.url}${path}`, { method });
    if (response.status === 404) {
      const body = (await response.json().catch(() => ({}))) as { code?: string };
      if (body.code === 'ROUTE_NOT_FOUND') ctx.skip(`${method} ${path} is not served by this build`);
    }
  }

  describe('boot', () => {
    it.each(['auth', 'catalog', 'ugc', 'files', 'notifications', 'admin'])(
      '%s answers /health through nginx',
      async (service) => {
        const response = await fetch(`${cluster.url}/_health/${service}`);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ status: 'ok' });
      },
    );

    it('every process (workers included) answers /health and /ready, and serves metrics on its metrics port only', async () => {
      expect((await fetch(`${cluster.url}/metrics`)).status, 'through nginx').toBe(404);
      for (const p of cluster.processes.values()) {
        const health = await fetch(`${p.url}/health`);
        expect(health.status, p.spec.name).toBe(200);
        const ready = await fetch(`${p.url}/ready`);
        expect(ready.status, `${p.spec.name}: ${await ready.clone().text()}`).toBe(200);
        expect((await fetch(`${p.url}/metrics`)).status, p.spec.name).toBe(404);
        const metrics = await (await fetch(p.metricsUrl)).text();
        expect(metrics, p.spec.name).toContain('nodejs_eventloop_lag_p99_seconds');
        expect(metrics, p.spec.name).toContain('kino_outbox_backlog');
      }
    });

    it('nginx passes the request id through to the services', async () => {
      const response = await fetch(`${cluster.url}/api/v1/nothing-here`, {
        headers: { 'x-request-id': 'dist-e2e-request-1' },
      });
      expect(response.status).toBe(404);
      expect(response.headers.get('x-request-id')).toBe('dist-e2e-request-1');
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    });

    it('both replicas of catalog and auth take traffic', async () => {
      // Each replica's own request counter grows when requests go through nginx.
      const count = async (name: string) => {
        const text = await (await fetch(cluster.processes.get(name)!.metricsUrl)).text();
        return [
          ...text.matchAll(/^http_request_duration_seconds_count\{[^}]*route="\/health"[^}]*\} (\d+)/gm),
        ]
          .map((m) => Number(m[1]))
          .reduce((a, b) => a + b, 0);
      };
      const before = await Promise.all(['catalog-1', 'catalog-2', 'auth-1', 'auth-2'].map(count));
      for (let i = 0; i < 20; i++) {
        await fetch(`${cluster.url}/_health/catalog`);
        await fetch(`${cluster.url}/_health/auth`);
      }
      const after = await Promise.all(['catalog-1', 'catalog-2', 'auth-1', 'auth-2'].map(count));
      after.forEach((n, i) =>
        expect(n, ['catalog-1', 'catalog-2', 'auth-1', 'auth-2'][i]).toBeGreaterThan(before[i]!),
      );
    });
  });

  // The product's main paths over HTTP through nginx, across separately running services: tokens
  // signed by auth replicas and verified by the others through the JWKS, edits through the admin
  // service reaching the catalog read model through the relay, the etl worker and NATS.
  // One viewer's story in order (register, the film, rating, inbox, logout), so never shuffled: the
  // first test makes the tokens the others use, and logout ends them.
  describe('flows through nginx', { shuffle: false }, () => {
    const api = (path: string, init: RequestInit & { token?: string } = {}) =>
      fetch(`${cluster.url}${path}`, {
        ...init,
        headers: {
          ...(init.body ? { 'content-type': 'application/json' } : {}),
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.headers as Record<string, string> | undefined),
        },
      });
    const PASSWORD = 'distributed end to end passphrase';
    let viewer = '';
    let admin = '';
    let filmId = '';

    it('registers, logs in and refreshes through the auth replicas; JWKS is public', async () => {
      const reg = await api('/api/v1/auth/register', {
        method: 'POST',
        body: JSON.stringify({ login: 'viewer', email: 'viewer@example.com', password: PASSWORD }),
      });
      expect(reg.status, await reg.clone().text()).toBe(201);
      const login = await api('/api/v1/auth/login', {
        method: 'POST',
        body: JSON.stringify({ login: 'viewer', password: PASSWORD }),
      });
      expect(login.status).toBe(200);
      const tokens = (await login.json()) as { access_token: string; refresh_token: string };
      const refreshed = await api('/api/v1/auth/refresh', {
        method: 'POST',
        body: JSON.stringify({ refresh_token: tokens.refresh_token }),
      });
      expect(refreshed.status).toBe(200);
      viewer = ((await refreshed.json()) as { access_token: string }).access_token;
      const me = await api('/api/v1/users/me', { token: viewer });
      expect(me.status).toBe(200);
      const jwks = (await (await api('/.well-known/jwks.json')).json()) as {
        keys: { kid: string; d?: string }[];
      };
      expect(jwks.keys.length).toBeGreaterThan(0);
      expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
    });

    it('an admin creates a film through the admin service and the catalog shows it', async () => {
      const created = spawnSync(
        process.execPath,
        ['bin/kino.js', 'createsuperuser', '--login', 'root', '--email', 'root@example.com'],
        {
          env: { ...cluster.env, KINO_ADMIN_PASSWORD: PASSWORD, SERVICES: 'auth' },
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      expect(created.status, created.stderr).toBe(0);
      const login = await api('/api/v1/auth/login', {
        method: 'POST',
        body: JSON.stringify({ login: 'root', password: PASSWORD }),
      });
      expect(login.status).toBe(200);
      admin = ((await login.json()) as { access_token: string }).access_token;
      const genre = await api('/api/v1/admin/genres', {
        method: 'POST',
        token: admin,
        body: JSON.stringify({ name: 'Distributed' }),
      });
      expect(genre.status, await genre.clone().text()).toBe(201);
      const genreId = ((await genre.json()) as { id: string }).id;
      const film = await api('/api/v1/admin/films', {
        method: 'POST',
        token: admin,
        body: JSON.stringify({
          title: 'Across the Services',
          rating: 8.1,
          access: 'FREE',
          genre_ids: [genreId],
        }),
      });
      expect(film.status, await film.clone().text()).toBe(201);
      filmId = ((await film.json()) as { id: string }).id;
      const t0 = Date.now();
      let found = false;
      while (!found && Date.now() - t0 < 15_000) {
        const search = await api(`/api/v1/films/search?query=${encodeURIComponent('Across the Services')}`, {
          token: viewer,
        });
        found =
          search.status === 200 &&
          ((await search.json()) as { uuid: string }[]).some((f) => f.uuid === filmId);
        if (!found) await sleep(100);
      }
      expect(found).toBe(true);
      figures.push(`admin edit visible in the catalog search through nginx after ${Date.now() - t0} ms`);
      const detail = await api(`/api/v1/films/${filmId}`, { token: viewer });
      expect(detail.status).toBe(200);
      expect(((await detail.json()) as { genre: { name: string }[] }).genre.map((g) => g.name)).toEqual([
        'Distributed',
      ]);
    });

    it('ugc: rating, bookmark and events for that film, with the viewer token verified by the ugc service', async () => {
      // ugc learns about films from content events: wait until it knows this one.
      let status = 0;
      const t0 = Date.now();
      while (Date.now() - t0 < 15_000) {
        status = (
          await api(`/api/v1/films/${filmId}/rating`, {
            method: 'PUT',
            token: viewer,
            body: JSON.stringify({ score: 9 }),
          })
        ).status;
        if (status < 300) break;
        await sleep(200);
      }
      expect(status).toBeLessThan(300);
      const rating = (await (await api(`/api/v1/films/${filmId}/rating`, { token: viewer })).json()) as {
        votes: number;
        user_score: number;
      };
      expect(rating).toMatchObject({ votes: 1, user_score: 9 });
      expect(
        (await api(`/api/v1/bookmarks/${filmId}`, { method: 'PUT', token: viewer, body: '{}' })).status,
      ).toBeLessThan(300);
      const bookmarks = (await (await api('/api/v1/bookmarks', { token: viewer })).json()) as {
        film_id?: string;
      }[];
      expect(JSON.stringify(bookmarks)).toContain(filmId);
      const events = await api('/api/v1/events', {
        method: 'POST',
        token: viewer,
        body: JSON.stringify([
          { type: 'view_start', film_id: filmId, ts: new Date().toISOString(), payload: {} },
        ]),
      });
      expect(events.status).toBe(202);
    });

    it('notifications: the new viewer has an inbox through the notifications service', async () => {
      const t0 = Date.now();
      let total = 0;
      while (Date.now() - t0 < 15_000 && total === 0) {
        const inbox = await api('/api/v1/notifications', { token: viewer });
        expect(inbox.status).toBe(200);
        total = Number(inbox.headers.get('x-total-count') ?? 0);
        if (total === 0) await sleep(250);
      }
      expect(total).toBeGreaterThan(0);
    });

    it('logout on one auth replica refuses the token on every service at once', async () => {
      expect((await api('/api/v1/auth/logout', { method: 'POST', token: viewer })).status).toBe(204);
      expect((await api('/api/v1/films', { token: viewer })).status).toBe(401);
      expect((await api('/api/v1/bookmarks', { token: viewer })).status).toBe(401);
      expect((await api('/api/v1/notifications', { token: viewer })).status).toBe(401);
    });
  });

  // A film's video across processes: uploaded through nginx to the files service, which stores it
  // in S3; a transcode worker process (one of two) packages it into the same bucket; a subscriber
  // then plays it through nginx, which caches the package. In order (the second plays the first's
  // film), so never shuffled.
  describe('video through nginx, on S3', { shuffle: false }, () => {
    const api = (path: string, init: RequestInit & { token?: string } = {}) =>
      fetch(path.startsWith('http') ? path : `${cluster.url}${path}`, {
        ...init,
        headers: {
          ...(typeof init.body === 'string' ? { 'content-type': 'application/json' } : {}),
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.headers as Record<string, string> | undefined),
        },
      });
    /** The editor who uploads, and the PAID film whose video the first test packages. */
    let token = '';
    let filmId = '';

    it("an editor uploads an mp4 and makes it a PAID film's video; a transcode worker makes it ready, its package in the bucket", async () => {
      const login = `editor${randomUUID().slice(0, 8)}`;
      const password = 'distributed video passphrase';
      const created = spawnSync(
        process.execPath,
        ['bin/kino.js', 'createsuperuser', '--login', login, '--email', `${login}@example.com`],
        {
          env: { ...cluster.env, KINO_ADMIN_PASSWORD: password, SERVICES: 'auth' },
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      expect(created.status, created.stderr).toBe(0);
      const session = await api('/api/v1/auth/login', {
        method: 'POST',
        body: JSON.stringify({ login, password }),
      });
      expect(session.status).toBe(200);
      token = ((await session.json()) as { access_token: string }).access_token;
      const film = await api('/api/v1/admin/films', {
        method: 'POST',
        token,
        body: JSON.stringify({ title: `Packaged Across Processes ${login}`, rating: 7, access: 'PAID' }),
      });
      expect(film.status, await film.clone().text()).toBe(201);
      filmId = ((await film.json()) as { id: string }).id;

      // A 2 s H.264/AAC clip: remuxed (source) and one rung below it (240p).
      const dir = mkdtempSync(path.join(tmpdir(), 'kino-dist-video-'));
      try {
        const engine = await createMediaEngine();
        await exec(engine.ffmpeg.path, [
          ...['-nostdin', '-v', 'error', '-y'],
          ...['-f', 'lavfi', '-i', 'testsrc2=size=480x360:rate=25:duration=2'],
          ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2'],
          ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25'],
          ...['-c:a', 'aac', '-ar', '48000', '-movflags', '+faststart', path.join(dir, 'film.mp4')],
        ]);
        const body = multipart(
          { kind: 'video', film_id: filmId },
          { filename: 'film.mp4', data: readFileSync(path.join(dir, 'film.mp4')), type: 'video/mp4' },
        );
        // The files service learns of the film from content's events (relay, NATS, files-films).
        const fileId = await eventually(
          async () => {
            const res = await api('/api/v1/files', {
              method: 'POST',
              token,
              body: body.payload,
              headers: body.headers,
            });
            if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
            return ((await res.json()) as { id: string }).id;
          },
          { timeoutMs: 30_000, intervalMs: 200, what: 'the upload through nginx is accepted' },
        );
        const put = await api(`/api/v1/films/${filmId}/video`, {
          method: 'PUT',
          token,
          body: JSON.stringify({ file_id: fileId }),
        });
        expect(put.status, await put.clone().text()).toBe(202);
        const job = ((await put.json()) as { job_id: string }).job_id;

        const t0 = Date.now();
        const ready = await eventually(
          async () => {
            const res = await api(`/api/v1/films/${filmId}/video`, { token });
            const video = (await res.json()) as {
              status: string;
              error: string | null;
              renditions: { name: string }[];
            };
            if (video.status === 'failed') throw new Error(`the job failed: ${video.error}`);
            return video.status === 'ready' ? video : null;
          },
          { timeoutMs: 420_000, intervalMs: 250, what: 'the video job is ready' },
        ).catch((error: unknown) => {
          const logs = ['worker-files-films,transcode', 'worker-transcode'].map(
            (n) => `${n}:\n${cluster.log(n)}`,
          );
          throw new Error(`${(error as Error).message}\n${logs.join('\n')}`, { cause: error });
        });
        figures.push(`video job (2 s clip) ready ${Date.now() - t0} ms after PUT through nginx`);
        expect(ready!.renditions.map((r) => r.name)).toEqual(['source', '240p']);

        // The package lies in the bucket the files service and the workers share.
        const prefix = `videos/${filmId}/${job}/`;
        const keys: string[] = [];
        for await (const info of cluster.s3.blob.list(prefix)) keys.push(info.key.slice(prefix.length));
        expect(keys).toEqual(
          expect.arrayContaining([
            'master.m3u8',
            'source/index.m3u8',
            'source/init.mp4',
            '240p/index.m3u8',
            '240p/init.mp4',
          ]),
        );
        const master = await cluster.s3.blob.get(`${prefix}master.m3u8`);
        const playlist = await text(master!.body);
        expect(playlist).toContain('source/index.m3u8');
        expect(playlist).toContain('240p/index.m3u8');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 600_000);

    it('a subscriber plays the PAID film through nginx by its signed URLs, a segment asked again comes from the edge cache, an anonymous caller is refused', async () => {
      expect(filmId, 'the film the previous test packaged').not.toBe('');
      const playback = `/api/v1/films/${filmId}/playback`;
      const anonymous = await api(playback);
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as { code: string }).code).toBe('AUTHENTICATION_REQUIRED');

      // A new viewer is not subscribed; the editor (an admin) subscribes them and they sign in again.
      const login = `subscriber${randomUUID().slice(0, 8)}`;
      const password = 'distributed subscriber passphrase';
      const registered = await api('/api/v1/auth/register', {
        method: 'POST',
        body: JSON.stringify({ login, email: `${login}@example.com`, password }),
      });
      expect(registered.status, await registered.clone().text()).toBe(201);
      const viewer = (await registered.json()) as { user: { id: string }; access_token: string };
      expect((await api(playback, { token: viewer.access_token })).status).toBe(403);
      const subscribed = await api(`/api/v1/users/${viewer.user.id}/roles/SUB_USER`, {
        method: 'POST',
        token,
      });
      expect(await subscribed.json()).toEqual({ roles: ['SUB_USER'] });
      const session = await api('/api/v1/auth/login', {
        method: 'POST',
        body: JSON.stringify({ login, password }),
      });
      expect(session.status).toBe(200);
      const subscriber = ((await session.json()) as { access_token: string }).access_token;

      const answer = await api(playback, { token: subscriber });
      expect(answer.status, await answer.clone().text()).toBe(200);
      const { hls_url: master } = (await answer.json()) as { hls_url: string };
      // Absolute on the public URL, which is nginx; the signed path alone grants the package.
      expect(master.startsWith(`${cluster.url}/api/v1/hls/`), master).toBe(true);
      const get = async (url: string, type: string) => {
        const res = await fetch(url);
        expect(res.status, url).toBe(200);
        expect(res.headers.get('content-type'), url).toContain(type);
        return res;
      };
      const variants = (await (await get(master, 'application/vnd.apple.mpegurl')).text())
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#'));
      expect([...variants].sort()).toEqual(['240p/index.m3u8', 'source/index.m3u8']);
      const segments: string[] = [];
      for (const variant of variants) {
        const url = new URL(variant, master).href;
        const playlist = await (await get(url, 'application/vnd.apple.mpegurl')).text();
        const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)?.[1];
        expect(init, url).toBe('init.mp4');
        await get(new URL(init!, url).href, 'video/mp4');
        const names = playlist.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
        expect(names.length, url).toBeGreaterThan(0);
        segments.push(new URL(names[0]!, url).href);
      }

      // The first request of a segment goes to the files service; the second is nginx's copy.
      const segment = segments[0]!;
      const first = await get(segment, 'video/iso.segment');
      expect(first.headers.get('x-cache-status')).toBe('MISS');
      const bytes = Buffer.from(await first.arrayBuffer());
      expect(bytes.length).toBeGreaterThan(0);
      const again = await get(segment, 'video/iso.segment');
      expect(again.headers.get('x-cache-status')).toBe('HIT');
      expect(Buffer.from(await again.arrayBuffer()).equals(bytes)).toBe(true);

      // ffmpeg's own HLS client plays the master URL through nginx: every frame of both renditions decodes.
      const engine = await createMediaEngine();
      const probe = await exec(engine.ffprobe.path, [
        ...['-v', 'error', '-count_frames', '-select_streams', 'v'],
        ...['-show_entries', 'format=duration:stream=height,nb_read_frames', '-of', 'json', master],
      ]);
      const read = JSON.parse(probe.stdout) as {
        format: { duration: string };
        streams: { height: number; nb_read_frames: string }[];
      };
      expect(Number(read.format.duration)).toBeCloseTo(2, 0);
      expect(read.streams.map((s) => s.height).sort((a, b) => a - b)).toEqual([240, 360]);
      // 2 s at 25 fps.
      for (const stream of read.streams) expect(Number(stream.nb_read_frames), `${stream.height}`).toBe(50);
    }, 120_000);
  });

  // DISTRIBUTED_FAULTS=0 leaves NATS and Redis alone (a machine others share).
  describe.skipIf(process.env.DISTRIBUTED_FAULTS === '0')('faults', () => {
    it('a catalog replica killed under load: error rate below 0.1 %', async (ctx) => {
      await requireRoute(ctx, 'GET', '/api/v1/films');
      const url = `${cluster.url}/api/v1/films?page_size=10`;
      const run = autocannon({ url, connections: 16, duration: 30, timeout: 10 });
      const killer = (async () => {
        await sleep(10_000);
        await cluster.kill('catalog-1', 'SIGKILL');
      })();
      const result = await run;
      await killer;
      const failures = result.errors + result.timeouts + result.non2xx;
      const total = result.requests.total + result.errors + result.timeouts;
      const rate = failures / Math.max(total, 1);
      figures.push(
        `catalog replica killed under load: ${total} requests in 30 s (${Math.round(result.requests.average)}/s), ` +
          `${failures} failed (${(rate * 100).toFixed(3)} %: ${result.errors} connection errors, ` +
          `${result.timeouts} timeouts, ${result.non2xx} non-2xx), p99 ${result.latency.p99} ms`,
      );
      expect(result.requests.total).toBeGreaterThan(1000);
      expect(rate).toBeLessThan(0.001);
      await cluster.restart('catalog-1');
    }, 120_000);

    it('NATS stopped for 10 s while events are posted: every accepted event is stored', async (ctx) => {
      await requireRoute(ctx, 'POST', '/api/v1/events');
      const run = randomUUID();
      let accepted = 0;
      let acceptedWhileDown = 0;
      let refused = 0;
      let natsDown = false;
      let slowestWhileDown = 0;
      let posting = true;
      const poster = (async () => {
        while (posting) {
          const batch = Array.from({ length: 10 }, () => ({
            event_id: randomUUID(),
            type: 'click',
            ts: new Date().toISOString(),
            payload: { run },
          }));
          const started = performance.now();
          const duringOutage = natsDown;
          try {
            const response = await fetch(`${cluster.url}/api/v1/events`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(batch),
            });
            if (response.status === 202) {
              const body = (await response.json()) as { accepted: number };
              accepted += body.accepted;
              if (natsDown) acceptedWhileDown += body.accepted;
            } else refused++;
          } catch {
            refused++;
          }
          if (duringOutage || natsDown)
            slowestWhileDown = Math.max(slowestWhileDown, performance.now() - started);
          await sleep(50);
        }
      })();
      try {
        await sleep(2_000);
        await cluster.engines.stopNats();
        natsDown = true;
        await sleep(10_000);
      } finally {
        natsDown = false;
        await cluster.engines.startNats();
      }
      await sleep(2_000);
      posting = false;
      await poster;

      const stored = async () =>
        Number(
          (
            await cluster.db.query<{ n: string }>(
              `SELECT count(*) AS n FROM ugc.events WHERE payload->>'run' = $1`,
              [run],
            )
          ).rows[0]!.n,
        );
      const deadline = Date.now() + 90_000;
      let n = await stored();
      while (n < accepted && Date.now() < deadline) {
        await sleep(500);
        n = await stored();
      }
      figures.push(
        `NATS down 10 s: ${accepted} events accepted (${acceptedWhileDown} while down, slowest request then ` +
          `${Math.round(slowestWhileDown)} ms), ${refused} requests refused, ${n} stored`,
      );
      expect(accepted).toBeGreaterThan(0);
      expect(acceptedWhileDown).toBeGreaterThan(0);
      expect(n).toBe(accepted);
    }, 180_000);

    it('Redis stopped: catalog and auth keep answering', async (ctx) => {
      await requireRoute(ctx, 'GET', '/api/v1/films');
      await requireRoute(ctx, 'GET', '/.well-known/jwks.json');
      const paths = ['/api/v1/films?page_size=5', '/api/v1/genres', '/.well-known/jwks.json'];
      await cluster.engines.stopRedis();
      const statuses: Record<string, number[]> = {};
      const timings: number[] = [];
      try {
        const until = Date.now() + 8_000;
        while (Date.now() < until) {
          for (const p of paths) {
            const started = performance.now();
            const response = await fetch(`${cluster.url}${p}`);
            timings.push(performance.now() - started);
            await response.arrayBuffer();
            (statuses[p] ??= []).push(response.status);
          }
        }
        // Replicas stay in rotation: Redis is a fail-open dependency.
        for (const name of ['catalog-1', 'catalog-2', 'auth-1', 'auth-2']) {
          const ready = await fetch(`${cluster.processes.get(name)!.url}/ready`);
          expect(ready.status, name).toBe(200);
          expect(((await ready.json()) as { status: string }).status, name).toBe('degraded');
        }
      } finally {
        await cluster.engines.startRedis();
      }
      timings.sort((a, b) => a - b);
      figures.push(
        `Redis down 8 s: ${timings.length} requests, statuses ${JSON.stringify(
          Object.fromEntries(Object.entries(statuses).map(([p, s]) => [p, [...new Set(s)]])),
        )}, p50 ${timings[Math.floor(timings.length / 2)]?.toFixed(1)} ms, max ${timings.at(-1)?.toFixed(1)} ms`,
      );
      for (const p of paths) expect(new Set(statuses[p]), p).toEqual(new Set([200]));
      // And they use Redis again once it is back.
      await waitForOk(`${cluster.processes.get('catalog-1')!.url}/ready`, 10_000);
    }, 60_000);
  });
});
