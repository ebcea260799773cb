import './files.events.js';
import { parseArgs } from 'node:util';
import type { Command, ModuleDefinition } from '../../platform/module.js';
import { collectGarbage } from './files.gc.js';
import { createLinkSigner, loadLinkSecret } from './files.links.js';
import { createFilmProjection } from './files.projection.js';
import { createFilesRepository } from './files.repository.js';
import { filesRoutes } from './files.routes.js';
import { createFilesService, type FilesService } from './files.service.js';
import { createTusHandler } from './files.tus.js';
import { createMediaEngine, type MediaEngine } from './media/media.engine.js';
import { createPlaybackSigner } from './video/playback.links.js';
import { playbackRoutes } from './video/playback.routes.js';
import { createPlaybackService } from './video/playback.service.js';
import { createTranscodeWorker, TRANSCODE_WORKER } from './video/transcode.worker.js';
import { embedRoutes } from './video/embed.routes.js';
import { subtitleRoutes } from './video/subtitle.routes.js';
import { createSubtitleService } from './video/subtitle.service.js';
import { videoRoutes } from './video/video.routes.js';
import { createVideoRepository } from './video/video.repository.js';
import { createVideoService } from './video/video.service.js';

export type { FilesService } from './files.service.js';
export type { FileKind } from './files.ingest.js';

/** The public service other modules and commands use. */
export interface FilesModuleService extends FilesService {
  gc(options: { dryRun: boolean; graceSeconds: number }): ReturnType<typeof collectGarbage>;
  /** Removes unfinished tus uploads past their 24 h expiry; returns how many. */
  cleanUploads(): Promise<number>;
}

declare module '../../platform/module.js' {
  interface ServiceMap {
    files: FilesModuleService;
  }
}

const gcCommand: Command = {
  summary:
    'Files maintenance: gc removes blobs without metadata (and expired unfinished uploads) and reports metadata without blobs.',
  usage: 'kino files gc [--dry-run] [--grace-minutes N]   (default grace 60: younger blobs are kept)',
  async run(ctx) {
    const { positionals, values } = parseArgs({
      args: [...ctx.args],
      allowPositionals: true,
      options: { 'dry-run': { type: 'boolean' }, 'grace-minutes': { type: 'string' } },
    });
    if (positionals[0] !== 'gc') {
      ctx.stderr.write(`usage: ${gcCommand.usage}\n`);
      return 2;
    }
    const grace = Number(values['grace-minutes'] ?? '60');
    if (!Number.isFinite(grace) || grace < 0) {
      ctx.stderr.write('--grace-minutes must be a number of minutes ≥ 0\n');
      return 2;
    }
    const kernel = await ctx.kernel(['files']);
    try {
      const service = kernel.services.require('files');
      const dryRun = values['dry-run'] === true;
      const report = await service.gc({ dryRun, graceSeconds: grace * 60 });
      const verb = dryRun ? 'would remove' : 'removed';
      ctx.stdout.write(
        `Scanned ${report.scanned} blob(s); ${verb} ${report.removed.length} without metadata` +
          (report.young > 0 ? ` (kept ${report.young} younger than ${grace} min)` : '') +
          '.\n',
      );
      for (const key of report.removed) ctx.stdout.write(`  ${verb}: ${key}\n`);
      ctx.stdout.write(`${report.missing.length} file record(s) without a blob.\n`);
      for (const m of report.missing)
        ctx.stdout.write(`  missing blob: file ${m.id} (${m.filename}) → ${m.blob_key}\n`);
      if (!dryRun) {
        const expired = await service.cleanUploads();
        if (expired > 0) ctx.stdout.write(`Removed ${expired} expired unfinished upload(s).\n`);
      }
      return report.missing.length > 0 ? 3 : 0;
    } finally {
      await kernel.close();
    }
  },
};

export const filesModule: ModuleDefinition = {
  name: 'files',
  needs: ['blob'],
  migrations: [{ module: 'files', schema: 'files', dir: new URL('./migrations/', import.meta.url) }],
  async create(ctx) {
    const blob = ctx.extras.blob;
    if (!blob) throw new Error('the files module needs a blob store (extras.blob)');
    const { config } = ctx;
    const repo = createFilesRepository(ctx.sql);
    const linkSecret = loadLinkSecret(config.filesLinkSecret, config.dataDir);
    const service = createFilesService({
      sql: ctx.sql,
      repo,
      blob,
      clock: ctx.clock,
      logger: ctx.logger,
      links: createLinkSigner(linkSecret),
      // A trailer is a short video: it shares the video limit.
      limits: {
        poster: config.filesMaxPoster,
        video: config.filesMaxVideo,
        trailer: config.filesMaxVideo,
        other: config.filesMaxOther,
      },
      baseUrl: config.baseUrl,
    });
    const tus = createTusHandler({
      service,
      dataDir: config.dataDir,
      logger: ctx.logger,
      limits: {
        openPerUser: config.filesUploadsPerUser,
        stagedBytesPerUser: config.filesUploadStagedPerUser,
      },
    });
    // Located on first use, so a process without ffmpeg still serves files (video jobs then wait).
    let engine: Promise<MediaEngine> | undefined;
    const mediaEngine = () =>
      (engine ??= createMediaEngine({ ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath }).catch(
        (error: unknown) => {
          engine = undefined;
          throw error;
        },
      ));
    const transcode = createTranscodeWorker({
      sql: ctx.sql,
      blob,
      files: repo,
      clock: ctx.clock,
      logger: ctx.logger.child({ worker: TRANSCODE_WORKER }),
      engine: mediaEngine,
      leaseMs: config.videoLeaseSeconds * 1000,
    });
    const video = createVideoService({
      sql: ctx.sql,
      files: repo,
      blob,
      clock: ctx.clock,
      queued: () => transcode.kick(),
    });
    const playback = createPlaybackService({
      files: repo,
      videos: createVideoRepository(ctx.sql),
      blob,
      clock: ctx.clock,
      signer: createPlaybackSigner(linkSecret),
      ttlSeconds: config.playbackLinkTtl,
      // Relative to the site unless the product knows the address users reach it at.
      urlBase: config.publicUrl ? config.baseUrl : '',
    });
    const publicService: FilesModuleService = {
      ...service,
      gc: (options) =>
        collectGarbage({ blob, repo, videos: createVideoRepository(ctx.sql), clock: ctx.clock, ...options }),
      cleanUploads: () => tus.cleanUp(),
    };
    return {
      service: publicService,
      routes: async (app) => {
        await app.register(filesRoutes(service, tus));
        await app.register(videoRoutes(video));
        await app.register(subtitleRoutes(createSubtitleService({ sql: ctx.sql, files: repo, blob })));
        await app.register(playbackRoutes(playback));
        await app.register(embedRoutes());
      },
      workers: {
        [TRANSCODE_WORKER]: transcode,
        'files-films': createFilmProjection({
          bus: ctx.bus,
          sql: ctx.sql,
          logger: ctx.logger.child({ worker: 'files-films' }),
        }),
      },
    };
  },
  commands: { files: gcCommand },
};
