/** Events the files module publishes. */
declare module '../../platform/events.js' {
  interface EventMap {
    /** A film's poster was set, replaced or removed (`url` null); the catalog shows `url` as poster_url. */
    'files.poster.changed': { filmId: string; fileId: string | null; url: string | null };
    /** An editor attached an uploaded video to the film: job `jobId` is queued (replacing any earlier one). */
    'files.video.queued': { filmId: string; jobId: string; fileId: string };
    /** Where the job is: its step (`download`, `probe`, `remux`, `transcode 720p`, …), overall percent, ETA. */
    'files.video.progress': {
      filmId: string;
      jobId: string;
      step: string;
      percent: number;
      etaSeconds: number | null;
    };
    /** The film's master playlist changed: the job's package replaced the previous one, or a rendition joined it. */
    'files.video.published': { filmId: string; jobId: string; renditions: string[] };
    /** Every rendition of the ladder is published. */
    'files.video.ready': { filmId: string; jobId: string; renditions: string[]; storageBytes: number };
    /** The job failed with `reason`; `retry` says whether it is queued again (transient errors). */
    'files.video.failed': { filmId: string; jobId: string; reason: string; retry: boolean };
    /** The film's video was deleted, with every rendition. */
    'files.video.removed': { filmId: string; jobId: string };
  }
}
export {};
