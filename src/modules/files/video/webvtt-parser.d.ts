/**
 * Types for webvtt-parser (the W3C's WebVTT validator; ships none), the parts this module uses. It
 * is CommonJS whose names Node cannot see from ESM: import the default export.
 */
declare module 'webvtt-parser' {
  interface WebVTTError {
    readonly message: string;
    /** 1-based line of the input. */
    readonly line: number;
    readonly col?: number;
  }
  interface WebVTTCue {
    readonly id: string;
    readonly startTime: number;
    readonly endTime: number;
    readonly text: string;
  }
  interface WebVTTParser {
    /** `metadata` skips the markup checks of cue text (players render that text leniently). */
    parse(
      input: string,
      mode?: 'subtitles' | 'chapters' | 'metadata',
    ): { cues: WebVTTCue[]; errors: WebVTTError[]; time: number };
  }
  const webvtt: { WebVTTParser: new () => WebVTTParser };
  export default webvtt;
}
