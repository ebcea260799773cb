/**
 * Where ffmpeg and ffprobe come from, decided once (ADR 0100), each tool on its own:
 *
 * 1. `FFMPEG_PATH` / `FFPROBE_PATH` when set: that binary or an error, never a silent fallback;
 * 2. else `ffmpeg` / `ffprobe` on PATH (Debian's `ffmpeg` package in CI and the image);
 * 3. else the static build the npm packages `@ffmpeg-installer/ffmpeg` and
 *    `@ffprobe-installer/ffprobe` ship, so the all-in-one needs nothing but Node.js.
 *
 * A candidate counts only once `-version` runs; the engine reports which binary it took and its
 * version (`describe()`), for start-up to log.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { MediaError } from './media.errors.js';
import {
  makePoster,
  makeThumbnails,
  type ExtrasOptions,
  type Poster,
  type ThumbnailOptions,
  type Thumbnails,
} from './media.extras.js';
import {
  packageAudioTrack,
  packageSource,
  transcodeRendition,
  type AudioRendition,
  type PackagingOptions,
  type Rendition,
  type Rung,
  type TranscodeOptions,
} from './media.hls.js';
import { runTool } from './media.process.js';
import { probeMedia, type AudioStreamInfo, type MediaInfo, type ProbeOptions } from './media.probe.js';

export type MediaToolName = 'ffmpeg' | 'ffprobe';

export interface MediaTool {
  readonly name: MediaToolName;
  readonly path: string;
  /** `config`: FFMPEG_PATH/FFPROBE_PATH; `system`: found on PATH; `npm`: the packaged static build. */
  readonly source: 'config' | 'system' | 'npm';
  /** As the binary prints it: `5.1.9-0+deb12u1`, `N-47683-g0e8eb07980-static`. */
  readonly version: string;
}

export interface MediaEngineOptions {
  /** FFMPEG_PATH. */
  readonly ffmpegPath?: string | undefined;
  /** FFPROBE_PATH. */
  readonly ffprobePath?: string | undefined;
  /** The directories to search, `path.delimiter`-separated (default: the process's PATH). */
  readonly searchPath?: string | undefined;
}

/** Probing, HLS packaging and the package's pictures on the located binaries. */
export interface MediaEngine {
  readonly ffmpeg: MediaTool;
  readonly ffprobe: MediaTool;
  /** One line for the start-up log: which binaries, from where, which versions. */
  describe(): string;
  /** What the file holds; MediaError NOT_MEDIA or TRUNCATED when it is not playable media. */
  probe(file: string, options?: ProbeOptions): Promise<MediaInfo>;
  /**
   * Remuxes H.264 input (no re-encode) into `<outDir>/source/` and writes `<outDir>/master.m3u8`
   * naming it; MediaError NOT_REMUXABLE with the reasons when the input needs a transcode.
   */
  packageSource(
    input: string,
    outDir: string,
    options?: PackagingOptions,
  ): Promise<{ master: string; rendition: Rendition }>;
  /** Encodes one ladder rung into `<outDir>/<rung.name>/`; the master playlist is the caller's. */
  transcodeRendition(
    input: string,
    outDir: string,
    rung: Rung,
    options?: TranscodeOptions,
  ): Promise<Rendition>;
  /** Packages one audio track (not the first) as the audio-only rendition `<outDir>/<name>/`. */
  packageAudioTrack(
    input: string,
    outDir: string,
    name: string,
    track: AudioStreamInfo,
    options?: PackagingOptions,
  ): Promise<AudioRendition>;
  /**
   * Writes `<outDir>/poster.jpg`: a frame that is not black from about a tenth into the film,
   * upright, at most 1280 px wide. Written whole or not at all.
   */
  poster(input: string, outDir: string, options?: ExtrasOptions): Promise<Poster>;
  /**
   * Writes `<outDir>/thumbs/`: sprites of 160 px wide thumbnails (`sprite_000.jpg`, …) and
   * `thumbs.vtt`, whose cues cover the whole duration with `sprite_NNN.jpg#xywh=x,y,w,h`. Decodes
   * keyframes only. Written whole or not at all.
   */
  thumbnails(input: string, outDir: string, options?: ThumbnailOptions): Promise<Thumbnails>;
}

/** Locates both tools; MediaError ENGINE_NOT_FOUND with every place it looked when one is missing. */
export async function createMediaEngine(options: MediaEngineOptions = {}): Promise<MediaEngine> {
  const searchPath = options.searchPath ?? process.env.PATH ?? '';
  const [ffmpeg, ffprobe] = await Promise.all([
    locate('ffmpeg', options.ffmpegPath, searchPath),
    locate('ffprobe', options.ffprobePath, searchPath),
  ]);
  const tools = { ffmpeg: ffmpeg.path, ffprobe: ffprobe.path };
  return {
    ffmpeg,
    ffprobe,
    describe: () =>
      [ffmpeg, ffprobe].map((t) => `${t.name} ${t.version} (${t.source}: ${t.path})`).join(', '),
    probe: (file, probeOptions) => probeMedia(tools.ffprobe, file, probeOptions),
    packageSource: (input, outDir, packagingOptions) => packageSource(tools, input, outDir, packagingOptions),
    transcodeRendition: (input, outDir, rung, transcodeOptions) =>
      transcodeRendition(tools, input, outDir, rung, transcodeOptions),
    packageAudioTrack: (input, outDir, name, track, packagingOptions) =>
      packageAudioTrack(tools, input, outDir, name, track, packagingOptions),
    poster: (input, outDir, extrasOptions) => makePoster(tools, input, outDir, extrasOptions),
    thumbnails: (input, outDir, thumbnailOptions) => makeThumbnails(tools, input, outDir, thumbnailOptions),
  };
}

const NPM_PACKAGES: Record<MediaToolName, string> = {
  ffmpeg: '@ffmpeg-installer/ffmpeg',
  ffprobe: '@ffprobe-installer/ffprobe',
};
const SETTINGS: Record<MediaToolName, string> = { ffmpeg: 'FFMPEG_PATH', ffprobe: 'FFPROBE_PATH' };

async function locate(
  name: MediaToolName,
  configured: string | undefined,
  searchPath: string,
): Promise<MediaTool> {
  if (configured) {
    const version = await versionOf(name, configured);
    if (typeof version !== 'string')
      throw new MediaError(
        'ENGINE_NOT_FOUND',
        `${SETTINGS[name]}=${configured} does not run: ${version.problem}`,
      );
    return { name, path: configured, source: 'config', version };
  }
  const tried: string[] = [];
  const onPath = await findOnPath(name, searchPath);
  if (onPath) {
    const version = await versionOf(name, onPath);
    if (typeof version === 'string') return { name, path: onPath, source: 'system', version };
    tried.push(`${onPath}: ${version.problem}`);
  } else tried.push(`no ${name} on PATH`);
  const packaged = npmBinary(name);
  if ('path' in packaged) {
    const version = await versionOf(name, packaged.path);
    if (typeof version === 'string') return { name, path: packaged.path, source: 'npm', version };
    tried.push(`${packaged.path}: ${version.problem}`);
  } else tried.push(packaged.problem);
  throw new MediaError(
    'ENGINE_NOT_FOUND',
    `${name} not found (${tried.join('; ')}): install ffmpeg (Debian: apt-get install ffmpeg) or set ${SETTINGS[name]}`,
  );
}

async function findOnPath(name: MediaToolName, searchPath: string): Promise<string | null> {
  const file = process.platform === 'win32' ? `${name}.exe` : name;
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, file);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** The packaged static build's path, or why there is none (not installed, no build for this platform). */
function npmBinary(name: MediaToolName): { path: string } | { problem: string } {
  try {
    const loaded = createRequire(import.meta.url)(NPM_PACKAGES[name]) as { path?: unknown };
    if (typeof loaded.path === 'string') return { path: loaded.path };
    return { problem: `${NPM_PACKAGES[name]} names no binary` };
  } catch (error) {
    // These packages throw plain strings ("Unsupported platform/architecture: …").
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { problem: `${NPM_PACKAGES[name]}: ${message}` };
  }
}

async function versionOf(name: MediaToolName, bin: string): Promise<string | { problem: string }> {
  try {
    const run = await runTool(bin, ['-hide_banner', '-version']);
    const version = new RegExp(`^${name} version (\\S+)`).exec(run.stdout)?.[1];
    if (run.code === 0 && version) return version;
    return { problem: `\`${path.basename(bin)} -version\` did not print a ${name} version` };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}
