/**
 * Subtitle tracks of a film's video, as editors manage them: a WebVTT file per language, stored
 * as a blob of its own (`subtitles/<film>/<lang>.vtt`) and listed on the video row, which is the
 * source of truth. Playback adds them to the package it serves (playback.service.ts); no
 * package is rewritten. Deleting the video deletes them; a deleted film's are left to
 * `kino files gc`, like its package.
 */
import { Readable } from 'node:stream';
import type { BlobStore } from '../../../ports/blob.js';
import type { Sql } from '../../../ports/sql.js';
import { platformErrors } from '../../../platform/errors.js';
import { Permission, requirePermission, type Principal } from '../../../platform/security.js';
import { catalogErrors } from '../../catalog/index.js';
import { filesErrors } from '../files.errors.js';
import type { FilesRepository } from '../files.repository.js';
import { canonicalLang, checkSubtitle, defaultLabel } from './subtitle.vtt.js';
import { subtitleKey } from './video.pipeline.js';
import { createVideoRepository, type Subtitle } from './video.repository.js';

export interface SubtitleServiceDeps {
  readonly sql: Sql;
  readonly files: Pick<FilesRepository, 'filmAccess'>;
  readonly blob: BlobStore;
}

export interface PutSubtitle {
  readonly filmId: string;
  /** A BCP 47 tag as sent; stored in its canonical spelling. */
  readonly lang: string;
  /** The track as UTF-8 text. */
  readonly text: string;
  /** What players show; the language's own name for itself when absent. */
  readonly label?: string | undefined;
  readonly principal: Principal;
}

export function createSubtitleService(deps: SubtitleServiceDeps) {
  const { sql, files, blob } = deps;
  const videos = createVideoRepository(sql);

  /** The canonical tag of a film's video an editor may change; 401/403/404 otherwise. */
  async function editable(filmId: string, tag: string, principal: Principal): Promise<string> {
    requirePermission(principal, Permission.crudFilms);
    const lang = canonicalLang(tag);
    if (lang === null)
      throw platformErrors.VALIDATION_FAILED({
        detail: 'lang must be a BCP 47 language tag (en, pt-BR, zh-Hant).',
        errors: [{ field: 'params/lang', message: 'must be a BCP 47 language tag' }],
      });
    if ((await files.filmAccess(filmId)) === null) throw catalogErrors.FILM_NOT_FOUND();
    if (!(await videos.find(filmId))) throw filesErrors.VIDEO_NOT_FOUND();
    return lang;
  }

  return {
    /** Adds or replaces the track of `input.lang`; returns it as the video lists it. */
    async put(input: PutSubtitle): Promise<Subtitle> {
      const lang = await editable(input.filmId, input.lang, input.principal);
      checkSubtitle(input.text);
      const bytes = Buffer.from(input.text, 'utf8');
      const subtitle: Subtitle = { lang, label: input.label ?? defaultLabel(lang), bytes: bytes.length };
      const key = subtitleKey(input.filmId, lang);
      // The blob first, then the row: a row never lists a track whose blob is missing. A video
      // deleted in between leaves the blob to no one: removed here (and by gc if this fails).
      await blob.put(key, Readable.from([bytes]), { contentType: 'text/vtt; charset=utf-8' });
      if (!(await videos.putSubtitle(input.filmId, subtitle))) {
        await blob.delete(key);
        throw filesErrors.VIDEO_NOT_FOUND();
      }
      return subtitle;
    },

    /** Removes the track of `lang` from the list, then its blob. */
    async remove(filmId: string, tag: string, principal: Principal): Promise<void> {
      const lang = await editable(filmId, tag, principal);
      if (!(await videos.removeSubtitle(filmId, lang))) throw filesErrors.SUBTITLE_NOT_FOUND();
      await blob.delete(subtitleKey(filmId, lang));
    },
  };
}

export type SubtitleService = ReturnType<typeof createSubtitleService>;
