/** Events the files module publishes. */
declare module '../../platform/events.js' {
  interface EventMap {
    /** A film's poster was set, replaced or removed (`url` null); the catalog shows `url` as poster_url. */
    'files.poster.changed': { filmId: string; fileId: string | null; url: string | null };
  }
}
export {};
