/**
 * What of a published package players may fetch, and how it is served: the file names of the
 * package layout (ADR 0100), their content types and cache lifetimes, and the extras (poster,
 * thumbnails, subtitles) a playback response points to.
 */
import type { SubtitleRendition } from '../media/media.hls.js';
import type { Subtitle, VideoRow } from './video.repository.js';

/**
 * The names a signed path may ask for, relative to the package folder. Anything else (`..`,
 * encoded slashes, backslashes, other files) is not served.
 */
const PACKAGE_FILE = [
  /^master\.m3u8$/,
  /^[a-z0-9]{1,16}\/(?:index\.m3u8|init\.mp4|seg_[0-9]{5,9}\.m4s)$/,
  /^poster\.jpg$/,
  /^thumbs\/(?:thumbs\.vtt|sprite_[0-9]{3,6}\.jpg)$/,
  /^subs\/[A-Za-z0-9-]{2,35}\/(?:index\.m3u8|subs\.vtt)$/,
];

export function isPackageFile(name: string): boolean {
  return PACKAGE_FILE.some((pattern) => pattern.test(name));
}

/** `subs/<lang>/<file>`: a subtitle rendition's playlist or track, served from the film's list. */
const SUBTITLE_FILE = /^subs\/([A-Za-z0-9-]{2,35})\/(index\.m3u8|subs\.vtt)$/;

export function subtitleFileOf(name: string): { lang: string; file: 'index.m3u8' | 'subs.vtt' } | null {
  const match = SUBTITLE_FILE.exec(name);
  return match ? { lang: match[1]!, file: match[2] as 'index.m3u8' | 'subs.vtt' } : null;
}

/** The film's subtitle tracks as renditions of its master playlist. */
export function subtitleRenditions(subtitles: readonly Subtitle[]): SubtitleRendition[] {
  return subtitles.map((s) => ({ lang: s.lang, name: s.label, uri: `subs/${s.lang}/index.m3u8` }));
}

const CONTENT_TYPES: Record<string, string> = {
  m3u8: 'application/vnd.apple.mpegurl',
  m4s: 'video/iso.segment',
  mp4: 'video/mp4',
  jpg: 'image/jpeg',
  vtt: 'text/vtt; charset=utf-8',
};

export function contentTypeOf(name: string): string {
  return CONTENT_TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
}

/**
 * Playlists may change under the same name (the master gains renditions as lower rungs join), and
 * so may subtitle tracks (an editor replaces one), so caches keep them for seconds; every other
 * file of a package is written once and never changed.
 */
export function cacheControlOf(name: string): string {
  return name.endsWith('.m3u8') || name.startsWith('subs/')
    ? 'public, max-age=5'
    : 'public, max-age=31536000, immutable';
}

export interface PlaybackExtras {
  readonly poster: string | null;
  readonly thumbnails: string | null;
  readonly subtitles: readonly { lang: string; label: string; url: string }[];
}

/**
 * The poster frame, thumbnail track and subtitles of the film's published package, as URLs under
 * `base` (the signed package folder, ending in `/`): the track names its sprites relative to
 * itself, so they are fetched under the same signed path. Null for what the package lacks.
 */
export function playbackExtras(row: VideoRow, base: string): PlaybackExtras {
  return {
    poster: row.extras.poster ? `${base}poster.jpg` : null,
    thumbnails: row.extras.thumbnails ? `${base}thumbs/thumbs.vtt` : null,
    subtitles: row.subtitles.map((s) => ({
      lang: s.lang,
      label: s.label,
      url: `${base}subs/${s.lang}/subs.vtt`,
    })),
  };
}
