/**
 * A film with more than one audio track, made here by ffmpeg (testsrc2 and three sine tones:
 * English AAC stereo, Russian AC-3 5.1, an untagged AAC commentary with a title): each track
 * becomes an audio-only rendition, the video rendition carries none, and the master playlist
 * lists the tracks in an AUDIO group that an independent ffmpeg reads and decodes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMediaEngine, type MediaEngine } from './media.engine.js';
import { languageTag, masterPlaylist, writeMasterPlaylist, type Rendition } from './media.hls.js';

const exec = promisify(execFile);
let dir: string;
let engine: MediaEngine;
let film: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kino-audio-'));
  engine = await createMediaEngine();
  film = path.join(dir, 'three-tracks.mkv');
  const tone = (hz: number, layout = 'stereo') => [
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${hz}:sample_rate=48000:duration=4,aformat=channel_layouts=${layout}`,
  ];
  await exec(engine.ffmpeg.path, [
    ...['-nostdin', '-v', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=4'],
    ...tone(440),
    ...tone(550, '5.1'),
    ...tone(660),
    ...['-map', '0', '-map', '1', '-map', '2', '-map', '3'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25'],
    ...['-c:a:0', 'aac', '-c:a:1', 'ac3', '-c:a:2', 'aac'],
    ...['-metadata:s:a:0', 'language=eng', '-metadata:s:a:1', 'language=rus'],
    ...['-metadata:s:a:2', 'title=Director\'s "commentary"'],
    film,
  ]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('media engine: audio tracks', () => {
  it('probes every track with its language and title', async () => {
    const info = await engine.probe(film);
    expect(info.audio.map((a) => [a.codec, a.channels, a.language, a.title])).toEqual([
      ['aac', 2, 'eng', null],
      ['ac3', 6, 'rus', null],
      ['aac', 2, null, 'Director\'s "commentary"'],
    ]);
  });

  it('packages each further track as an audio-only rendition, copied when AAC stereo, else AAC stereo', async () => {
    const info = await engine.probe(film);
    const out = path.join(dir, 'tracks');
    const [russian, commentary] = await Promise.all([
      engine.packageAudioTrack(film, out, 'audio1', info.audio[1]!, { info, segmentSeconds: 2 }),
      engine.packageAudioTrack(film, out, 'audio2', info.audio[2]!, { info, segmentSeconds: 2 }),
    ]);
    expect(russian).toMatchObject({
      name: 'audio1',
      playlist: 'audio1/index.m3u8',
      language: 'ru',
      label: 'Russian',
      channels: 2,
      codecs: 'mp4a.40.2',
    });
    expect(commentary).toMatchObject({ language: null, label: 'Director\'s "commentary"', channels: 2 });
    for (const track of [russian, commentary]) {
      expect(track.duration).toBeGreaterThan(3.9);
      expect(track.bandwidth).toBeGreaterThanOrEqual(track.averageBandwidth);
      expect(track.averageBandwidth).toBeGreaterThan(10_000);
    }
    // Audio only: no video stream in the rendition.
    const { stdout } = await exec(engine.ffprobe.path, [
      ...['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,channels', '-of', 'csv=p=0'],
      path.join(out, 'audio1', 'index.m3u8'),
    ]);
    // (ffprobe lists an HLS input's streams under its program too.)
    expect(new Set(stdout.split('\n').filter(Boolean))).toEqual(new Set(['aac,audio,2']));
  });

  it('writes an AUDIO group of every track, the first by default, each NAME unique and quoted safely, beside video without audio', async () => {
    const info = await engine.probe(film);
    const out = path.join(dir, 'package');
    const { rendition } = await engine.packageSource(film, out, {
      info,
      segmentSeconds: 2,
      separateAudio: true,
    });
    expect(rendition.codecs).toMatch(/^avc1\.[0-9a-f]{6}$/);
    const tracks = [];
    for (const [i, track] of info.audio.entries())
      tracks.push(await engine.packageAudioTrack(film, out, `audio${i}`, track, { info, segmentSeconds: 2 }));
    const master = await writeMasterPlaylist(out, [rendition], { audio: { tracks } });
    const text = readFileSync(master, 'utf8');
    expect(text.split('\n').filter((l) => l.startsWith('#EXT-X-MEDIA'))).toEqual([
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",LANGUAGE="en",CHANNELS="2",DEFAULT=YES,AUTOSELECT=YES,URI="audio0/index.m3u8"',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Russian",LANGUAGE="ru",CHANNELS="2",DEFAULT=NO,AUTOSELECT=YES,URI="audio1/index.m3u8"',
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Director's 'commentary'",CHANNELS="2",DEFAULT=NO,AUTOSELECT=YES,URI="audio2/index.m3u8"`,
    ]);
    const variant = text.split('\n').find((l) => l.startsWith('#EXT-X-STREAM-INF'))!;
    expect(variant).toContain('AUDIO="audio"');
    expect(variant).toContain(`CODECS="${rendition.codecs},mp4a.40.2"`);
    const peak = Math.max(...tracks.map((a) => a.bandwidth));
    expect(variant).toContain(`BANDWIDTH=${rendition.bandwidth + peak},`);

    // The video rendition has no audio; an independent ffmpeg reads the group and decodes it all.
    const video = await exec(engine.ffprobe.path, [
      ...['-v', 'error', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0'],
      path.join(out, 'source', 'index.m3u8'),
    ]);
    expect(new Set(video.stdout.split('\n').filter(Boolean))).toEqual(new Set(['video']));
    const { stdout } = await exec(engine.ffprobe.path, [
      ...['-v', 'error', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0', master],
    ]);
    expect(stdout.split('\n').filter((l) => l === 'audio').length).toBeGreaterThanOrEqual(3);
    await exec(engine.ffmpeg.path, ['-v', 'error', '-i', master, '-map', '0', '-f', 'null', '-']);
  });

  it('lists no AUDIO group for a film of one track, and keeps names unique', () => {
    const r: Rendition = {
      name: 'source',
      playlist: 'source/index.m3u8',
      width: 320,
      height: 240,
      frameRate: 25,
      codecs: 'avc1.64000d,mp4a.40.2',
      bandwidth: 300_000,
      averageBandwidth: 200_000,
      duration: 4,
    };
    expect(masterPlaylist([r])).not.toContain('EXT-X-MEDIA');
    expect(masterPlaylist([r], { audio: { tracks: [] } })).not.toContain('AUDIO=');
    const track = {
      name: 'audio0',
      playlist: 'audio0/index.m3u8',
      language: 'en',
      label: 'English',
      channels: 2,
      codecs: 'mp4a.40.2',
      bandwidth: 1,
      averageBandwidth: 1,
      duration: 4,
    };
    const text = masterPlaylist([{ ...r, codecs: 'avc1.64000d' }], {
      audio: { tracks: [track, { ...track, name: 'audio1' }, { ...track, name: 'audio2' }] },
    });
    expect(text.match(/NAME="[^"]*"/g)).toEqual([
      'NAME="English"',
      'NAME="English (2)"',
      'NAME="English (3)"',
    ]);
  });

  it('turns ISO 639 tags into RFC 5646 and drops what names no language', () => {
    expect(['eng', 'rus', 'fre', 'ger', 'pt-BR', 'und', '', null, '12', 'x'].map(languageTag)).toEqual([
      'en',
      'ru',
      'fr',
      'de',
      'pt-BR',
      null,
      null,
      null,
      null,
      null,
    ]);
  });
});
