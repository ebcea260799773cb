/**
 * `probe`: what a media file holds, from `ffprobe -print_format json`, as a typed MediaInfo, or a
 * MediaError saying why it is not media (NOT_MEDIA) or was cut short (TRUNCATED).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { MediaError } from './media.errors.js';
import { errorReason, runTool } from './media.process.js';

export type Rotation = 0 | 90 | 180 | 270;

export interface VideoStreamInfo {
  readonly index: number;
  /** ffmpeg's codec name: h264, hevc, vp9, av1, prores, … */
  readonly codec: string;
  /** "High", "Main", "Constrained Baseline", "High 10", …; null when the codec has none. */
  readonly profile: string | null;
  /** H.264/HEVC level as ffprobe gives it (31 = 3.1); null when unknown. */
  readonly level: number | null;
  readonly pixelFormat: string | null;
  /** Coded size, before rotation. */
  readonly width: number;
  readonly height: number;
  /** Clockwise turn a player applies to show the picture upright (display matrix or `rotate` tag). */
  readonly rotation: Rotation;
  /** Size as shown: rotation and a non-square sample aspect ratio applied. */
  readonly displayWidth: number;
  readonly displayHeight: number;
  /** Frames per second (average; the nominal rate when the average is unknown); null when unknown. */
  readonly frameRate: number | null;
  /**
   * The average rate differs from the nominal one by more than 1 %, which is how variable frame
   * rate (phones, screen recordings) shows in a header. A heuristic: only decoding every frame
   * tells for sure.
   */
  readonly variableFrameRate: boolean;
  readonly bitRate: number | null;
}

export interface AudioStreamInfo {
  readonly index: number;
  readonly codec: string;
  /** AAC: "LC", "HE-AAC", "HE-AACv2"; null when the codec has none. */
  readonly profile: string | null;
  readonly channels: number;
  readonly channelLayout: string | null;
  readonly sampleRate: number | null;
  readonly language: string | null;
  /** The track's own name (`title` tag), e.g. "Director's commentary". */
  readonly title: string | null;
  readonly bitRate: number | null;
}

export interface SubtitleStreamInfo {
  readonly index: number;
  readonly codec: string;
  readonly language: string | null;
  readonly title: string | null;
}

export interface MediaInfo {
  /** Seconds. */
  readonly duration: number;
  /** ffmpeg's demuxer names, e.g. "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "hls". */
  readonly container: string;
  /** Bytes on disk. */
  readonly size: number;
  readonly bitRate: number | null;
  /** The first video stream that is not cover art; null for audio-only media. */
  readonly video: VideoStreamInfo | null;
  readonly audio: readonly AudioStreamInfo[];
  readonly subtitles: readonly SubtitleStreamInfo[];
}

export interface ProbeOptions {
  readonly signal?: AbortSignal;
  /**
   * A file the engine wrote itself (a rendition's playlist): playlists are accepted and the end
   * of the file is not read again. Uploads never set it.
   */
  readonly ownOutput?: boolean;
}

/**
 * `file:` makes ffmpeg read the path as a file, never as a protocol (`http:`, `concat:`); the
 * whitelist keeps anything it opens from there (segments of a playlist) on local files.
 */
export function inputArgs(file: string): string[] {
  return ['-protocol_whitelist', 'file', '-i', `file:${path.resolve(file)}`];
}

/**
 * Demuxers an upload may not be read with: text that ffmpeg would draw as a picture (tty, …), and
 * playlists and lists of files, whose entries would make the engine read other files.
 */
const REFUSED_FORMATS = new Set([
  'tty',
  'bin',
  'xbin',
  'idf',
  'adf',
  'hls',
  'concat',
  'dash',
  'webm_dash_manifest',
]);

export async function probeMedia(
  ffprobe: string,
  file: string,
  options: ProbeOptions = {},
): Promise<MediaInfo> {
  const size = (await stat(file)).size;
  const run = await runTool(
    ffprobe,
    [
      ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-show_error'],
      inputArgs(file),
    ].flat(),
    { ...(options.signal ? { signal: options.signal } : {}) },
  );
  const json = parseJson(run.stdout);
  if (run.code !== 0 || json?.error || !json?.format) {
    const fallback = json?.error?.string ?? `ffprobe exited with code ${String(run.code)}`;
    throw new MediaError(
      'NOT_MEDIA',
      `not a media file ffprobe can read (${errorReason(run.stderr, fallback)})`,
    );
  }
  const format = str(json.format.format_name) ?? 'unknown';
  if (!options.ownOutput && format.split(',').some((name) => REFUSED_FORMATS.has(name)))
    throw new MediaError('NOT_MEDIA', `not an audio or video file (ffprobe reads it as ${format})`);
  const info = toMediaInfo(json, size);
  // Timestamps may start anywhere (MPEG-TS often starts at 1.4 s or hours in): the end is start + duration.
  const start = num(json.format.start_time) ?? 0;
  if (!options.ownOutput) await checkEnd(ffprobe, file, info, start, options.signal);
  return info;
}

/** The window of packets read at the end; a cut-short file has none there, or ends before it. */
const END_WINDOW_SECONDS = 3;
/** How far the last packet may end before the header's duration (streams end a little apart). */
const END_TOLERANCE_SECONDS = 1;

/**
 * A file whose header is whole (an MP4 with its index first) but whose data was cut short probes
 * fine; reading its last seconds does not. Costs one ffprobe over a few seconds of packets.
 */
async function checkEnd(
  ffprobe: string,
  file: string,
  info: MediaInfo,
  start: number,
  signal?: AbortSignal,
): Promise<void> {
  const from = Math.max(start, start + info.duration - END_WINDOW_SECONDS);
  const run = await runTool(
    ffprobe,
    [
      // A bounded interval: the npm static ffprobe (2023) reads no packet at all for an open-ended
      // "from%". Its end is absolute, not "+seconds": ffprobe seeks to the keyframe before `from`,
      // which in a file of long GOPs (x264's default is 10 s) is well before it, and a relative end
      // would stop reading there, seconds before the last packet.
      [
        '-v',
        'warning',
        '-read_intervals',
        `${from.toFixed(3)}%${(start + info.duration + END_WINDOW_SECONDS).toFixed(3)}`,
      ],
      ['-show_entries', 'packet=pts_time,duration_time', '-print_format', 'json'],
      inputArgs(file),
    ].flat(),
    { ...(signal ? { signal } : {}) },
  );
  const packets = (parseJson(run.stdout)?.packets ?? []) as { pts_time?: string; duration_time?: string }[];
  const ends = packets.map((p) => (num(p.pts_time) ?? 0) + (num(p.duration_time) ?? 0));
  const end = ends.length > 0 ? Math.max(...ends) - start : 0;
  const partial = /partial file/i.test(run.stderr);
  if (packets.length > 0 && !partial && end >= info.duration - END_TOLERANCE_SECONDS) return;
  throw new MediaError(
    'TRUNCATED',
    `the file is cut short: it ends at ${mb(info.size)}, its data at ${end.toFixed(1)} s of ${info.duration.toFixed(1)} s` +
      (partial ? ` (${errorReason(run.stderr, 'partial file')})` : ''),
  );
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

interface ProbeJson {
  error?: { string?: string };
  format?: Record<string, unknown> & { tags?: Record<string, string> };
  streams?: (Record<string, unknown> & {
    tags?: Record<string, string>;
    disposition?: Record<string, number>;
    side_data_list?: Record<string, unknown>[];
  })[];
  packets?: unknown[];
}

function parseJson(text: string): ProbeJson | null {
  try {
    return JSON.parse(text) as ProbeJson;
  } catch {
    return null;
  }
}

function toMediaInfo(json: ProbeJson, size: number): MediaInfo {
  const format = json.format ?? {};
  const streams = json.streams ?? [];
  const durations = [format.duration, ...streams.map((s) => s.duration)]
    .map(num)
    .filter((d): d is number => d !== null && d > 0);
  const duration = num(format.duration) ?? (durations.length > 0 ? Math.max(...durations) : null);
  const videoStream = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  const audio = streams.filter((s) => s.codec_type === 'audio').map(toAudio);
  if (!videoStream && audio.length === 0)
    throw new MediaError('NOT_MEDIA', 'the file has no audio or video stream');
  if (duration === null || duration <= 0)
    throw new MediaError('NOT_MEDIA', 'the file has no duration (a still image, or a stream without an end)');
  return {
    duration,
    container: str(format.format_name) ?? 'unknown',
    size,
    bitRate: int(format.bit_rate),
    video: videoStream ? toVideo(videoStream) : null,
    audio,
    subtitles: streams
      .filter((s) => s.codec_type === 'subtitle')
      .map((s) => ({
        index: int(s.index) ?? 0,
        codec: str(s.codec_name) ?? 'unknown',
        language: s.tags?.language ?? null,
        title: s.tags?.title ?? null,
      })),
  };
}

type Stream = NonNullable<ProbeJson['streams']>[number];

function toVideo(s: Stream): VideoStreamInfo {
  const width = int(s.width) ?? 0;
  const height = int(s.height) ?? 0;
  const rotation = rotationOf(s);
  const sar = ratio(s.sample_aspect_ratio, ':');
  const shownWidth = Math.round(width * (sar !== null && sar > 0 ? sar : 1));
  const turned = rotation === 90 || rotation === 270;
  const nominal = ratio(s.r_frame_rate, '/');
  const average = ratio(s.avg_frame_rate, '/');
  const level = int(s.level);
  return {
    index: int(s.index) ?? 0,
    codec: str(s.codec_name) ?? 'unknown',
    profile: str(s.profile),
    level: level !== null && level > 0 ? level : null,
    pixelFormat: str(s.pix_fmt),
    width,
    height,
    rotation,
    displayWidth: turned ? height : shownWidth,
    displayHeight: turned ? shownWidth : height,
    frameRate: average ?? nominal,
    variableFrameRate: nominal !== null && average !== null && Math.abs(nominal - average) / nominal > 0.01,
    bitRate: int(s.bit_rate),
  };
}

function toAudio(s: Stream): AudioStreamInfo {
  return {
    index: int(s.index) ?? 0,
    codec: str(s.codec_name) ?? 'unknown',
    profile: str(s.profile),
    channels: int(s.channels) ?? 0,
    channelLayout: str(s.channel_layout),
    sampleRate: int(s.sample_rate),
    language: s.tags?.language ?? null,
    title: s.tags?.title ?? null,
    bitRate: int(s.bit_rate),
  };
}

/**
 * The display matrix's rotation is counter-clockwise (ffprobe ≥ 5); the older `rotate` tag is
 * clockwise. Both become the clockwise quarter turn a player applies, which is also what ffmpeg's
 * autorotate applies when it decodes.
 */
function rotationOf(s: Stream): Rotation {
  const matrix = s.side_data_list?.find(
    (d) => typeof d.rotation === 'number' || typeof d.rotation === 'string',
  );
  const degrees = matrix ? -(num(matrix.rotation) ?? 0) : (num(s.tags?.rotate) ?? 0);
  const quarter = (((Math.round(degrees / 90) * 90) % 360) + 360) % 360;
  return quarter as Rotation;
}

function num(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || value.trim() === '' || value === 'N/A') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function int(value: unknown): number | null {
  const n = num(value);
  return n === null ? null : Math.trunc(n);
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' && value !== 'unknown' ? value : null;
}

/** "30000/1001" or "1:1" → a number; null for 0/0, N/A and other non-rates. */
function ratio(value: unknown, separator: string): number | null {
  if (typeof value !== 'string') return null;
  const [a, b] = value.split(separator).map(Number);
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || a <= 0 || b <= 0)
    return null;
  return a / b;
}
