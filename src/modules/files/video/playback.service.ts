/**
 * Playback of a film: who may watch it gets a signed URL of its published package (valid until a
 * rounded expiry, so viewers of the same film share URLs and edge caches hit), and the package's
 * files are served to whoever holds such a URL, from either blob store.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobRead, BlobStore, ByteRange } from '../../../ports/blob.js';
import type { Clock } from '../../../platform/clock.js';
import { platformErrors } from '../../../platform/errors.js';
import type { Principal } from '../../../platform/security.js';
import { canSee, catalogErrors } from '../../catalog/index.js';
import { filesErrors } from '../files.errors.js';
import type { FilesRepository } from '../files.repository.js';
import { parsePlaybackToken, type PlaybackSigner } from './playback.links.js';
import { masterPlaylist, subtitlePlaylist } from '../media/media.hls.js';
import {
  isPackageFile,
  playbackExtras,
  subtitleFileOf,
  subtitleRenditions,
  type PlaybackExtras,
} from './playback.package.js';
import { subtitleKey, videoPrefix } from './video.pipeline.js';
import type { VideoRepository, VideoRow } from './video.repository.js';

/** Expiries are rounded up to this many seconds, so URLs signed within it are the same URL. */
export const EXPIRY_STEP_SECONDS = 600;

export interface PlaybackServiceDeps {
  readonly files: Pick<FilesRepository, 'filmAccess'>;
  readonly videos: Pick<VideoRepository, 'find'>;
  readonly blob: BlobStore;
  readonly clock: Clock;
  readonly signer: PlaybackSigner;
  /** Least lifetime of a playback URL, seconds (the expiry is then rounded up). */
  readonly ttlSeconds: number;
  /** Prepended to package URLs: PUBLIC_URL, or '' for URLs relative to the site's origin. */
  readonly urlBase: string;
}

export interface Playback extends PlaybackExtras {
  readonly filmId: string;
  readonly hlsUrl: string;
  readonly expiresAt: Date;
  /** Seconds. */
  readonly duration: number;
  readonly renditions: readonly { name: string; width: number; height: number; bandwidth: number }[];
}

/** A file of a package a valid token names. */
export interface PackageFile {
  readonly name: string;
  readonly size: number;
  /** Quoted; changes whenever the bytes do. */
  readonly etag: string;
  /** A stored blob, or bytes made for the request (playlists that name the film's subtitles). */
  readonly source: { readonly key: string } | { readonly body: Buffer };
}

const PACKAGE_PREFIX = /^videos\/([0-9a-f-]{36})\/([0-9a-f-]{36})\/$/;

export function createPlaybackService(deps: PlaybackServiceDeps) {
  const { files, videos, blob, clock, signer } = deps;

  return {
    /** The signed package URL of a film `principal` may see; 401/403/404 otherwise. */
    async playback(filmId: string, principal: Principal): Promise<Playback> {
      const access = await files.filmAccess(filmId);
      if (access === null) throw catalogErrors.FILM_NOT_FOUND();
      if (!canSee(principal, access)) {
        if (principal.kind === 'anonymous') throw platformErrors.AUTHENTICATION_REQUIRED();
        throw catalogErrors.FILM_ACCESS_DENIED(
          access === 'PAID' ? {} : { detail: 'This film is not available.' },
        );
      }
      const row = await videos.find(filmId);
      if (!row) throw filesErrors.VIDEO_NOT_FOUND();
      const published = row.prefix === null ? null : PACKAGE_PREFIX.exec(row.prefix);
      if (!published || row.renditions.length === 0) throw filesErrors.VIDEO_NOT_READY();
      const jobId = published[2]!;
      const now = Math.floor(clock.now().getTime() / 1000);
      const expires = Math.ceil((now + deps.ttlSeconds) / EXPIRY_STEP_SECONDS) * EXPIRY_STEP_SECONDS;
      const base = `${deps.urlBase}/api/v1/hls/${signer.token(filmId, jobId, expires)}/`;
      return {
        filmId,
        hlsUrl: `${base}master.m3u8`,
        expiresAt: new Date(expires * 1000),
        duration: durationOf(row),
        renditions: row.renditions.map(({ name, width, height, bandwidth }) => ({
          name,
          width,
          height,
          bandwidth,
        })),
        ...playbackExtras(row, base),
      };
    },

    /**
     * The file `name` of the package a path token names: 403 for a token that is not one of
     * ours or has expired, 404 for a name outside the package layout or a file not (or no
     * longer) stored.
     */
    async file(token: string, name: string): Promise<PackageFile> {
      const parsed = parsePlaybackToken(token);
      if (!parsed || !signer.verify(parsed)) throw filesErrors.PLAYBACK_LINK_INVALID();
      if (clock.now().getTime() > parsed.expires * 1000) throw filesErrors.PLAYBACK_LINK_EXPIRED();
      if (!isPackageFile(name)) throw filesErrors.PLAYBACK_FILE_NOT_FOUND();
      const prefix = videoPrefix(parsed.filmId, parsed.jobId);
      const subtitle = subtitleFileOf(name);
      if (name === 'master.m3u8' || subtitle) {
        // Subtitles belong to the film, not to a package: the published package serves them.
        const row = await videos.find(parsed.filmId);
        const live = row && row.prefix === prefix && row.subtitles.length > 0 ? row : null;
        if (subtitle) {
          const track = live?.subtitles.find((s) => s.lang === subtitle.lang);
          if (!live || !track) throw filesErrors.PLAYBACK_FILE_NOT_FOUND();
          if (subtitle.file === 'index.m3u8')
            return generated(name, subtitlePlaylist(durationOf(live), 'subs.vtt'));
          return stored(name, subtitleKey(parsed.filmId, track.lang));
        }
        if (live)
          return generated(
            name,
            masterPlaylist(live.renditions, {
              audio: live.extras.audio,
              subtitles: subtitleRenditions(live.subtitles),
            }),
          );
      }
      return stored(name, `${prefix}${name}`);
    },

    /** The bytes of `file` (a range of them); 404 when it went away since `file()`. */
    async read(file: PackageFile, range?: ByteRange): Promise<BlobRead> {
      if ('body' in file.source) {
        const { body } = file.source;
        const whole = { start: 0, end: body.length - 1 };
        const part = range ? { start: range.start, end: Math.min(range.end, body.length - 1) } : whole;
        return {
          body: Readable.from([body.subarray(part.start, part.end + 1)]),
          size: body.length,
          range: part,
        };
      }
      const read = await blob.get(file.source.key, range);
      if (!read) throw filesErrors.PLAYBACK_FILE_NOT_FOUND();
      return read;
    },
  };

  async function stored(name: string, key: string): Promise<PackageFile> {
    const info = await blob.head(key);
    if (!info) throw filesErrors.PLAYBACK_FILE_NOT_FOUND();
    const etag = `"${info.size.toString(16)}-${info.modified.getTime().toString(16)}"`;
    return { name, size: info.size, etag, source: { key } };
  }
}

function generated(name: string, text: string): PackageFile {
  const body = Buffer.from(text, 'utf8');
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { name, size: body.length, etag, source: { body } };
}

/** The film's length: its longest rendition. */
function durationOf(row: VideoRow): number {
  return Math.max(...row.renditions.map((r) => r.duration));
}

export type PlaybackService = ReturnType<typeof createPlaybackService>;
