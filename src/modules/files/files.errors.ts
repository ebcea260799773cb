/** The files module's error codes. A film that is missing or out of reach answers catalog's codes. */
import { defineErrors, type ErrorCode } from '../../platform/errors.js';

export const filesErrors = defineErrors({
  FILE_REQUIRED: { status: 400, message: 'The form has no file part.' },
  VIDEO_FILE_REQUIRED: { status: 400, message: 'The file is not an uploaded video (kind video).' },
  INVALID_KIND: { status: 400, message: 'The kind of file is missing or not one this API stores.' },
  UPLOAD_LENGTH_REQUIRED: {
    status: 400,
    message: 'Send Upload-Length: deferred lengths are not accepted.',
  },
  SUBTITLE_INVALID: {
    status: 400,
    message: 'The subtitle file is not valid WebVTT (UTF-8, starting with WEBVTT, cue timings in order).',
  },
  LINK_INVALID: { status: 403, message: 'This link is not valid.' },
  LINK_EXPIRED: { status: 403, message: 'This link has expired.' },
  PLAYBACK_LINK_INVALID: { status: 403, message: 'This playback link is not valid.' },
  PLAYBACK_LINK_EXPIRED: {
    status: 403,
    message: "This playback link has expired; ask for the film's playback again.",
  },
  FILE_NOT_FOUND: { status: 404, message: 'There is no file with this id.' },
  FILE_CONTENT_MISSING: { status: 404, message: 'The content of this file is missing.' },
  UPLOAD_NOT_FOUND: { status: 404, message: 'No such upload.' },
  VIDEO_NOT_FOUND: { status: 404, message: 'This film has no video.' },
  VIDEO_NOT_READY: {
    status: 404,
    message: "This film's video is still being prepared; no rendition can play yet.",
  },
  SUBTITLE_NOT_FOUND: { status: 404, message: "The film's video has no subtitles in this language." },
  PLAYBACK_FILE_NOT_FOUND: { status: 404, message: 'The video has no such file.' },
  FILE_TOO_LARGE: { status: 413, message: 'The file is larger than this kind of file may be.' },
  UPLOAD_QUOTA_EXCEEDED: {
    status: 413,
    message: 'The unfinished uploads of one user would add up to more than they may.',
  },
  MULTIPART_REQUIRED: { status: 415, message: 'Send the file as multipart/form-data.' },
  UNSUPPORTED_FILE_TYPE: { status: 415, message: 'This kind of file does not accept this file type.' },
  RANGE_NOT_SATISFIABLE: { status: 416, message: 'The range is outside the file.' },
  TOO_MANY_UPLOADS: {
    status: 429,
    message: 'Too many unfinished uploads; finish or delete one first.',
  },
});

export type FilesErrorCode = ErrorCode<typeof filesErrors>;
