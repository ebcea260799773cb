/**
 * HLS VOD packaging (ADR 0100): fMP4 (CMAF) segments of about six seconds, one folder per
 * rendition (`<outDir>/<name>/index.m3u8`, `init.mp4`, `seg_00000.m4s`, …) and a master playlist
 * (`<outDir>/master.m3u8`) that this module writes itself, so renditions can join it as they finish.
 *
 * - `packageSource` is the remux path: H.264 input is repackaged with `-c copy` (AAC audio too;
 *   other audio becomes AAC, which costs little), so it plays at source quality in seconds.
 * - `transcodeRendition` makes one ladder rung with libx264 and AAC, keyframes every segment.
 *
 * A rendition folder is written whole or not at all: on failure or abort it is removed.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MediaError } from './media.errors.js';
import { errorReason, runTool } from './media.process.js';
import {
  inputArgs,
  probeMedia,
  type AudioStreamInfo,
  type MediaInfo,
  type VideoStreamInfo,
} from './media.probe.js';

/** Apple's HLS authoring specification: 6 s segments, a keyframe at the start of each. */
export const SEGMENT_SECONDS = 6;

/** One rung of the ladder: its height (the shorter side, for portrait video) and bitrates in bit/s. */
export interface Rung {
  readonly name: string;
  readonly height: number;
  readonly videoBitrate: number;
  readonly audioBitrate: number;
}

/** H.264 + AAC, after Apple's authoring specification; capped at the source by `ladderFor`. */
export const LADDER: readonly Rung[] = [
  { name: '1080p', height: 1080, videoBitrate: 6_000_000, audioBitrate: 128_000 },
  { name: '720p', height: 720, videoBitrate: 3_000_000, audioBitrate: 128_000 },
  { name: '480p', height: 480, videoBitrate: 1_400_000, audioBitrate: 128_000 },
  { name: '360p', height: 360, videoBitrate: 800_000, audioBitrate: 96_000 },
  { name: '240p', height: 240, videoBitrate: 400_000, audioBitrate: 64_000 },
];

/** The rungs at or below the source's shorter side: the ladder never scales up. */
export function ladderFor(info: MediaInfo): Rung[] {
  if (!info.video) return [];
  const short = Math.min(info.video.displayWidth, info.video.displayHeight);
  return LADDER.filter((rung) => rung.height <= short);
}

/** Why `packageSource` cannot take this input as it is (empty: it can). */
export function remuxBlockers(info: MediaInfo): string[] {
  const v = info.video;
  if (!v) return ['it has no video stream'];
  const reasons: string[] = [];
  if (v.codec !== 'h264') reasons.push(`the video is ${v.codec}, not H.264`);
  else if (!v.profile || !(v.profile in AVC_PROFILES))
    reasons.push(`H.264 profile ${v.profile ?? 'unknown'} does not play in every browser`);
  if (v.pixelFormat !== 'yuv420p' && v.pixelFormat !== 'yuvj420p')
    reasons.push(`pixel format ${v.pixelFormat ?? 'unknown'} is not 8-bit 4:2:0`);
  if (v.rotation !== 0) reasons.push(`it is rotated ${v.rotation}° (HLS players ignore the rotation)`);
  if (v.variableFrameRate) reasons.push('its frame rate is variable');
  if (v.frameRate === null || v.frameRate > 60.5) reasons.push('its frame rate is unknown or above 60');
  return reasons;
}

/**
 * The streams of a video rendition: the first video stream and the first audio stream, if any;
 * the video alone when the film's audio tracks are packaged apart (`separateAudio`).
 */
const streamsOf = (options: PackagingOptions): readonly (readonly string[])[] =>
  options.separateAudio
    ? [['-map', '0:v:0', '-an']]
    : [
        ['-map', '0:v:0'],
        ['-map', '0:a:0?'],
      ];

/** A finished rendition, as the master playlist lists it. */
export interface Rendition {
  readonly name: string;
  /** Relative to the package folder: `<name>/index.m3u8`. */
  readonly playlist: string;
  readonly width: number;
  readonly height: number;
  readonly frameRate: number | null;
  /** RFC 6381 codecs, e.g. `avc1.64001f,mp4a.40.2`. */
  readonly codecs: string;
  /** Peak segment bitrate (bit/s), as BANDWIDTH requires. */
  readonly bandwidth: number;
  readonly averageBandwidth: number;
  /** Seconds. */
  readonly duration: number;
}

export interface MediaProgress {
  /** 0–100, against the probed duration. */
  readonly percent: number;
  /** Seconds of output written. */
  readonly seconds: number;
  /** × real time, when ffmpeg knows it. */
  readonly speed: number | null;
}

export interface PackagingOptions {
  /** The probe of the input; probed again when not given. */
  readonly info?: MediaInfo;
  readonly segmentSeconds?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: MediaProgress) => void;
  /** Video only: the film's audio tracks are renditions of their own (`packageAudioTrack`). */
  readonly separateAudio?: boolean;
}

export interface TranscodeOptions extends PackagingOptions {
  /** libx264 preset: `veryfast` by default (ultrafast in tests). */
  readonly preset?: string;
}

export interface Tools {
  readonly ffmpeg: string;
  readonly ffprobe: string;
}

/** Remuxes H.264 input into the `source` rendition and writes a master playlist naming it alone. */
export async function packageSource(
  tools: Tools,
  input: string,
  outDir: string,
  options: PackagingOptions = {},
): Promise<{ master: string; rendition: Rendition }> {
  const info = options.info ?? (await probeMedia(tools.ffprobe, input, signalOf(options)));
  const blockers = remuxBlockers(info);
  if (blockers.length > 0)
    throw new MediaError('NOT_REMUXABLE', `transcode it instead: ${blockers.join('; ')}`);
  const audio = options.separateAudio ? undefined : info.audio[0];
  const audioArgs = !audio
    ? []
    : audio.codec === 'aac'
      ? ['-c:a', 'copy']
      : ['-c:a', 'aac', '-b:a', '128k', '-ac', '2'];
  const rendition = await writeRendition(tools, input, outDir, 'source', info, options, [
    ...streamsOf(options),
    ['-c:v', 'copy'],
    audioArgs,
  ]);
  const master = await writeMasterPlaylist(outDir, [rendition]);
  return { master, rendition };
}

/**
 * Encodes one rung into `<outDir>/<rung.name>/`: autorotated upright, scaled to the rung (never
 * above the source), constant frame rate, a keyframe at every segment start. The master playlist
 * is left to the caller (`writeMasterPlaylist` with every finished rendition).
 */
export async function transcodeRendition(
  tools: Tools,
  input: string,
  outDir: string,
  rung: Rung,
  options: TranscodeOptions = {},
): Promise<Rendition> {
  const info = options.info ?? (await probeMedia(tools.ffprobe, input, signalOf(options)));
  const video = info.video;
  if (!video) throw new MediaError('NO_VIDEO', 'the file has no video stream to encode');
  const seconds = options.segmentSeconds ?? SEGMENT_SECONDS;
  const { width, height } = scaledSize(video, rung.height);
  const fps = outputFrameRate(video.frameRate);
  const gop = Math.max(1, Math.round(fps.value * seconds));
  return writeRendition(tools, input, outDir, rung.name, info, options, [
    ...streamsOf(options),
    // ffmpeg turns rotated input upright while decoding (autorotate) and drops the rotation.
    ['-vf', `scale=${width}:${height},setsar=1,fps=${fps.text}`],
    ['-c:v', 'libx264', '-preset', options.preset ?? 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p'],
    // Capped CRF: constant quality, never above the rung's bitrate for long.
    ['-crf', '21', '-maxrate', String(rung.videoBitrate), '-bufsize', String(rung.videoBitrate * 2)],
    // A keyframe at every segment start, and only there: segments of every rung line up.
    ['-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0'],
    ['-force_key_frames', `expr:gte(t,n_forced*${seconds})`],
    options.separateAudio
      ? []
      : ['-c:a', 'aac', '-b:a', String(rung.audioBitrate), '-ac', '2', '-ar', '48000'],
  ]);
}

/**
 * One of a film's audio tracks as an audio-only rendition (`<name>/index.m3u8`), for films of
 * more than one track, whose video renditions then carry no audio (ADR 0100).
 */
export interface AudioRendition {
  readonly name: string;
  /** Relative to the package folder: `<name>/index.m3u8`. */
  readonly playlist: string;
  /** RFC 5646 (`en`, `ru`), from the file's ISO 639 tag; null when it names none. */
  readonly language: string | null;
  /** What players list: the track's title, else its language's name, else "Track <n>". */
  readonly label: string;
  readonly channels: number;
  /** RFC 6381, e.g. `mp4a.40.2`. */
  readonly codecs: string;
  readonly bandwidth: number;
  readonly averageBandwidth: number;
  /** Seconds. */
  readonly duration: number;
}

/**
 * Packages the input's audio stream `track` into `<outDir>/<name>/`: copied when it is AAC in
 * stereo or mono, else AAC stereo at 128 kbit/s (5.1 is mixed down, as in the video renditions).
 */
export async function packageAudioTrack(
  tools: Tools,
  input: string,
  outDir: string,
  name: string,
  track: AudioStreamInfo,
  options: PackagingOptions = {},
): Promise<AudioRendition> {
  const info = options.info ?? (await probeMedia(tools.ffprobe, input, signalOf(options)));
  const copy = track.codec === 'aac' && track.channels <= 2;
  const position = info.audio.indexOf(track);
  return writeRendition(
    tools,
    input,
    outDir,
    name,
    info,
    options,
    [
      ['-map', `0:${track.index}`, '-vn', '-sn', '-dn'],
      copy ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-ar', '48000'],
    ],
    async (dir) => {
      const playlist = path.join(dir, 'index.m3u8');
      const out = await probeMedia(tools.ffprobe, playlist, { ownOutput: true, ...signalOf(options) });
      const audio = out.audio[0];
      if (!audio) throw new MediaError('ENGINE_FAILED', 'the audio rendition has no audio stream');
      const rates = await bitrates(dir, await readFile(playlist, 'utf8'));
      return {
        name,
        playlist: `${name}/index.m3u8`,
        language: languageTag(track.language),
        label: trackLabel(track, position),
        channels: audio.channels,
        codecs: aacCodec(audio.profile),
        ...rates,
      };
    },
  );
}

/** An ISO 639 tag as RFC 5646 (`rus` → `ru`); null for none, `und` and what is not a language. */
export function languageTag(tag: string | null): string | null {
  if (!tag || !/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/.test(tag) || /^und$/i.test(tag)) return null;
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? null;
  } catch {
    return null;
  }
}

/** What players list for the input's audio track at `position`: its title, its language, or its number. */
export function trackLabel(track: AudioStreamInfo, position: number): string {
  const language = languageTag(track.language);
  const name = language
    ? new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' }).of(language)
    : undefined;
  return track.title?.trim() || name || `Track ${position + 1}`;
}

/** A film's audio tracks when it has more than one, each a rendition; the first plays by default. */
export interface MasterAudio {
  readonly tracks: readonly AudioRendition[];
}

export interface MasterOptions {
  readonly audio?: MasterAudio | undefined;
  readonly subtitles?: readonly SubtitleRendition[] | undefined;
}

/** Writes `<outDir>/master.m3u8` (through a temporary file, so readers never see half of it). */
export async function writeMasterPlaylist(
  outDir: string,
  renditions: readonly Rendition[],
  options: MasterOptions = {},
): Promise<string> {
  const file = path.join(outDir, 'master.m3u8');
  await writeFile(`${file}.tmp`, masterPlaylist(renditions, options));
  await rename(`${file}.tmp`, file);
  return file;
}

/** A subtitle rendition of the master playlist: a WebVTT track with its own media playlist. */
export interface SubtitleRendition {
  /** BCP 47 language tag. */
  readonly lang: string;
  /** What players show; no `"` or control characters. */
  readonly name: string;
  /** Relative to the package folder: `subs/<lang>/index.m3u8`. */
  readonly uri: string;
}

/** The group of subtitle renditions every variant names. */
const SUBTITLE_GROUP = 'subs';

/**
 * The master playlist: one variant per rendition, highest bandwidth first; for a film of several
 * audio tracks an `AUDIO` group of them (the first DEFAULT) that every variant names, a variant's
 * BANDWIDTH and CODECS then counting its largest track, which a player downloads with it; and the
 * subtitle renditions (none, or a group every variant names; off unless the viewer turns one on).
 */
export function masterPlaylist(renditions: readonly Rendition[], options: MasterOptions = {}): string {
  const lines = ['#EXTM3U', '#EXT-X-INDEPENDENT-SEGMENTS'];
  const tracks = options.audio?.tracks ?? [];
  const names = new Set<string>();
  const unique = (label: string) => {
    const clean = label.replace(/["\r\n]/g, "'").trim() || 'Audio';
    let name = clean;
    for (let n = 2; names.has(name); n++) name = `${clean} (${n})`;
    names.add(name);
    return name;
  };
  tracks.forEach((track, i) => {
    const attributes = [
      'TYPE=AUDIO',
      'GROUP-ID="audio"',
      `NAME="${unique(track.label)}"`,
      ...(track.language ? [`LANGUAGE="${track.language}"`] : []),
      `CHANNELS="${track.channels}"`,
      i === 0 ? 'DEFAULT=YES' : 'DEFAULT=NO',
      'AUTOSELECT=YES',
      `URI="${track.playlist}"`,
    ];
    lines.push(`#EXT-X-MEDIA:${attributes.join(',')}`);
  });
  const subtitles = options.subtitles ?? [];
  for (const s of subtitles) {
    const attributes = [
      'TYPE=SUBTITLES',
      `GROUP-ID="${SUBTITLE_GROUP}"`,
      `NAME="${s.name}"`,
      `LANGUAGE="${s.lang}"`,
      'DEFAULT=NO',
      'AUTOSELECT=YES',
      `URI="${s.uri}"`,
    ];
    lines.push(`#EXT-X-MEDIA:${attributes.join(',')}`);
  }
  const peak = Math.max(0, ...tracks.map((t) => t.bandwidth));
  const average = Math.max(0, ...tracks.map((t) => t.averageBandwidth));
  const audioCodecs = [...new Set(tracks.map((t) => t.codecs))];
  for (const r of [...renditions].sort((a, b) => b.bandwidth - a.bandwidth)) {
    const attributes = [
      `BANDWIDTH=${r.bandwidth + peak}`,
      `AVERAGE-BANDWIDTH=${r.averageBandwidth + average}`,
      `CODECS="${[r.codecs, ...audioCodecs].join(',')}"`,
      `RESOLUTION=${r.width}x${r.height}`,
      ...(r.frameRate !== null ? [`FRAME-RATE=${r.frameRate.toFixed(3)}`] : []),
      ...(tracks.length > 0 ? ['AUDIO="audio"'] : []),
      ...(subtitles.length > 0 ? [`SUBTITLES="${SUBTITLE_GROUP}"`] : []),
    ];
    lines.push(`#EXT-X-STREAM-INF:${attributes.join(',')}`, r.playlist);
  }
  return lines.join('\n') + '\n';
}

/** The media playlist of a subtitle rendition: one WebVTT file (`vtt`) spanning the whole film. */
export function subtitlePlaylist(durationSeconds: number, vtt: string): string {
  return (
    [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      `#EXT-X-TARGETDURATION:${Math.max(1, Math.ceil(durationSeconds))}`,
      '#EXT-X-MEDIA-SEQUENCE:0',
      '#EXT-X-PLAYLIST-TYPE:VOD',
      `#EXTINF:${durationSeconds.toFixed(3)},`,
      vtt,
      '#EXT-X-ENDLIST',
    ].join('\n') + '\n'
  );
}

async function writeRendition<T = Rendition>(
  tools: Tools,
  input: string,
  outDir: string,
  name: string,
  info: MediaInfo,
  options: PackagingOptions,
  codecArgs: readonly (readonly string[])[],
  describe: (dir: string) => Promise<T> = (dir) =>
    describeRendition(tools, dir, name, options.signal) as Promise<T>,
): Promise<T> {
  const dir = path.join(outDir, name);
  const seconds = options.segmentSeconds ?? SEGMENT_SECONDS;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    const progress = progressReader(info.duration, options.onProgress);
    const args = [
      ['-nostdin', '-hide_banner', '-v', 'error', '-y'],
      inputArgs(input),
      ...codecArgs,
      ['-f', 'hls', '-hls_time', String(seconds), '-hls_playlist_type', 'vod'],
      ['-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4'],
      ['-hls_segment_filename', 'seg_%05d.m4s', '-hls_flags', 'independent_segments'],
      ['-progress', 'pipe:1', '-nostats'],
      ['index.m3u8'],
    ].flat();
    const run = await runTool(tools.ffmpeg, args, { cwd: dir, onLine: progress, ...signalOf(options) });
    if (run.code !== 0)
      throw new MediaError(
        'ENGINE_FAILED',
        errorReason(run.stderr, `ffmpeg exited with code ${String(run.code)}`),
      );
    return await describe(dir);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Reads what was written: the picture from a probe of the playlist, the bitrates from the segments. */
async function describeRendition(
  tools: Tools,
  dir: string,
  name: string,
  signal?: AbortSignal,
): Promise<Rendition> {
  const playlist = path.join(dir, 'index.m3u8');
  const out = await probeMedia(tools.ffprobe, playlist, { ownOutput: true, ...(signal ? { signal } : {}) });
  const video = out.video;
  if (!video) throw new MediaError('ENGINE_FAILED', 'the rendition has no video stream');
  const audio = out.audio[0];
  return {
    name,
    playlist: `${name}/index.m3u8`,
    width: video.displayWidth,
    height: video.displayHeight,
    frameRate: video.frameRate,
    codecs: [avcCodec(video), ...(audio ? [aacCodec(audio.profile)] : [])].join(','),
    ...(await bitrates(dir, await readFile(playlist, 'utf8'))),
  };
}

/** Peak and average bitrate of a rendition's segments (bit/s), and its duration (s). */
async function bitrates(
  dir: string,
  playlist: string,
): Promise<{ bandwidth: number; averageBandwidth: number; duration: number }> {
  const segments = await segmentsOf(dir, playlist);
  const duration = segments.reduce((sum, s) => sum + s.duration, 0);
  const bytes = segments.reduce((sum, s) => sum + s.bytes, 0);
  const peak = Math.max(0, ...segments.map((s) => (s.duration > 0 ? (s.bytes * 8) / s.duration : 0)));
  return {
    bandwidth: Math.ceil(peak),
    averageBandwidth: duration > 0 ? Math.ceil((bytes * 8) / duration) : 0,
    duration,
  };
}

async function segmentsOf(dir: string, playlist: string): Promise<{ duration: number; bytes: number }[]> {
  const segments: { duration: number; bytes: number }[] = [];
  let duration: number | null = null;
  for (const raw of playlist.split('\n')) {
    const line = raw.trim();
    const extinf = /^#EXTINF:([\d.]+)/.exec(line);
    if (extinf) duration = Number(extinf[1]);
    else if (line && !line.startsWith('#') && duration !== null) {
      segments.push({ duration, bytes: (await stat(path.join(dir, line))).size });
      duration = null;
    }
  }
  return segments;
}

/** profile_idc and constraint flags of the H.264 profiles players take (RFC 6381 `avc1.PPCCLL`). */
const AVC_PROFILES: Record<string, string> = {
  'Constrained Baseline': '42e0',
  Baseline: '4200',
  Main: '4d40',
  High: '6400',
};

function avcCodec(video: VideoStreamInfo): string {
  const profile = AVC_PROFILES[video.profile ?? ''] ?? '6400';
  const level = (video.level ?? 40).toString(16).padStart(2, '0');
  return `avc1.${profile}${level}`;
}

function aacCodec(profile: string | null): string {
  if (profile === 'HE-AAC') return 'mp4a.40.5';
  if (profile === 'HE-AACv2') return 'mp4a.40.29';
  return 'mp4a.40.2';
}

/** The rung's height on the shorter side, kept at or below the source, even (4:2:0 needs it). */
function scaledSize(video: VideoStreamInfo, rungHeight: number): { width: number; height: number } {
  const { displayWidth: w, displayHeight: h } = video;
  const short = Math.min(rungHeight, w, h);
  const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);
  return h <= w
    ? { width: even((w * short) / h), height: even(short) }
    : { width: even(short), height: even((h * short) / w) };
}

/** Standard rates kept exactly (23.976 stays 24000/1001); odd and variable rates snap to the nearest. */
const RATES: readonly { value: number; text: string }[] = [
  { value: 24000 / 1001, text: '24000/1001' },
  { value: 24, text: '24' },
  { value: 25, text: '25' },
  { value: 30000 / 1001, text: '30000/1001' },
  { value: 30, text: '30' },
  { value: 50, text: '50' },
  { value: 60000 / 1001, text: '60000/1001' },
  { value: 60, text: '60' },
];

function outputFrameRate(rate: number | null): { value: number; text: string } {
  const target = rate ?? 25;
  return RATES.reduce((best, r) => (Math.abs(r.value - target) < Math.abs(best.value - target) ? r : best));
}

/** ffmpeg's `-progress` lines → MediaProgress at each block's `progress=` line. */
export function progressReader(
  duration: number,
  onProgress?: (progress: MediaProgress) => void,
): (line: string) => void {
  let seconds = 0;
  let speed: number | null = null;
  return (line) => {
    const eq = line.indexOf('=');
    if (eq < 0 || !onProgress) return;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    // out_time_ms is in microseconds too (an old misnomer ffmpeg keeps); 4.x has only that one.
    if (key === 'out_time_us' || key === 'out_time_ms') {
      const us = Number(value);
      if (Number.isFinite(us) && us >= 0) seconds = us / 1e6;
    } else if (key === 'speed') {
      const x = parseFloat(value);
      speed = Number.isFinite(x) ? x : null;
    } else if (key === 'progress') {
      const done = value === 'end';
      const percent = done ? 100 : Math.min(99.9, duration > 0 ? (seconds / duration) * 100 : 0);
      onProgress({ percent: Math.round(percent * 10) / 10, seconds, speed });
    }
  };
}

function signalOf(options: { signal?: AbortSignal }): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}
