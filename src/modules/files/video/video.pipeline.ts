/**
 * One video job from its uploaded file to a published HLS package (ADR 0100), free of the loop
 * and the lease (transcode.worker.ts): the source blob copied to a temp folder (the store may be
 * S3), probed, then renditions made one at a time. Each is uploaded under the job's own prefix,
 * `videos/<film>/<job>/<rendition>/…`, then the master playlist (always the last blob written),
 * then published, so a player never sees a playlist naming blobs that are not there yet.
 *
 * Remuxable input publishes its `source` rendition first (seconds) and the lower rungs after it;
 * other input publishes the top rung of its ladder first, then the rest. Once the first rendition
 * plays, the poster frame and thumbnails (`poster.jpg`, `thumbs/`) are made, uploaded and
 * published with the package's extras, before the lower rungs. A job that resumes (its lease
 * expired and another worker took it) skips what its package already holds.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from '../../../ports/blob.js';
import type { MediaEngine } from '../media/media.engine.js';
import { MediaError } from '../media/media.errors.js';
import {
  LADDER,
  ladderFor,
  remuxBlockers,
  writeMasterPlaylist,
  type AudioRendition,
  type MediaProgress,
  type Rendition,
  type Rung,
} from '../media/media.hls.js';
import type { MediaInfo } from '../media/media.probe.js';
import type {
  PackageExtras,
  PackagedAudio,
  PackagedRendition,
  PublishedPackage,
  VideoProgress,
  VideoRow,
} from './video.repository.js';

/** Where a film's packages live; one folder per job, so a new package never overwrites the one playing. */
export const videoPrefix = (filmId: string, jobId?: string) =>
  jobId ? `videos/${filmId}/${jobId}/` : `videos/${filmId}/`;

/**
 * Where a film's subtitle tracks live: outside its package folders, so a replaced video keeps
 * them and no package is rewritten when one changes.
 */
export const subtitlePrefix = (filmId: string) => `subtitles/${filmId}/`;
export const subtitleKey = (filmId: string, lang: string) => `${subtitlePrefix(filmId)}${lang}.vtt`;

/** Why a job cannot finish. `permanent`: retrying the same file cannot help (not media, cut short). */
export class VideoJobError extends Error {
  constructor(
    readonly reason: string,
    readonly permanent: boolean,
    options: { cause?: unknown } = {},
  ) {
    super(reason, options);
    this.name = 'VideoJobError';
  }
}

/** What the pipeline needs around it; `publish` and `report` reject when the job was taken away. */
export interface JobIo {
  readonly engine: MediaEngine;
  readonly blob: BlobStore;
  /** The source file's blob key, or null when the file was deleted. */
  readonly sourceKey: string | null;
  /** An empty folder of the job's own, removed by the caller. */
  readonly workDir: string;
  readonly signal: AbortSignal;
  /** libx264 preset for the rungs. */
  readonly preset?: string;
  report(progress: VideoProgress): void;
  publish(pkg: PublishedPackage): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.jpg': 'image/jpeg',
  '.vtt': 'text/vtt; charset=utf-8',
};

/** A remux copies rather than encodes: about a tenth of a transcode's time, for progress and ETA. */
const REMUX_WEIGHT = 0.1;
/** The poster and thumbnails decode keyframes only: a small share of a transcode. */
const EXTRAS_WEIGHT = 0.05;
/** The progress step of the poster frame and thumbnails. */
export const EXTRAS_STEP = 'poster and thumbnails';

/** A rendition to make: a video rendition of the ladder, or an audio-only one of a further track. */
interface Unit {
  readonly name: string;
  readonly step: string;
  readonly weight: number;
  make(out: string, onProgress: (p: MediaProgress) => void): Promise<Made>;
}

type Made =
  | { readonly kind: 'video'; readonly rendition: Rendition }
  | { readonly kind: 'audio'; readonly track: AudioRendition };

/** An audio track costs about what a remux does (a copy or an AAC encode, no picture). */
const AUDIO_WEIGHT = 0.1;

export async function runVideoJob(job: VideoRow, io: JobIo): Promise<PublishedPackage> {
  if (io.sourceKey === null) throw new VideoJobError('the uploaded file was deleted', true);
  const input = path.join(io.workDir, 'source');
  const out = path.join(io.workDir, 'out');
  await mkdir(out);

  io.report({ step: 'download', percent: 0, etaSeconds: null });
  const read = await io.blob.get(io.sourceKey);
  if (!read) throw new VideoJobError('the content of the uploaded file is missing', true);
  await pipeline(read.body, createWriteStream(input), { signal: io.signal });

  io.report({ step: 'probe', percent: 0, etaSeconds: null });
  const info = await io.engine.probe(input, { signal: io.signal });
  if (!info.video) throw new VideoJobError('the file has no video stream', true);

  const prefix = videoPrefix(job.film_id, job.id);
  // Resuming this job's own package: what it already holds is not made again.
  const resumed = job.prefix === prefix;
  const renditions: PackagedRendition[] = resumed ? [...job.renditions] : [];
  let extras: PackageExtras = resumed ? job.extras : {};
  const hasExtras = () => extras.poster === true && extras.thumbnails === true;
  let extrasBytes =
    resumed && hasExtras() ? await storedBytes(io, [`${prefix}poster.jpg`, `${prefix}thumbs/`]) : 0;
  let masterBytes = resumed ? await storedBytes(io, [`${prefix}master.m3u8`]) : 0;
  const audioBytes = () => (extras.audio?.tracks ?? []).reduce((sum, a) => sum + a.bytes, 0);
  const pkg = (): PublishedPackage => ({
    prefix,
    renditions: [...renditions],
    storageBytes: storageOf(renditions, masterBytes) + extrasBytes + audioBytes(),
    extras,
  });
  // A film of several audio tracks plays once its first video rendition and first track are there.
  const separateAudio = info.audio.length > 1;
  const playable = () => renditions.length > 0 && (!separateAudio || (extras.audio?.tracks.length ?? 0) > 0);

  const held = new Set([
    ...renditions.map((r) => r.name),
    ...(extras.audio?.tracks ?? []).map((a) => a.name),
  ]);
  const units = plan(io, input, info, separateAudio).filter((u) => !held.has(u.name));
  const total = units.reduce((sum, u) => sum + u.weight, 0) + (hasExtras() ? 0 : EXTRAS_WEIGHT);
  let done = 0;
  const progress = (step: string, weight: number) => (p: MediaProgress) => {
    const work = done + (weight * p.percent) / 100;
    const left = (total - work) * info.duration;
    io.report({
      step,
      percent: Math.min(99.9, Math.round((work / total) * 1000) / 10),
      etaSeconds: p.speed && p.speed > 0 ? Math.ceil(left / p.speed) : null,
    });
  };
  const start = { percent: 0, seconds: 0, speed: null };

  /** Poster and thumbnails, once the package has a rendition to play; published with its extras. */
  const makeExtras = async () => {
    if (hasExtras() || !playable()) return;
    const onProgress = progress(EXTRAS_STEP, EXTRAS_WEIGHT);
    onProgress(start);
    const options = { info, signal: io.signal };
    await io.engine.poster(input, out, options);
    await io.engine.thumbnails(input, out, { ...options, onProgress });
    // The sprites before the track that names them, then the poster.
    const thumbs = await uploadFolder(io, path.join(out, 'thumbs'), `${prefix}thumbs/`);
    const poster = await uploadFile(io, path.join(out, 'poster.jpg'), `${prefix}poster.jpg`);
    extras = { ...extras, poster: true, thumbnails: true };
    extrasBytes = thumbs + poster;
    done += EXTRAS_WEIGHT;
    await io.publish(pkg());
  };

  let published = false;
  // A resumed job whose first rendition already plays makes what the package lacks first.
  await makeExtras();
  for (const unit of units) {
    const onProgress = progress(unit.step, unit.weight);
    onProgress(start);
    const made = await unit.make(out, onProgress);
    io.report({
      step: `upload ${unit.name}`,
      percent: Math.min(99.9, Math.round(((done + unit.weight) / total) * 1000) / 10),
      etaSeconds: null,
    });
    const bytes = await uploadFolder(io, path.join(out, unit.name), `${prefix}${unit.name}/`);
    if (made.kind === 'video') renditions.push({ ...made.rendition, bytes });
    else extras = { ...extras, audio: withTrack(extras.audio, { ...made.track, bytes }) };
    done += unit.weight;
    if (!playable()) continue;
    masterBytes = await uploadMaster(io, out, prefix, renditions, extras);
    await io.publish(pkg());
    published = true;
    // Right after the first rendition: the film plays first, then gets its pictures.
    await makeExtras();
  }
  if (!published) masterBytes = await uploadMaster(io, out, prefix, renditions, extras);
  return pkg();
}

/** The package's audio group with `track` added, in the order of the input's tracks. */
function withTrack(audio: PackagedAudio | undefined, track: PackagedAudio['tracks'][number]): PackagedAudio {
  const tracks = [...(audio?.tracks ?? []).filter((t) => t.name !== track.name), track];
  return { tracks: tracks.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true })) };
}

/**
 * The renditions to make, in order: what plays first, then the lower rungs, highest first. A film
 * of several audio tracks gets video renditions without audio and each track as a rendition of
 * its own (hls.js cannot switch away from audio muxed into fMP4 video): the first track before
 * the first video rendition, the others right after it.
 */
function plan(io: JobIo, input: string, info: MediaInfo, separateAudio: boolean): Unit[] {
  const video = info.video!;
  const short = Math.min(video.displayWidth, video.displayHeight);
  const options = (onProgress: (p: MediaProgress) => void) => ({
    info,
    signal: io.signal,
    onProgress,
    separateAudio,
    ...(io.preset ? { preset: io.preset } : {}),
  });
  const rung = (r: Rung): Unit => ({
    name: r.name,
    step: `transcode ${r.name}`,
    weight: 1,
    make: async (out, onProgress) => ({
      kind: 'video',
      rendition: await io.engine.transcodeRendition(input, out, r, options(onProgress)),
    }),
  });
  const [firstTrack, ...otherTracks]: Unit[] = (separateAudio ? info.audio : []).map((track, i) => ({
    name: `audio${i}`,
    step: `audio track ${i + 1}`,
    weight: AUDIO_WEIGHT,
    make: async (out, onProgress) => ({
      kind: 'audio',
      track: await io.engine.packageAudioTrack(input, out, `audio${i}`, track, {
        info,
        signal: io.signal,
        onProgress,
      }),
    }),
  }));
  const first = firstTrack ? [firstTrack] : [];
  if (remuxBlockers(info).length === 0) {
    const source: Unit = {
      name: 'source',
      step: 'remux',
      weight: REMUX_WEIGHT,
      make: async (out, onProgress) => ({
        kind: 'video',
        rendition: (await io.engine.packageSource(input, out, options(onProgress))).rendition,
      }),
    };
    return [
      ...first,
      source,
      ...otherTracks,
      ...ladderFor(info)
        .filter((r) => r.height < short)
        .map(rung),
    ];
  }
  const ladder = ladderFor(info);
  // Smaller than the lowest rung: one rendition at its own size.
  if (ladder.length === 0)
    return [
      ...first,
      rung({ ...LADDER[LADDER.length - 1]!, name: `${short}p`, height: short }),
      ...otherTracks,
    ];
  return [...first, rung(ladder[0]!), ...otherTracks, ...ladder.slice(1).map(rung)];
}

/** A folder's playlist or track: it names the folder's other files, so it is uploaded last. */
const isIndex = (name: string) => name.endsWith('.m3u8') || name.endsWith('.vtt');

async function uploadFolder(io: JobIo, dir: string, prefix: string): Promise<number> {
  const names = (await readdir(dir)).sort((a, b) => Number(isIndex(a)) - Number(isIndex(b)));
  let bytes = 0;
  for (const name of names) bytes += await uploadFile(io, path.join(dir, name), `${prefix}${name}`);
  return bytes;
}

async function uploadFile(io: JobIo, file: string, key: string): Promise<number> {
  io.signal.throwIfAborted();
  const contentType = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
  await io.blob.put(key, createReadStream(file), { contentType });
  return (await stat(file)).size;
}

/** Writes the master playlist naming `renditions`, uploads it over the previous one (atomic); its size. */
async function uploadMaster(
  io: JobIo,
  out: string,
  prefix: string,
  renditions: readonly PackagedRendition[],
  extras: PackageExtras,
): Promise<number> {
  const master = await writeMasterPlaylist(out, renditions, { audio: extras.audio });
  return uploadFile(io, master, `${prefix}master.m3u8`);
}

/** Bytes stored under these keys and prefixes (ending in `/`): what a resumed package already holds. */
async function storedBytes(io: JobIo, keys: readonly string[]): Promise<number> {
  let bytes = 0;
  for (const key of keys) {
    if (key.endsWith('/')) for await (const info of io.blob.list(key)) bytes += info.size;
    else bytes += (await io.blob.head(key))?.size ?? 0;
  }
  return bytes;
}

const storageOf = (renditions: readonly PackagedRendition[], master: number) =>
  renditions.reduce((sum, r) => sum + r.bytes, master);

/**
 * A failure as the job records it. Not media, cut short, no video, a deleted source: for good.
 * Everything else (the blob store or S3, a full disk, ffmpeg failing, no ffmpeg) may pass, so
 * the job is tried again later.
 */
export function classify(error: unknown): VideoJobError {
  if (error instanceof VideoJobError) return error;
  if (error instanceof MediaError) {
    const permanent = error.code === 'NOT_MEDIA' || error.code === 'TRUNCATED' || error.code === 'NO_VIDEO';
    return new VideoJobError(error.reason, permanent, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new VideoJobError(message, false, { cause: error });
}
