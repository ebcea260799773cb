/**
 * The video bench's three measurements (bench/video.bench.ts): time to playable through a started
 * all-in-one server, transcode speed per rung through the media engine, and segment serving
 * against nginx. Everything the server is asked goes over HTTP, as a client's requests would.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openAsBlob, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MediaEngine } from '../../src/modules/files/media/media.engine.js';
import { LADDER } from '../../src/modules/files/media/media.hls.js';
import { kino } from './data.js';
import { load, type LoadResult } from './load.js';
import type { Input } from './media.js';
import { startStaticNginx } from './nginx.js';
import { loadAvg } from './report.js';
import { startKino, type Server } from './server.js';

type Log = (line: string) => void;
const seconds = (t0: number) => (performance.now() - t0) / 1000;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Transcode speed

export interface TranscodeRow {
  rung: string;
  output: string;
  wallS: number;
  /** Source seconds per wall second. */
  speed: number;
  /** The last speed ffmpeg reported (its own × real time). */
  ffmpegSpeed: number | null;
  /** ffmpeg's user + system CPU per second of source: the figure least moved by other load. */
  cpuPerSourceS: number;
  load: string;
}

/** CPU seconds of this process's finished (reaped) children, from /proc/self/stat. */
function childCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** Every rung of the ladder from `clip`, one at a time, with the product's defaults. */
export async function measureTranscode(
  engine: MediaEngine,
  clip: string,
  outDir: string,
  log: Log,
): Promise<TranscodeRow[]> {
  const info = await engine.probe(clip);
  const rows: TranscodeRow[] = [];
  for (const rung of LADDER) {
    const l = loadAvg();
    let ffmpegSpeed: number | null = null;
    const cpu0 = childCpuSeconds();
    const t0 = performance.now();
    const rendition = await engine.transcodeRendition(clip, outDir, rung, {
      info,
      onProgress: (p) => (ffmpegSpeed = p.speed ?? ffmpegSpeed),
    });
    const wallS = seconds(t0);
    const row: TranscodeRow = {
      rung: rung.name,
      output: `${rendition.width}×${rendition.height}, ${(rendition.averageBandwidth / 1e6).toFixed(2)} Mbit/s`,
      wallS,
      speed: info.duration / wallS,
      ffmpegSpeed,
      cpuPerSourceS: (childCpuSeconds() - cpu0) / info.duration,
      load: l,
    };
    rows.push(row);
    log(
      `transcode | ${row.rung} (${row.output}) from ${info.duration.toFixed(0)} s: ${wallS.toFixed(1)} s, ${row.speed.toFixed(2)}× real time (ffmpeg ${ffmpegSpeed ?? '?'}×), CPU ${row.cpuPerSourceS.toFixed(2)} s per source s (load ${l})`,
    );
    rmSync(path.join(outDir, rung.name), { recursive: true, force: true });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// The server and its API

export interface VideoServer extends Server {
  readonly dataDir: string;
  /** JSON over HTTP as the administrator (signs in again when the access token has expired). */
  api<T>(method: string, url: string, body?: unknown): Promise<{ status: number; json: T }>;
  /** POSTs a file as multipart/form-data (streamed from disk) as the administrator. */
  upload(form: FormData): Promise<Response>;
}

/** `kino start` on a fresh data folder with an administrator made by `kino createsuperuser`. */
export async function startVideoServer(log: Log): Promise<VideoServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kino-bench-video-'));
  const login = `bench${randomBytes(3).toString('hex')}`;
  const password = `Kino-${randomBytes(12).toString('base64url')}`;
  const env = { KINO_DATA_DIR: dataDir, KINO_ADMIN_PASSWORD: password };
  let server: Server;
  try {
    await kino(['createsuperuser', '--login', login, '--email', `${login}@example.com`], env);
    server = await startKino({ port: Number(process.env.BENCH_PORT ?? 18620), env });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  log(`server ready in ${(server.readyMs / 1000).toFixed(1)} s (data folder ${dataDir})`);
  let token = '';
  const signIn = async () => {
    const res = await fetch(`${server.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login, password }),
    });
    if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
    token = ((await res.json()) as { access_token: string }).access_token;
  };
  await signIn().catch(async (error: unknown) => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  const authorised = async (send: () => Promise<Response>) => {
    let res = await send();
    if (res.status === 401) {
      await signIn();
      res = await send();
    }
    return res;
  };
  return {
    ...server,
    dataDir,
    async api<T>(method: string, url: string, body?: unknown) {
      const res = await authorised(() =>
        fetch(server.base + url, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      );
      const text = await res.text();
      return { status: res.status, json: (text ? JSON.parse(text) : null) as T };
    },
    upload: (form) =>
      authorised(() =>
        fetch(`${server.base}/api/v1/files`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
          body: form,
        }),
      ),
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Time to playable

export interface PlayableRow {
  minutes: number;
  bytes: number;
  uploadS: number;
  playableS: number;
  /** When each job step was first seen, as text. */
  steps: string;
  /** Seconds from PUT to the whole ladder ready; null when the bench did not wait for it. */
  ladderS: number | null;
  renditions: string;
  load: string;
}

export interface ReadyFilm {
  readonly film: string;
  readonly job: string;
  readonly hlsUrl: string;
  readonly row: PlayableRow;
}

interface Video {
  job_id: string;
  status: string;
  step: string | null;
  error: string | null;
  renditions: { name: string }[];
}

/**
 * A FREE film of its own, the input uploaded, then timed from `PUT …/video` to playable and, with
 * `waitLadder`, to ready; without it the video is deleted once playable (its job stops), so the
 * next input does not share the machine with a transcode.
 */
export async function measurePlayable(
  server: VideoServer,
  input: Input,
  log: Log,
  waitLadder = true,
): Promise<ReadyFilm> {
  const created = await server.api<{ id: string }>('POST', '/api/v1/admin/films', {
    title: `Bench ${input.minutes} min ${randomBytes(3).toString('hex')}`,
    access: 'FREE',
  });
  if (created.status !== 201) throw new Error(`film not created: ${created.status}`);
  const film = created.json.id;
  const tUpload = performance.now();
  let fileId: string | undefined;
  // The files module learns of the new film through its projection: 404 until it has.
  for (let tries = 0; !fileId; tries++) {
    const form = new FormData();
    form.append('kind', 'video');
    form.append('film_id', film);
    form.append('file', await openAsBlob(input.file, { type: 'video/mp4' }), path.basename(input.file));
    const res = await server.upload(form);
    if (res.status === 201) fileId = ((await res.json()) as { id: string }).id;
    else if (res.status !== 404 || tries > 100)
      throw new Error(`upload answered ${res.status}: ${await res.text()}`);
    else await pause(100);
  }
  const uploadS = seconds(tUpload);
  const l = loadAvg();

  const t0 = performance.now();
  const put = await server.api<Video>('PUT', `/api/v1/films/${film}/video`, { file_id: fileId });
  if (put.status !== 202) throw new Error(`PUT video answered ${put.status}`);
  const steps = new Map<string, number>();
  const published = new Map<string, number>();
  const watch = async () => {
    const video = await server.api<Video>('GET', `/api/v1/films/${film}/video`);
    if (video.json.status === 'failed') throw new Error(`the video job failed: ${video.json.error}`);
    const step = video.json.status === 'processing' ? (video.json.step ?? 'claimed') : video.json.status;
    if (!steps.has(step)) steps.set(step, seconds(t0));
    for (const r of video.json.renditions) if (!published.has(r.name)) published.set(r.name, seconds(t0));
    return video.json;
  };
  // Playable: the playback endpoint answers 200 (anonymously: a FREE film) and the master
  // playlist it names is fetched. Polled every 100 ms, so the figure is at most that late.
  let playableS: number | undefined;
  let hlsUrl = '';
  while (playableS === undefined) {
    await watch();
    const res = await fetch(`${server.base}/api/v1/films/${film}/playback`);
    if (res.status === 200) {
      hlsUrl = ((await res.json()) as { hls_url: string }).hls_url;
      const master = await fetch(new URL(hlsUrl, server.base));
      if (master.status === 200 && (await master.text()).startsWith('#EXTM3U')) playableS = seconds(t0);
    } else await res.arrayBuffer();
    if (playableS === undefined) await pause(100);
    if (seconds(t0) > 3600) throw new Error(`film ${film} not playable within an hour`);
  }
  log(
    `playable | ${input.minutes} min: ${playableS.toFixed(1)} s after PUT (upload took ${uploadS.toFixed(1)} s)`,
  );
  // The whole ladder: polled every second (the worker is busy; the poll is not what is measured).
  let video = await watch();
  while (waitLadder && video.status !== 'ready') {
    await pause(1000);
    video = await watch();
    if (seconds(t0) > 6 * 3600) throw new Error(`film ${film} not ready within 6 hours`);
  }
  const ladderS = waitLadder ? seconds(t0) : null;
  if (!waitLadder) {
    const removed = await server.api('DELETE', `/api/v1/films/${film}/video`);
    if (removed.status !== 204) throw new Error(`DELETE video answered ${removed.status}`);
  }
  const stepText = ['claimed', 'download', 'probe', 'remux', 'upload source']
    .map((k) => (steps.has(k) ? `${steps.get(k)!.toFixed(1)}` : '–'))
    .join(' / ');
  const row: PlayableRow = {
    minutes: input.minutes,
    bytes: input.bytes,
    uploadS,
    playableS,
    steps: `${stepText} s`,
    ladderS,
    renditions: [...published].map(([name, at]) => `${name} ${at.toFixed(0)}`).join(', '),
    load: l,
  };
  log(
    `ladder | ${input.minutes} min: ${ladderS === null ? 'not waited for (video deleted once playable)' : `ready ${ladderS.toFixed(1)} s after PUT`}; steps first seen ${row.steps}; renditions ${row.renditions}`,
  );
  return { film, job: video.job_id, hlsUrl, row };
}

// ---------------------------------------------------------------------------------------------
// Segment serving

export interface SegmentRow {
  set: string;
  server: string;
  rps: number;
  mibPerS: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  cpuMsPerReq: number;
  /** The bench process's own CPU (autocannon) over the windows, in % of one core: near 100 it is the bound. */
  clientCpuPct: number;
  vsNginx?: string;
  load: string;
}

/** The segment URIs of a rendition's playlist, relative to the package. */
async function segmentsOf(base: string, hlsUrl: string, rendition: string): Promise<string[]> {
  const url = new URL(`${rendition}/index.m3u8`, new URL(hlsUrl, base));
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url.pathname} answered ${res.status}`);
  return (await res.text())
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => `${rendition}/${l}`);
}

/**
 * The segments of the highest (`source`) and lowest rendition of `film`, served by the product
 * under the signed path and by nginx from the blob store's folder, in pairs of windows.
 */
export async function measureSegments(
  server: VideoServer,
  film: ReadyFilm,
  options: { connections: number; seconds: number; warmup: number; pairs: number; log: Log },
): Promise<SegmentRow[]> {
  const playback = await fetch(`${server.base}/api/v1/films/${film.film}/playback`);
  const renditions = ((await playback.json()) as { renditions: { name: string; height: number }[] })
    .renditions;
  const byHeight = [...renditions].sort((a, b) => b.height - a.height);
  const sets = [...new Set([byHeight[0]!.name, byHeight.at(-1)!.name])];
  const objects = path.join(server.dataDir, 'blobs', 'objects');
  const nginx = await startStaticNginx(objects, 2);
  const rows: SegmentRow[] = [];
  try {
    for (const rendition of sets) {
      const files = await segmentsOf(server.base, film.hlsUrl, rendition);
      const signed = new URL('.', new URL(film.hlsUrl, server.base)).pathname;
      const kinoPaths = files.map((f) => `${signed}${f}`);
      const nginxPaths = files.map((f) => `/videos/${film.film}/${film.job}/${f}`);
      const bytes = nginxPaths.map((p) => statSync(path.join(objects, p)).size);
      // The same bytes on both sides.
      const [a, b] = await Promise.all([
        fetch(server.base + kinoPaths[0]!).then((r) => r.arrayBuffer()),
        fetch(nginx.base + nginxPaths[0]!).then((r) => r.arrayBuffer()),
      ]);
      if (!Buffer.from(a).equals(Buffer.from(b)))
        throw new Error('nginx and the product serve different bytes');
      const meanBytes = bytes.reduce((x, y) => x + y, 0) / bytes.length;
      const set = `${rendition}: ${files.length} segments, mean ${(meanBytes / 1024).toFixed(0)} KiB`;
      const sides = [
        { name: 'product (`/api/v1/hls/…`)', target: server as Server, paths: kinoPaths },
        { name: 'nginx, static from disk (2 workers)', target: nginx, paths: nginxPaths },
      ];
      const l = loadAvg();
      const results = sides.map(() => [] as (LoadResult & { cpu: number; clientCpu: number })[]);
      const window = async (i: number, warm: boolean) => {
        const side = sides[i]!;
        const cpu0 = side.target.cpuSeconds();
        const client0 = process.cpuUsage();
        const r = await load(side.target.base, {
          requests: side.paths.map((p) => ({ path: p })),
          connections: options.connections,
          seconds: warm ? options.warmup : options.seconds,
        });
        const client = process.cpuUsage(client0);
        if (!warm)
          results[i]!.push({
            ...r,
            cpu: side.target.cpuSeconds() - cpu0,
            clientCpu: (client.user + client.system) / 1e6,
          });
      };
      await window(0, true);
      await window(1, true);
      // Alternating order, so drift in the machine's speed hits both sides alike.
      for (let p = 0; p < options.pairs; p++)
        for (const i of p % 2 === 0 ? [0, 1] : [1, 0]) await window(i, false);
      const ratios = results[0]!.map((r, k) => r.rps / results[1]![k]!.rps).sort((x, y) => x - y);
      const median = ratios[Math.floor(ratios.length / 2)]!;
      sides.forEach((side, i) => {
        const rs = results[i]!;
        const mean = (f: (r: LoadResult) => number) => rs.reduce((s, r) => s + f(r), 0) / rs.length;
        const requests = rs.reduce((s, r) => s + r.requests, 0);
        const row: SegmentRow = {
          set,
          server: side.name,
          rps: Math.round(mean((r) => r.rps)),
          mibPerS: (mean((r) => r.rps) * meanBytes) / 2 ** 20,
          p50: mean((r) => r.p50),
          p95: mean((r) => r.p95),
          p99: mean((r) => r.p99),
          errors: rs.reduce((s, r) => s + r.errors + r.non2xx, 0),
          cpuMsPerReq: requests ? (rs.reduce((s, r) => s + r.cpu, 0) * 1000) / requests : NaN,
          clientCpuPct:
            (rs.reduce((s, r) => s + r.clientCpu, 0) * 100) / rs.reduce((s, r) => s + r.seconds, 0),
          ...(i === 0
            ? {
                vsNginx: Number.isFinite(median)
                  ? `**${(median * 100).toFixed(1)}%** (${ratios.map((r) => `${(r * 100).toFixed(0)}%`).join(', ')})`
                  : '–',
              }
            : {}),
          load: l,
        };
        rows.push(row);
        options.log(
          `segments | ${set} | ${row.server}: ${row.rps} req/s, ${row.mibPerS.toFixed(1)} MiB/s, p50 ${row.p50.toFixed(1)} p99 ${row.p99.toFixed(1)} ms, errors ${row.errors}, CPU ${row.cpuMsPerReq.toFixed(3)} ms/req, autocannon ${row.clientCpuPct.toFixed(0)}% of a core${row.vsNginx ? `, ${row.vsNginx} of nginx` : ''} (load ${l})`,
        );
      });
    }
  } finally {
    await nginx.stop();
  }
  return rows;
}
