/**
 * The pictures of an HLS package beside its renditions (ADR 0100): a poster frame
 * (`<outDir>/poster.jpg`) and scrubbing previews (`<outDir>/thumbs/sprite_000.jpg`, … and
 * `<outDir>/thumbs/thumbs.vtt`, the WebVTT track hls.js, video.js and JW Player read as
 * `sprite_000.jpg#xywh=x,y,w,h`).
 *
 * Both are cheap next to a transcode: the poster decodes one stretch of a few frames, and the
 * thumbnails decode keyframes only (`-skip_frame nokey`), so an hour of film costs seconds. Both
 * come out upright (autorotate). Each is written whole or not at all: on failure or abort what
 * was written is removed.
 */
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MediaError } from './media.errors.js';
import { progressReader, type MediaProgress, type Tools } from './media.hls.js';
import { errorReason, runTool } from './media.process.js';
import { inputArgs, probeMedia, type MediaInfo, type VideoStreamInfo } from './media.probe.js';

/** Widest poster: a player's poster area, not a print. */
export const POSTER_MAX_WIDTH = 1280;
/** Where in the film the poster is taken, as a share of its duration (past logos and titles). */
export const POSTER_AT = 0.1;
/** How far past that point a frame that is not black is looked for. */
const POSTER_SEARCH_SECONDS = 30;
/** A frame with at least this share (%) of black pixels is passed over for the poster. */
const POSTER_MAX_BLACK = 80;

/** Width of one thumbnail; tiles of a sprite are all the same size. */
export const THUMB_WIDTH = 160;
/** Columns and rows of a sprite at most: 100 thumbnails a file. */
export const SPRITE_COLUMNS = 10;
export const SPRITE_ROWS = 10;
/** One thumbnail every this many seconds while the film is short enough… */
export const THUMB_SECONDS = 10;
/** …and at most this many thumbnails (6 sprites) for any film: the interval grows above 100 minutes. */
export const MAX_THUMBNAILS = 600;

export interface ExtrasOptions {
  /** The probe of the input; probed again when not given. */
  readonly info?: MediaInfo;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: MediaProgress) => void;
}

export interface ThumbnailOptions extends ExtrasOptions {
  /** Seconds between thumbnails (default: `thumbnailInterval(duration)`). */
  readonly intervalSeconds?: number;
}

export interface Poster {
  /** `<outDir>/poster.jpg`. */
  readonly file: string;
  readonly width: number;
  readonly height: number;
}

export interface Thumbnails {
  /** `<outDir>/thumbs/thumbs.vtt`. */
  readonly vtt: string;
  /** `<outDir>/thumbs/sprite_000.jpg`, …, in order. */
  readonly sprites: readonly string[];
  /** Thumbnails (and cues) in all. */
  readonly count: number;
  readonly intervalSeconds: number;
  /** One tile's size, and the grid of a sprite. */
  readonly width: number;
  readonly height: number;
  readonly columns: number;
  readonly rows: number;
}

/** Seconds between thumbnails: 10 s up to 100 minutes, then longer, so no film has more than 600. */
export function thumbnailInterval(duration: number): number {
  return Math.max(THUMB_SECONDS, Math.ceil(duration / MAX_THUMBNAILS));
}

/**
 * Writes `<outDir>/poster.jpg`: the first frame that is not (mostly) black from about a tenth into
 * the film, upright, at most 1280 px wide. A film black there throughout gives the frame at that
 * point all the same.
 */
export async function makePoster(
  tools: Tools,
  input: string,
  outDir: string,
  options: ExtrasOptions = {},
): Promise<Poster> {
  const info = options.info ?? (await probeMedia(tools.ffprobe, input, signalOf(options)));
  const video = requireVideo(info);
  const { width, height } = fitWidth(video, POSTER_MAX_WIDTH);
  const file = path.join(outDir, 'poster.jpg');
  const partial = `${file}.partial`;
  const at = Math.max(0, info.duration * POSTER_AT);
  const scale = `scale=${width}:${height},setsar=1`;
  const notBlack = `blackframe=amount=0,metadata=mode=select:key=lavfi.blackframe.pblack:value=${POSTER_MAX_BLACK}:function=less`;
  // Not black, from a tenth in; else whatever is there; else the very first frame.
  const attempts = [
    { from: at, filter: `${notBlack},${scale}` },
    { from: at, filter: scale },
    { from: 0, filter: scale },
  ];
  await mkdir(outDir, { recursive: true });
  try {
    for (const attempt of attempts) {
      await rm(partial, { force: true });
      const run = await runTool(
        tools.ffmpeg,
        [
          ['-nostdin', '-hide_banner', '-v', 'error', '-y'],
          ['-ss', attempt.from.toFixed(3), '-t', String(POSTER_SEARCH_SECONDS)],
          inputArgs(input),
          ['-map', `0:${video.index}`, '-an', '-sn', '-vf', attempt.filter, '-frames:v', '1'],
          ['-c:v', 'mjpeg', '-q:v', '3', '-f', 'image2', '-update', '1', partial],
        ].flat(),
        signalOf(options),
      );
      if (run.code !== 0)
        throw new MediaError(
          'ENGINE_FAILED',
          errorReason(run.stderr, `ffmpeg exited with code ${String(run.code)}`),
        );
      if (await exists(partial)) {
        await rename(partial, file);
        options.onProgress?.({ percent: 100, seconds: info.duration, speed: null });
        return { file, width, height };
      }
    }
    throw new MediaError('ENGINE_FAILED', 'no frame of the video could be read for the poster');
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

/**
 * Writes `<outDir>/thumbs/`: one 160 px wide thumbnail every `intervalSeconds`, tiled into sprites
 * of up to 10×10 (`sprite_000.jpg`, …; a single sprite is only as big as its thumbnails need),
 * and `thumbs.vtt`, whose cues cover the whole duration, each naming its tile
 * (`sprite_000.jpg#xywh=160,0,160,90`). Decodes keyframes only: a thumbnail is the keyframe
 * nearest its time.
 */
export async function makeThumbnails(
  tools: Tools,
  input: string,
  outDir: string,
  options: ThumbnailOptions = {},
): Promise<Thumbnails> {
  const info = options.info ?? (await probeMedia(tools.ffprobe, input, signalOf(options)));
  const video = requireVideo(info);
  const interval = options.intervalSeconds ?? thumbnailInterval(info.duration);
  const { width, height } = fitWidth(video, THUMB_WIDTH);
  const dir = path.join(outDir, 'thumbs');
  const frames = path.join(outDir, 'thumbs.frames');
  await Promise.all([dir, frames].map((d) => rm(d, { recursive: true, force: true })));
  await mkdir(dir, { recursive: true });
  await mkdir(frames, { recursive: true });
  try {
    const decode = await runTool(
      tools.ffmpeg,
      [
        ['-nostdin', '-hide_banner', '-v', 'error', '-y'],
        // Keyframes only: the decoder skips everything else (an hour of film in seconds).
        ['-skip_frame', 'nokey'],
        inputArgs(input),
        ['-map', `0:${video.index}`, '-an', '-sn'],
        // eof_action=pass: the last keyframes still count when the film ends between two times.
        ['-vf', `fps=1/${interval}:eof_action=pass,scale=${width}:${height},setsar=1`],
        ['-c:v', 'mjpeg', '-q:v', '5', '-f', 'image2', '-start_number', '0'],
        ['-progress', 'pipe:1', '-nostats', path.join(frames, '%06d.jpg')],
      ].flat(),
      { onLine: progressReader(info.duration, options.onProgress), ...signalOf(options) },
    );
    if (decode.code !== 0)
      throw new MediaError(
        'ENGINE_FAILED',
        errorReason(decode.stderr, `ffmpeg exited with code ${String(decode.code)}`),
      );
    const written = (await readdir(frames)).filter((f) => f.endsWith('.jpg')).sort();
    // A frame past the end of the film (rounding at its last second) gets no cue.
    const wanted = info.duration > 0 ? Math.max(1, Math.ceil(info.duration / interval)) : written.length;
    const count = Math.min(written.length, wanted);
    if (count === 0)
      throw new MediaError('ENGINE_FAILED', 'no frame of the video could be read for thumbnails');
    await Promise.all(written.slice(count).map((f) => rm(path.join(frames, f))));
    const columns = Math.min(SPRITE_COLUMNS, count);
    const rows = Math.min(SPRITE_ROWS, Math.ceil(count / columns));
    const tile = await runTool(
      tools.ffmpeg,
      [
        ['-nostdin', '-hide_banner', '-v', 'error', '-y'],
        ['-f', 'image2', '-framerate', '1', '-start_number', '0'],
        ['-protocol_whitelist', 'file', '-i', `file:${path.join(frames, '%06d.jpg')}`],
        ['-vf', `tile=${columns}x${rows}`, '-c:v', 'mjpeg', '-q:v', '5'],
        ['-f', 'image2', '-start_number', '0', path.join(dir, 'sprite_%03d.jpg')],
      ].flat(),
      signalOf(options),
    );
    if (tile.code !== 0)
      throw new MediaError(
        'ENGINE_FAILED',
        errorReason(tile.stderr, `ffmpeg exited with code ${String(tile.code)}`),
      );
    const perSprite = columns * rows;
    const sprites = Array.from({ length: Math.ceil(count / perSprite) }, (_, i) =>
      path.join(dir, spriteName(i)),
    );
    const stored = (await readdir(dir)).filter((f) => f.startsWith('sprite_')).sort();
    if (stored.length !== sprites.length)
      throw new MediaError(
        'ENGINE_FAILED',
        `ffmpeg wrote ${stored.length} thumbnail sprites where ${sprites.length} were expected`,
      );
    const duration = info.duration > 0 ? info.duration : count * interval;
    const vtt = path.join(dir, 'thumbs.vtt');
    await writeFile(vtt, thumbnailTrack({ count, interval, duration, width, height, columns, rows }));
    return { vtt, sprites, count, intervalSeconds: interval, width, height, columns, rows };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  } finally {
    await rm(frames, { recursive: true, force: true });
  }
}

/** `sprite_000.jpg`, `sprite_001.jpg`, … */
export const spriteName = (index: number) => `sprite_${String(index).padStart(3, '0')}.jpg`;

/**
 * The WebVTT track: cue `i` from `i × interval` to the next one (the last to the end of the film),
 * naming tile `i` of the sprites by a media fragment relative to the track.
 */
export function thumbnailTrack(layout: {
  count: number;
  interval: number;
  duration: number;
  width: number;
  height: number;
  columns: number;
  rows: number;
}): string {
  const { count, interval, duration, width, height, columns, rows } = layout;
  const perSprite = columns * rows;
  const lines = ['WEBVTT', ''];
  for (let i = 0; i < count; i++) {
    const start = i * interval;
    const end = i === count - 1 ? Math.max(duration, start + 0.001) : Math.min((i + 1) * interval, duration);
    const place = i % perSprite;
    const x = (place % columns) * width;
    const y = Math.floor(place / columns) * height;
    lines.push(
      `${vttTime(start)} --> ${vttTime(end)}`,
      `${spriteName(Math.floor(i / perSprite))}#xywh=${x},${y},${width},${height}`,
      '',
    );
  }
  return lines.join('\n');
}

/** `hh:mm:ss.mmm`, as WebVTT requires for cue times. */
function vttTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}.${pad(ms % 1000, 3)}`;
}

function requireVideo(info: MediaInfo): VideoStreamInfo {
  if (!info.video) throw new MediaError('NO_VIDEO', 'the file has no video stream to take pictures of');
  return info.video;
}

/** The picture as shown (upright, square pixels), `max` wide at most, even sides (JPEG 4:2:0). */
function fitWidth(video: VideoStreamInfo, max: number): { width: number; height: number } {
  const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);
  const width = even(Math.min(max, video.displayWidth));
  return { width, height: even((width * video.displayHeight) / video.displayWidth) };
}

async function exists(file: string): Promise<boolean> {
  return (await readdir(path.dirname(file))).includes(path.basename(file));
}

function signalOf(options: { signal?: AbortSignal }): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}
