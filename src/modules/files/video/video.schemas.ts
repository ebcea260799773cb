/** TypeBox schemas of the film video API, and the mapper from a job row to its response body. */
import { Type, type Static } from '@sinclair/typebox';
import type { Playback } from './playback.service.js';
import { LANG_MAX_LENGTH, LANG_PATTERN } from './subtitle.vtt.js';
import type { VideoRow } from './video.repository.js';

export const FilmParams = Type.Object({ id: Type.String({ format: 'uuid', description: "the film's id" }) });

export const AttachVideoBody = Type.Object({
  file_id: Type.String({ format: 'uuid', description: 'An uploaded file of kind video.' }),
});

export const SubtitleParams = Type.Object({
  id: Type.String({ format: 'uuid', description: "the film's id" }),
  lang: Type.String({
    pattern: LANG_PATTERN,
    maxLength: LANG_MAX_LENGTH,
    description: 'A BCP 47 language tag: `en`, `pt-BR`, `zh-Hant`, `es-419` (stored in its canonical case).',
  }),
});

export const SubtitleQuery = Type.Object({
  label: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      // It is written into the master playlist as NAME="…".
      pattern: '^[^"\\u0000-\\u001f\\u007f]+$',
      description: "What players show; the language's own name for itself when absent (`Deutsch`).",
    }),
  ),
});

export const SubtitleBody = Type.String({
  description: 'A WebVTT file (UTF-8, `WEBVTT` first, cue timings well-formed and in order), at most 2 MB.',
});

export const SubtitleSchema = Type.Object({
  lang: Type.String({ description: 'BCP 47 language tag.' }),
  label: Type.String(),
  bytes: Type.Integer({ description: 'Size of the WebVTT file.' }),
});

export const RenditionSchema = Type.Object({
  name: Type.String({ description: '`source` (the upload repackaged) or a ladder rung: 1080p, 720p, …' }),
  width: Type.Integer(),
  height: Type.Integer(),
  codecs: Type.String(),
  bandwidth: Type.Integer({ description: 'Peak segment bitrate, bit/s.' }),
  average_bandwidth: Type.Integer(),
  duration: Type.Number({ description: 'Seconds.' }),
  bytes: Type.Integer(),
});

export const VideoSchema = Type.Object(
  {
    film_id: Type.String({ format: 'uuid' }),
    job_id: Type.String({ format: 'uuid' }),
    file_id: Type.String({ format: 'uuid', description: 'The uploaded file the job packages.' }),
    status: Type.Union(
      [Type.Literal('queued'), Type.Literal('processing'), Type.Literal('ready'), Type.Literal('failed')],
      { description: 'processing: renditions may already play (see renditions) while lower ones are made' },
    ),
    step: Type.Union([Type.String(), Type.Null()], {
      description: 'download, probe, remux, transcode 720p, …',
    }),
    percent: Type.Number({ minimum: 0, maximum: 100 }),
    eta_seconds: Type.Union([Type.Integer(), Type.Null()]),
    error: Type.Union([Type.String(), Type.Null()], {
      description: 'Why the job failed (or the last transient failure it is retrying after).',
    }),
    attempts: Type.Integer(),
    renditions: Type.Array(RenditionSchema, {
      description: "The published package's renditions (the previous job's until this one publishes).",
    }),
    storage_bytes: Type.Integer({ description: 'Bytes the published package stores.' }),
    subtitles: Type.Array(SubtitleSchema, {
      description: "The film's subtitle tracks, by language; they stay when the video is replaced.",
    }),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    finished_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'Video' },
);
export type VideoDto = Static<typeof VideoSchema>;

export function toVideoDto(row: VideoRow): VideoDto {
  return {
    film_id: row.film_id,
    job_id: row.id,
    file_id: row.source_file_id,
    status: row.status,
    step: row.step,
    percent: row.percent,
    eta_seconds: row.eta_seconds,
    error: row.error,
    attempts: row.attempts,
    renditions: row.renditions.map((r) => ({
      name: r.name,
      width: r.width,
      height: r.height,
      codecs: r.codecs,
      bandwidth: r.bandwidth,
      average_bandwidth: r.averageBandwidth,
      duration: r.duration,
      bytes: r.bytes,
    })),
    storage_bytes: row.storage_bytes,
    subtitles: row.subtitles.map(({ lang, label, bytes }) => ({ lang, label, bytes })),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    finished_at: row.finished_at?.toISOString() ?? null,
  };
}

export const PlaybackSchema = Type.Object(
  {
    film_id: Type.String({ format: 'uuid' }),
    hls_url: Type.String({
      description:
        'The master playlist under a signed path (relative to the site unless PUBLIC_URL is set); every playlist and segment it names is fetched through the same path.',
    }),
    expires_at: Type.String({
      format: 'date-time',
      description: 'Until when hls_url and the URLs under it work.',
    }),
    duration: Type.Number({ description: 'Seconds.' }),
    renditions: Type.Array(
      Type.Object({
        name: Type.String(),
        width: Type.Integer(),
        height: Type.Integer(),
        bandwidth: Type.Integer({ description: 'Peak segment bitrate, bit/s.' }),
      }),
    ),
    poster: Type.Union([Type.String(), Type.Null()], { description: 'A frame of the film (JPEG).' }),
    thumbnails: Type.Union([Type.String(), Type.Null()], {
      description: 'WebVTT track of preview tiles (`sprite.jpg#xywh=…`) for scrubbing.',
    }),
    subtitles: Type.Array(Type.Object({ lang: Type.String(), label: Type.String(), url: Type.String() })),
  },
  { $id: 'Playback' },
);
export type PlaybackDto = Static<typeof PlaybackSchema>;

export function toPlaybackDto(p: Playback): PlaybackDto {
  return {
    film_id: p.filmId,
    hls_url: p.hlsUrl,
    expires_at: p.expiresAt.toISOString(),
    duration: p.duration,
    renditions: p.renditions.map((r) => ({ ...r })),
    poster: p.poster,
    thumbnails: p.thumbnails,
    subtitles: p.subtitles.map((s) => ({ ...s })),
  };
}

export const HlsParams = Type.Object({
  token: Type.String({ maxLength: 160, description: 'The signed path part of a playback URL.' }),
  '*': Type.String({ maxLength: 200, description: 'A file of the package: master.m3u8, 240p/index.m3u8, …' }),
});
