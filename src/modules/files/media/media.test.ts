/**
 * The media engine on clips ffmpeg generates here (testsrc2 and sine, 320x240, 2–3 s, ultrafast;
 * nothing is committed): which binaries it takes, probe of H.264/AAC, VP9/WebM, rotated and
 * variable-frame-rate input, the typed error for text and cut-short files, remux into HLS that an
 * independent ffmpeg reads and decodes, one transcoded rung, cancelation, and the package's pictures
 * (poster frame, thumbnail sprites and their WebVTT track, read back by ffprobe). ffmpeg is
 * required, not optional: CI and the image install Debian's package; without one the engine's
 * error says what to install.
 */
import { execFile } from 'node:child_process';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
  existsSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMediaEngine, type MediaEngine } from './media.engine.js';
import { MediaError } from './media.errors.js';
import { MAX_THUMBNAILS, thumbnailInterval, type Thumbnails } from './media.extras.js';
import { LADDER, ladderFor, remuxBlockers, type MediaProgress } from './media.hls.js';

const exec = promisify(execFile);
let dir: string;
let engine: MediaEngine;
const clip = (name: string) => path.join(dir, name);

/** Runs the engine's ffmpeg quietly on argument groups; throws with its stderr. */
async function ffmpeg(...groups: string[][]): Promise<void> {
  await exec(engine.ffmpeg.path, ['-nostdin', '-v', 'error', '-y', ...groups.flat()]);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kino-media-'));
  try {
    engine = await createMediaEngine();
  } catch (error) {
    throw new Error(
      `these tests need ffmpeg and ffprobe (apt-get install ffmpeg, or FFMPEG_PATH/FFPROBE_PATH): ${(error as Error).message}`,
    );
  }
  const video = (seconds: number) => [
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=320x240:rate=25:duration=${seconds}`,
  ];
  const audio = (seconds: number) => ['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`];
  const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25'];
  writeFileSync(clip('subs.srt'), '1\n00:00:00,500 --> 00:00:02,000\nHello\n');
  await Promise.all([
    ffmpeg(
      [...video(3), ...audio(3), '-i', clip('subs.srt')],
      ['-map', '0', '-map', '1', '-map', '2'],
      [...x264, '-c:a', 'aac', '-ar', '48000', '-c:s', 'mov_text', '-metadata:s:s:0', 'language=eng'],
      [clip('h264.mp4')],
    ),
    ffmpeg(
      [...video(2), ...audio(2)],
      ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '200k', '-c:a', 'libopus'],
      [clip('vp9.webm')],
    ),
    // x264's default keyframe interval (250 frames, 10 s at 25 fps) and the index at the end, as
    // many encoders write MP4: the end check's seek lands on a keyframe far before its window.
    ffmpeg(
      [...video(20), ...audio(20)],
      ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac'],
      [clip('long-gop.mp4')],
    ),
    // Three frames kept of every five: 25 fps nominal, 15 on average, the way a phone's timing looks.
    ffmpeg(video(2), ['-vf', 'select=lt(mod(n\\,5)\\,3)', '-vsync', 'vfr'], x264, [clip('vfr.mp4')]),
    // Black for its first second (a fade in), then the picture: a tenth in (0.3 s) is black.
    ffmpeg(
      ['-f', 'lavfi', '-i', 'color=black:size=320x240:rate=25:duration=1', ...video(2)],
      ['-filter_complex', '[0][1]concat=n=2:v=1:a=0'],
      x264,
      [clip('black-start.mp4')],
    ),
    // An hour of film, cheaply: one frame every two seconds, a keyframe every ten, as films have.
    ffmpeg(
      ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=1/2:duration=3600'],
      ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '5'],
      [clip('hour.mp4')],
    ),
  ]);
  const copy = (...extra: string[]) => ['-map', '0:v', '-map', '0:a', '-c', 'copy', ...extra];
  await Promise.all([
    // The rotate tag becomes the display matrix, as a phone writes it.
    ffmpeg(['-i', clip('h264.mp4')], copy('-metadata:s:v:0', 'rotate=90'), [clip('rotated.mp4')]),
    // The index first (faststart): a cut-short copy still has a whole header.
    ffmpeg(['-i', clip('h264.mp4')], copy('-movflags', '+faststart'), [clip('faststart.mp4')]),
  ]);
  for (const [from, to] of [
    ['h264.mp4', 'cut-index-last.mp4'],
    ['faststart.mp4', 'cut-index-first.mp4'],
  ] as const) {
    writeFileSync(clip(to), readFileSync(clip(from)));
    truncateSync(clip(to), Math.floor(statSync(clip(from)).size / 2));
  }
  writeFileSync(clip('notes.txt'), 'This is not a film.\n'.repeat(100));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function mediaError(promise: Promise<unknown>): Promise<MediaError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MediaError);
  return error as MediaError;
}

describe('media engine: binaries', () => {
  it('reports the binaries it uses, where they come from and their versions', () => {
    for (const tool of [engine.ffmpeg, engine.ffprobe]) {
      expect(path.isAbsolute(tool.path)).toBe(true);
      expect(tool.version).toMatch(/\S/);
    }
    expect(engine.describe()).toContain(
      `ffmpeg ${engine.ffmpeg.version} (${engine.ffmpeg.source}: ${engine.ffmpeg.path})`,
    );
  });

  it('takes FFMPEG_PATH as given and never falls back from it', async () => {
    const error = await mediaError(createMediaEngine({ ffmpegPath: clip('no-such-ffmpeg') }));
    expect(error.code).toBe('ENGINE_NOT_FOUND');
    expect(error.reason).toContain(`FFMPEG_PATH=${clip('no-such-ffmpeg')} does not run`);
    const configured = await createMediaEngine({
      ffmpegPath: engine.ffmpeg.path,
      ffprobePath: engine.ffprobe.path,
    });
    expect(configured.ffmpeg.source).toBe('config');
  });

  it('falls back to the static build of the npm packages when PATH has none, and it works', async () => {
    const packaged = await createMediaEngine({ searchPath: '' });
    expect([packaged.ffmpeg.source, packaged.ffprobe.source]).toEqual(['npm', 'npm']);
    expect(packaged.ffmpeg.path).toContain('@ffmpeg-installer');
    const info = await packaged.probe(clip('h264.mp4'));
    expect(info.video?.codec).toBe('h264');
  });
});

describe('media engine: probe', () => {
  it('reads H.264/AAC in MP4: duration, container, picture, frame rate, audio and subtitles', async () => {
    const info = await engine.probe(clip('h264.mp4'));
    expect(info.duration).toBeCloseTo(3, 0);
    expect(info.container).toContain('mp4');
    expect(info.video).toMatchObject({
      codec: 'h264',
      width: 320,
      height: 240,
      rotation: 0,
      displayWidth: 320,
      displayHeight: 240,
      frameRate: 25,
      variableFrameRate: false,
      pixelFormat: 'yuv420p',
    });
    expect(info.audio).toEqual([
      expect.objectContaining({ codec: 'aac', profile: 'LC', channels: 1, sampleRate: 48000 }),
    ]);
    expect(info.subtitles).toEqual([expect.objectContaining({ codec: 'mov_text', language: 'eng' })]);
    expect(remuxBlockers(info)).toEqual([]);
    expect(ladderFor(info).map((r) => r.name)).toEqual(['240p']);
  });

  it('reads VP9/WebM, which must be transcoded', async () => {
    const info = await engine.probe(clip('vp9.webm'));
    expect(info.container).toContain('webm');
    expect(info.duration).toBeCloseTo(2, 0);
    expect(info.video).toMatchObject({ codec: 'vp9', width: 320, height: 240 });
    expect(info.audio[0]?.codec).toBe('opus');
    expect(remuxBlockers(info)).toEqual(['the video is vp9, not H.264']);
  });

  it('reads the rotation of phone video from its display matrix and swaps the shown size', async () => {
    const info = await engine.probe(clip('rotated.mp4'));
    expect([90, 270]).toContain(info.video?.rotation);
    expect(info.video).toMatchObject({ width: 320, height: 240, displayWidth: 240, displayHeight: 320 });
    expect(remuxBlockers(info).join()).toContain('rotated');
  });

  it('tells variable frame rate, which must be transcoded', async () => {
    const info = await engine.probe(clip('vfr.mp4'));
    expect(info.video?.variableFrameRate).toBe(true);
    expect(info.video?.frameRate).toBeGreaterThan(14);
    expect(info.video?.frameRate).toBeLessThan(17);
    expect(remuxBlockers(info)).toContain('its frame rate is variable');
  });

  it('takes a whole file of long GOPs as whole, on the system and on the npm ffprobe', async () => {
    const packaged = await createMediaEngine({ searchPath: '' });
    for (const probe of [engine, packaged]) {
      const info = await probe.probe(clip('long-gop.mp4'));
      expect(info.duration).toBeCloseTo(20, 0);
    }
    writeFileSync(clip('long-gop-cut.mp4'), readFileSync(clip('long-gop.mp4')));
    truncateSync(clip('long-gop-cut.mp4'), Math.floor(statSync(clip('long-gop.mp4')).size * 0.8));
    // Its index is at the end, so the cut copy has none: not media at all.
    expect((await mediaError(engine.probe(clip('long-gop-cut.mp4')))).code).toBe('NOT_MEDIA');
  });

  it.each([
    ['a text file', 'notes.txt', 'NOT_MEDIA', /not an audio or video file \(ffprobe reads it as tty\)/],
    ['an MP4 cut short before its index', 'cut-index-last.mp4', 'NOT_MEDIA', /moov atom not found/],
    [
      'an MP4 cut short after its index',
      'cut-index-first.mp4',
      'TRUNCATED',
      /the file is cut short: it ends at 0\.\d MB, its data at 1\.\d s of 3\.0 s \(.*partial file/,
    ],
  ])('refuses %s with a typed error and a readable reason', async (_what, name, code, reason) => {
    const error = await mediaError(engine.probe(clip(name)));
    expect(error.code).toBe(code);
    expect(error.reason).toMatch(reason);
  });
});

describe('media engine: HLS', () => {
  it('remuxes H.264/AAC without re-encoding into an fMP4 rendition and a master playlist an independent ffmpeg decodes', async () => {
    const out = path.join(dir, 'remux');
    const progress: MediaProgress[] = [];
    const { master, rendition } = await engine.packageSource(clip('h264.mp4'), out, {
      segmentSeconds: 1,
      onProgress: (p) => progress.push(p),
    });
    expect(master).toBe(path.join(out, 'master.m3u8'));
    expect(progress.at(-1)).toMatchObject({ percent: 100 });
    expect(rendition).toMatchObject({
      name: 'source',
      playlist: 'source/index.m3u8',
      width: 320,
      height: 240,
    });
    expect(rendition.codecs).toMatch(/^avc1\.42e0[0-9a-f]{2},mp4a\.40\.2$/);
    expect(rendition.bandwidth).toBeGreaterThanOrEqual(rendition.averageBandwidth);
    const text = readFileSync(master, 'utf8');
    expect(text).toContain(`CODECS="${rendition.codecs}",RESOLUTION=320x240`);
    const media = readFileSync(path.join(out, 'source', 'index.m3u8'), 'utf8');
    expect(media).toContain('#EXT-X-MAP:URI="init.mp4"');
    expect(media).toMatch(/seg_00000\.m4s/);

    // An independent reader: ffprobe and a full decode of every segment through the master playlist.
    const { stdout } = await exec(engine.ffprobe.path, [
      '-v',
      'error',
      '-show_entries',
      'format=duration:stream=codec_name',
      '-of',
      'json',
      master,
    ]);
    const read = JSON.parse(stdout) as { format: { duration: string }; streams: { codec_name: string }[] };
    expect(Math.abs(Number(read.format.duration) - 3)).toBeLessThan(0.5);
    expect(read.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    const decoded = await exec(engine.ffmpeg.path, ['-v', 'error', '-i', master, '-f', 'null', '-']);
    expect(decoded.stderr).toBe('');
  });

  it('refuses to remux input that needs a transcode, saying why', async () => {
    const error = await mediaError(engine.packageSource(clip('vp9.webm'), path.join(dir, 'refused')));
    expect(error.code).toBe('NOT_REMUXABLE');
    expect(error.reason).toContain('vp9');
    expect(existsSync(path.join(dir, 'refused', 'source'))).toBe(false);
  });

  it('transcodes VP9 into one rung: its height, H.264/AAC, a keyframe at every segment', async () => {
    const out = path.join(dir, 'ladder');
    const rung = { ...LADDER.at(-1)!, name: '120p', height: 120 };
    const rendition = await engine.transcodeRendition(clip('vp9.webm'), out, rung, {
      segmentSeconds: 1,
      preset: 'ultrafast',
    });
    expect(rendition).toMatchObject({ name: '120p', width: 160, height: 120 });
    expect(rendition.codecs).toMatch(/^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
    const media = readFileSync(path.join(out, '120p', 'index.m3u8'), 'utf8');
    const durations = [...media.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));
    expect(durations.length).toBe(2);
    for (const d of durations) expect(d).toBeCloseTo(1, 1);
    const { stdout } = await exec(engine.ffprobe.path, [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=codec_name,height',
      '-of',
      'csv=p=0',
      path.join(out, '120p', 'index.m3u8'),
    ]);
    // The HLS demuxer lists the stream once under its program and once on its own.
    expect(new Set(stdout.split('\n').filter(Boolean))).toEqual(new Set(['h264,120']));
  });

  it('turns rotated video upright when it transcodes', async () => {
    const out = path.join(dir, 'upright');
    const rendition = await engine.transcodeRendition(clip('rotated.mp4'), out, LADDER.at(-1)!, {
      preset: 'ultrafast',
    });
    expect(rendition).toMatchObject({ name: '240p', width: 240, height: 320 });
    const info = await engine.probe(path.join(out, '240p', 'index.m3u8'), { ownOutput: true });
    expect(info.video?.rotation).toBe(0);
  });

  it('kills ffmpeg when the signal aborts and leaves no half-written rendition', async () => {
    // A FIFO nobody writes to: ffmpeg blocks opening it, so the abort always lands mid-job.
    const fifo = path.join(dir, 'never.fifo');
    await exec('mkfifo', [fifo]);
    const info = await engine.probe(clip('h264.mp4'));
    const controller = new AbortController();
    const out = path.join(dir, 'aborted');
    const job = engine.transcodeRendition(fifo, out, LADDER.at(-1)!, { info, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(job).rejects.toMatchObject({ name: 'AbortError' });
    expect(existsSync(path.join(out, '240p'))).toBe(false);
  });
});

/** Width, height and codec of a picture, as an independent ffprobe reads them. */
async function picture(file: string): Promise<{ codec: string; width: number; height: number }> {
  const { stdout } = await exec(engine.ffprobe.path, [
    ...['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', file],
  ]);
  const [stream] = (
    JSON.parse(stdout) as { streams: { codec_name: string; width: number; height: number }[] }
  ).streams;
  return { codec: stream!.codec_name, width: stream!.width, height: stream!.height };
}

/** Mean luma (0–255) of a picture: about 16 for black, far above for testsrc2. */
async function brightness(file: string): Promise<number> {
  const { stdout } = await exec(engine.ffmpeg.path, [
    ...['-v', 'error', '-i', file, '-vf', 'signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-'],
    ...['-f', 'null', '-'],
  ]);
  return Number(/YAVG=([\d.]+)/.exec(stdout)![1]);
}

interface Cue {
  start: number;
  end: number;
  sprite: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The cues of a thumbnail track; throws on anything that is not `start --> end` + `sprite#xywh=`. */
function cuesOf(vtt: string): Cue[] {
  const seconds = (t: string) => {
    const [h, m, s] = t.split(':').map(Number) as [number, number, number];
    return h * 3600 + m * 60 + s;
  };
  expect(vtt.startsWith('WEBVTT\n')).toBe(true);
  return vtt
    .split(/\n\n+/)
    .slice(1)
    .filter((block) => block.trim())
    .map((block) => {
      const match =
        /^(\d{2}:\d{2}:\d{2}\.\d{3}) --> (\d{2}:\d{2}:\d{2}\.\d{3})\n(sprite_\d{3}\.jpg)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(
          block.trim(),
        );
      expect(match, block).not.toBeNull();
      const [, start, end, sprite, x, y, w, h] = match!;
      return {
        start: seconds(start!),
        end: seconds(end!),
        sprite: sprite!,
        x: Number(x),
        y: Number(y),
        w: Number(w),
        h: Number(h),
      };
    });
}

/**
 * The track's cues follow one another from 0 to the end of the film, and each tile lies within its
 * sprite as ffprobe measures it; returns the cues.
 */
async function checkTrack(thumbs: Thumbnails, duration: number): Promise<Cue[]> {
  const cues = cuesOf(readFileSync(thumbs.vtt, 'utf8'));
  expect(cues).toHaveLength(thumbs.count);
  expect(cues[0]!.start).toBe(0);
  for (const [i, cue] of cues.entries()) {
    expect(cue.end).toBeGreaterThan(cue.start);
    if (i > 0) expect(cue.start).toBe(cues[i - 1]!.end);
  }
  expect(Math.abs(cues.at(-1)!.end - duration)).toBeLessThan(0.01);
  const sizes = new Map<string, { codec: string; width: number; height: number }>();
  for (const sprite of thumbs.sprites) sizes.set(path.basename(sprite), await picture(sprite));
  expect([...new Set(cues.map((c) => c.sprite))]).toEqual([...sizes.keys()]);
  for (const cue of cues) {
    const size = sizes.get(cue.sprite)!;
    expect(size.codec).toBe('mjpeg');
    expect(cue.x + cue.w).toBeLessThanOrEqual(size.width);
    expect(cue.y + cue.h).toBeLessThanOrEqual(size.height);
  }
  return cues;
}

describe('media engine: poster and thumbnails', () => {
  it('takes a JPEG poster a tenth into the film at its own size (never scaled up)', async () => {
    const out = path.join(dir, 'poster');
    const poster = await engine.poster(clip('h264.mp4'), out);
    expect(poster).toEqual({ file: path.join(out, 'poster.jpg'), width: 320, height: 240 });
    expect(await picture(poster.file)).toEqual({ codec: 'mjpeg', width: 320, height: 240 });
    expect(readFileSync(poster.file).subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(readdirSync(out)).toEqual(['poster.jpg']);
  });

  it('scales a wide film down to 1280 px', async () => {
    await ffmpeg(
      ['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=25:duration=1'],
      ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
      [clip('wide.mp4')],
    );
    const poster = await engine.poster(clip('wide.mp4'), path.join(dir, 'poster-wide'));
    expect(await picture(poster.file)).toEqual({ codec: 'mjpeg', width: 1280, height: 720 });
  });

  it('turns the poster of rotated phone video upright', async () => {
    const poster = await engine.poster(clip('rotated.mp4'), path.join(dir, 'poster-rotated'));
    expect(poster).toMatchObject({ width: 240, height: 320 });
    expect(await picture(poster.file)).toEqual({ codec: 'mjpeg', width: 240, height: 320 });
  });

  it('passes over black frames for the poster', async () => {
    const poster = await engine.poster(clip('black-start.mp4'), path.join(dir, 'poster-black'));
    // The frame a tenth in is black (the control); the poster is not.
    await ffmpeg(['-ss', '0.3', '-i', clip('black-start.mp4')], ['-frames:v', '1'], [clip('at-a-tenth.jpg')]);
    expect(await brightness(clip('at-a-tenth.jpg'))).toBeLessThan(20);
    expect(await brightness(poster.file)).toBeGreaterThan(40);
  });

  it('makes thumbnails whose track covers the film, each cue inside its sprite, from keyframes alone', async () => {
    const out = path.join(dir, 'thumbs');
    const progress: MediaProgress[] = [];
    const info = await engine.probe(clip('long-gop.mp4'));
    const thumbs = await engine.thumbnails(clip('long-gop.mp4'), out, {
      info,
      intervalSeconds: 2,
      onProgress: (p) => progress.push(p),
    });
    // Keyframes at 0 and 10 s only (x264's default): a thumbnail every 2 s up to the last one,
    // whose cue then runs to the end of the film.
    expect(thumbs).toMatchObject({
      count: 6,
      intervalSeconds: 2,
      width: 160,
      height: 120,
      columns: 6,
      rows: 1,
    });
    expect(thumbs.sprites).toEqual([path.join(out, 'thumbs', 'sprite_000.jpg')]);
    expect(await picture(thumbs.sprites[0]!)).toMatchObject({ width: 960, height: 120 });
    const cues = await checkTrack(thumbs, info.duration);
    expect(cues.map((c) => c.start)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(cues.at(-1)!.end).toBeCloseTo(20, 1);
    expect(cues.map((c) => c.x)).toEqual([0, 160, 320, 480, 640, 800]);
    expect(progress.at(-1)).toMatchObject({ percent: 100 });
    expect(readdirSync(out)).toEqual(['thumbs']);
    expect(readdirSync(path.join(out, 'thumbs')).sort()).toEqual(['sprite_000.jpg', 'thumbs.vtt']);
  });

  it('tiles many thumbnails into 10-column sprites', async () => {
    // Every frame a keyframe (10 a second), a thumbnail every 0.1 s: 120 of them.
    await ffmpeg(
      ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10:duration=12'],
      ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '1'],
      [clip('all-keyframes.mp4')],
    );
    const every = await engine.probe(clip('all-keyframes.mp4'));
    const thumbs = await engine.thumbnails(clip('all-keyframes.mp4'), path.join(dir, 'thumbs-many'), {
      info: every,
      intervalSeconds: 0.1,
    });
    expect(thumbs).toMatchObject({ count: 120, columns: 10, rows: 10 });
    expect(thumbs.sprites.map((s) => path.basename(s))).toEqual(['sprite_000.jpg', 'sprite_001.jpg']);
    const cues = await checkTrack(thumbs, every.duration);
    expect(cues[99]).toMatchObject({ sprite: 'sprite_000.jpg', x: 1440, y: 1080 });
    expect(cues[100]).toMatchObject({ sprite: 'sprite_001.jpg', x: 0, y: 0 });
    expect(cues[119]).toMatchObject({ sprite: 'sprite_001.jpg', x: 1440, y: 120 });
  });

  it('gives a clip shorter than one interval one cue over its whole length', async () => {
    const info = await engine.probe(clip('h264.mp4'));
    const thumbs = await engine.thumbnails(clip('h264.mp4'), path.join(dir, 'thumbs-short'), { info });
    expect(thumbs).toMatchObject({ count: 1, intervalSeconds: 10, columns: 1, rows: 1 });
    const [cue] = await checkTrack(thumbs, info.duration);
    expect(cue).toMatchObject({ sprite: 'sprite_000.jpg', x: 0, y: 0, w: 160, h: 120 });
  });

  it('makes upright thumbnails of rotated video', async () => {
    const info = await engine.probe(clip('rotated.mp4'));
    const thumbs = await engine.thumbnails(clip('rotated.mp4'), path.join(dir, 'thumbs-rotated'), {
      info,
      intervalSeconds: 1,
    });
    expect(thumbs).toMatchObject({ width: 160, height: 214 });
    await checkTrack(thumbs, info.duration);
    expect(await picture(thumbs.sprites[0]!)).toMatchObject({ width: 160 * thumbs.count, height: 214 });
  });

  it('keeps a film of any length to a few sprites: 10 s apart up to 100 minutes, further apart above', () => {
    expect(thumbnailInterval(2)).toBe(10);
    expect(thumbnailInterval(100 * 60)).toBe(10);
    expect(thumbnailInterval(3 * 3600)).toBe(18);
    for (const minutes of [1, 90, 101, 180, 600, 1440])
      expect(Math.ceil((minutes * 60) / thumbnailInterval(minutes * 60))).toBeLessThanOrEqual(MAX_THUMBNAILS);
  });

  it('makes the thumbnails of an hour of film in seconds, in four sprites', async () => {
    const info = await engine.probe(clip('hour.mp4'));
    const started = Date.now();
    const thumbs = await engine.thumbnails(clip('hour.mp4'), path.join(dir, 'thumbs-hour'), { info });
    // Keyframes only: well under a minute even on a busy machine (a full decode is far slower).
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(thumbs).toMatchObject({ count: 360, intervalSeconds: 10, columns: 10, rows: 10 });
    expect(thumbs.sprites.map((s) => path.basename(s))).toEqual([
      'sprite_000.jpg',
      'sprite_001.jpg',
      'sprite_002.jpg',
      'sprite_003.jpg',
    ]);
    const cues = await checkTrack(thumbs, info.duration);
    expect(cues.at(-1)).toMatchObject({ sprite: 'sprite_003.jpg', x: 9 * 160, y: 5 * 120 });
    for (const sprite of thumbs.sprites)
      expect(await picture(sprite)).toMatchObject({ width: 1600, height: 1200 });
  }, 120_000);

  it('leaves no thumbnails behind when the signal aborts', async () => {
    const fifo = path.join(dir, 'never-thumbs.fifo');
    await exec('mkfifo', [fifo]);
    const info = await engine.probe(clip('h264.mp4'));
    const controller = new AbortController();
    const out = path.join(dir, 'thumbs-aborted');
    const job = engine.thumbnails(fifo, out, { info, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(job).rejects.toMatchObject({ name: 'AbortError' });
    expect(readdirSync(out)).toEqual([]);
  });
});
