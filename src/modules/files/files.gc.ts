/**
 * Garbage collection between the blob store and the metadata: blobs no file row names are
 * removed (once older than a grace period, so an upload whose row is about to be written is
 * safe); rows whose blob is gone are reported for an operator to look at, never deleted blindly.
 * Video packages (`videos/<film>/<job>/…`) are kept while they are a film's published package or
 * its current job's; others (a crash between publishing and deleting the previous package, a
 * worker killed before it published) are removed the same way. Subtitle tracks
 * (`subtitles/<film>/<lang>.vtt`) are kept while the film's video lists them; those of a deleted
 * video or film, or of a track deleted when the process stopped before its blob, are removed.
 */
import type { BlobStore } from '../../ports/blob.js';
import type { Clock } from '../../platform/clock.js';
import type { FilesRepository } from './files.repository.js';
import { BLOB_PREFIX } from './files.service.js';
import { subtitleKey } from './video/video.pipeline.js';
import type { VideoRepository } from './video/video.repository.js';

const VIDEO_PREFIX = 'videos/';
/** `videos/<film>/<job>/`: the film and the package folder a video blob belongs to. */
const VIDEO_KEY = /^videos\/([0-9a-f-]{36})\/[0-9a-f-]{36}\//;
const SUBTITLE_PREFIX = 'subtitles/';
/** `subtitles/<film>/<lang>.vtt`: the film and language of a subtitle track. */
const SUBTITLE_KEY = /^subtitles\/([0-9a-f-]{36})\/([A-Za-z0-9-]+)\.vtt$/;

export interface GcReport {
  readonly scanned: number;
  /** Orphan blobs removed (or that would be, with dryRun). */
  readonly removed: readonly string[];
  /** Orphan blobs kept because they are younger than the grace period. */
  readonly young: number;
  /** File rows whose blob is missing. */
  readonly missing: readonly { id: string; blob_key: string; filename: string }[];
}

export async function collectGarbage(deps: {
  blob: BlobStore;
  repo: FilesRepository;
  videos: VideoRepository;
  clock: Clock;
  graceSeconds: number;
  dryRun: boolean;
}): Promise<GcReport> {
  const { blob, repo } = deps;
  const cutoff = deps.clock.now().getTime() - deps.graceSeconds * 1000;
  const seen = new Set<string>();
  const removed: string[] = [];
  let scanned = 0;
  let young = 0;
  let batch: { key: string; modified: Date }[] = [];
  const sweep = async () => {
    const known = await repo.knownKeys(batch.map((b) => b.key));
    const films = batch.flatMap((b) => VIDEO_KEY.exec(b.key)?.[1] ?? []);
    const live = await deps.videos.livePrefixes([...new Set(films)]);
    const subtitleFilms = batch.flatMap((b) => SUBTITLE_KEY.exec(b.key)?.[1] ?? []);
    const tracks = await deps.videos.subtitleTracks([...new Set(subtitleFilms)]);
    const liveTracks = new Set(tracks.map(([film, lang]) => subtitleKey(film, lang)));
    for (const b of batch) {
      if (known.has(b.key)) continue;
      const video = VIDEO_KEY.exec(b.key);
      const subtitle = SUBTITLE_KEY.exec(b.key);
      // Not a key this module writes under videos/ or subtitles/: left alone.
      if (b.key.startsWith(VIDEO_PREFIX) && !video) continue;
      if (b.key.startsWith(SUBTITLE_PREFIX) && !subtitle) continue;
      if (video && live.has(video[0])) continue;
      if (subtitle && liveTracks.has(b.key)) continue;
      if (b.modified.getTime() > cutoff) {
        young++;
        continue;
      }
      if (!deps.dryRun) await blob.delete(b.key);
      removed.push(b.key);
    }
    batch = [];
  };
  for (const prefix of [BLOB_PREFIX, VIDEO_PREFIX, SUBTITLE_PREFIX]) {
    for await (const info of blob.list(prefix)) {
      scanned++;
      seen.add(info.key);
      batch.push(info);
      if (batch.length >= 500) await sweep();
    }
    await sweep();
  }

  const missing: { id: string; blob_key: string; filename: string }[] = [];
  let after: string | null = null;
  for (;;) {
    const rows = await repo.page(after, 1000);
    if (rows.length === 0) break;
    for (const row of rows) {
      // Rows written after the listing started may name blobs it did not see: ask the store.
      if (!seen.has(row.blob_key) && (await blob.head(row.blob_key)) === null)
        missing.push({ id: row.id, blob_key: row.blob_key, filename: row.filename });
    }
    after = rows[rows.length - 1]!.id;
  }
  return { scanned, removed, young, missing };
}
