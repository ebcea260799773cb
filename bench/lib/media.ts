/**
 * Generated video inputs for the video bench, made once with ffmpeg and kept in bench/.data/video:
 * ten seconds of 1080p25 testsrc2 with moving noise (so the bitrate is a real film's, not a test
 * card's) and a 440 Hz sine, H.264 High (x264 defaults: a keyframe at most every 10 s) + AAC-LC
 * stereo 48 kHz in MP4, encoded once (a minute of noisy 1080p takes minutes on a busy 2-core
 * machine); every longer input is that clip repeated by the concat demuxer with `-c copy`, so a
 * 60-minute input costs seconds.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { dataRoot } from './data.js';

const exec = promisify(execFile);
export const videoDataDir = path.join(dataRoot, 'video');

/** The source's settings, for the report. */
export const SOURCE = {
  width: 1920,
  height: 1080,
  fps: 25,
  videoBitrate: '6M',
  describe:
    'a 10-second clip of 1080p25 testsrc2 + noise, H.264 High (libx264 `veryfast`, 6 Mbit/s average, x264 default GOP) + AAC-LC 128 kbit/s stereo 48 kHz, MP4 with the index first',
} as const;

export interface Input {
  readonly minutes: number;
  readonly file: string;
  readonly bytes: number;
}

/** The `minutes`-long input, generated on first use (throws if ffmpeg fails). */
export async function videoInput(
  ffmpeg: string,
  minutes: number,
  log: (line: string) => void,
): Promise<Input> {
  mkdirSync(videoDataDir, { recursive: true });
  const unit = path.join(videoDataDir, 'source-10s.mp4');
  if (!existsSync(unit)) {
    const t0 = performance.now();
    const partial = `${unit}.part.mp4`;
    await exec(ffmpeg, [
      ...['-nostdin', '-v', 'error', '-y'],
      ...[
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=${SOURCE.width}x${SOURCE.height}:rate=${SOURCE.fps}:duration=10`,
      ],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=10'],
      ...['-vf', 'noise=alls=12:allf=t', '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high'],
      ...['-pix_fmt', 'yuv420p', '-b:v', SOURCE.videoBitrate, '-maxrate', '8M', '-bufsize', '12M'],
      ...['-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-movflags', '+faststart', partial],
    ]);
    renameSync(partial, unit);
    log(`generated ${unit} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  const file = path.join(videoDataDir, `source-${minutes}min.mp4`);
  if (!existsSync(file)) {
    const list = path.join(videoDataDir, `concat-${minutes}.txt`);
    writeFileSync(list, `${Array.from({ length: minutes * 6 }, () => "file 'source-10s.mp4'").join('\n')}\n`);
    const partial = `${file}.part.mp4`;
    await exec(ffmpeg, [
      ...['-nostdin', '-v', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list],
      ...['-c', 'copy', '-movflags', '+faststart', partial],
    ]);
    renameSync(partial, file);
    log(`generated ${file} (${minutes * 6} × the 10-second clip, stream copy)`);
  }
  return { minutes, file, bytes: statSync(file).size };
}

/** The first `seconds` (a multiple of 10) of the 1-minute input, for the transcode figures. */
export async function videoClip(
  ffmpeg: string,
  seconds: number,
  log: (line: string) => void,
): Promise<string> {
  const unit = await videoInput(ffmpeg, 1, log);
  if (seconds >= 60) return unit.file;
  const file = path.join(videoDataDir, `source-${seconds}s.mp4`);
  if (!existsSync(file)) {
    const partial = `${file}.part.mp4`;
    await exec(ffmpeg, [
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-i',
      unit.file,
      '-t',
      String(seconds),
      '-c',
      'copy',
      partial,
    ]);
    renameSync(partial, file);
  }
  return file;
}
