/**
 * What the media engine could not do, as a code a job can branch on and a reason an editor can
 * read ("moov atom not found", "the file ends at 12.0 MB, its index points to 48.3 MB"). Not an
 * HTTP error: the jobs that run the engine record the reason; a route that reports it maps the
 * code to its catalogue.
 */
export type MediaErrorCode =
  /** No ffmpeg or ffprobe that runs: neither FFMPEG_PATH/FFPROBE_PATH, PATH nor the npm build. */
  | 'ENGINE_NOT_FOUND'
  /** Not something ffprobe reads as audio or video (text, an unknown format, a broken header). */
  | 'NOT_MEDIA'
  /** A media file that ends before its own data does (an upload cut short). */
  | 'TRUNCATED'
  /** Media without a video stream, given to a step that makes video. */
  | 'NO_VIDEO'
  /** `packageSource` on input that must be transcoded (the reasons say why). */
  | 'NOT_REMUXABLE'
  /** ffmpeg or ffprobe exited with an error while working. */
  | 'ENGINE_FAILED';

export class MediaError extends Error {
  readonly code: MediaErrorCode;
  /** One readable sentence (or a few, joined with "; "). */
  readonly reason: string;

  constructor(code: MediaErrorCode, reason: string, options: { cause?: unknown } = {}) {
    super(`${code}: ${reason}`, options);
    this.name = 'MediaError';
    this.code = code;
    this.reason = reason;
  }
}
