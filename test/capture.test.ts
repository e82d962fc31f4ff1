import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { openRecording } from '../src/capture/file-source.js';
import { openFolder } from '../src/capture/folder-source.js';
import { probeVideo } from '../src/capture/probe.js';
import { FrameSlot } from '../src/capture/frame-slot.js';
import type { Frame, FrameSource } from '../src/capture/types.js';
import { tempDir } from './helpers/tmp.js';
import { makeTestVideo } from './helpers/video.js';

const dir = tempDir();
const video = path.join(dir, 'pattern.mp4');
makeTestVideo(video, { frames: 37, fps: 10 });

async function collect(source: FrameSource, slowMs = 0): Promise<Frame[]> {
  const frames: Frame[] = [];
  for await (const f of source.frames()) {
    frames.push(f);
    if (slowMs) await new Promise((r) => setTimeout(r, slowMs));
  }
  return frames;
}

describe('recorded video source (ffmpeg)', () => {
  it('delivers exactly the frames of the recording, timed by their presentation times', async () => {
    const start = Date.UTC(2026, 0, 1, 12);
    const source = await openRecording({
      id: 'cam',
      path: video,
      realtime: false,
      everyFrame: true,
      startTime: start,
    });
    const frames = await collect(source, 2);
    expect(frames).toHaveLength(37);
    expect(frames.map((f) => f.index)).toEqual([...Array(37).keys()]);
    expect(frames[0]).toMatchObject({ width: 320, height: 240, ts: start, cameraId: 'cam' });
    expect(frames[10]!.ts).toBe(start + 1000);
    expect(frames[0]!.rgb.length).toBe(320 * 240 * 3);
    expect(source.stats()).toMatchObject({ decoded: 37, dropped: 0 });
  });

  it('drops frames (latest wins) and counts them when the consumer is slower than the source', async () => {
    const source = await openRecording({ id: 'cam', path: video, realtime: false, everyFrame: false });
    const frames = await collect(source, 40);
    const stats = source.stats();
    expect(stats.decoded).toBe(37);
    expect(stats.dropped).toBeGreaterThan(0);
    expect(frames.length + stats.dropped).toBe(37);
    // The last frame of the recording is never lost: the consumer always gets the newest.
    expect(frames.at(-1)!.index).toBe(36);
  });

  it('gives no frames, and starts no ffmpeg, when stopped before it is read', async () => {
    const source = await openRecording({
      id: 'cam',
      path: video,
      realtime: true,
      everyFrame: false,
      loop: true,
    });
    await source.stop();
    // A looping recording read at its own pace would never end; a stopped one ends at once.
    const frames = await Promise.race([
      collect(source),
      new Promise<string>((r) => setTimeout(() => r('still reading after 5 s'), 5000)),
    ]);
    expect(frames).toEqual([]);
    expect(source.stats().decoded).toBe(0);
  });

  it('skips a corrupt stretch in the middle of a video, counts it and goes on', async () => {
    const ts = path.join(dir, 'long.ts');
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=10',
      '-frames:v',
      '60',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-g',
      '10',
      '-f',
      'mpegts',
      ts,
    ]);
    const bytes = readFileSync(ts);
    // Overwrite a block in the middle with garbage (keeping MPEG-TS sync bytes so the demuxer goes on).
    for (let i = Math.floor(bytes.length * 0.45); i < Math.floor(bytes.length * 0.55); i++)
      if (i % 188 !== 0) bytes[i] = (i * 7919) & 0xff;
    const damaged = path.join(dir, 'damaged.ts');
    writeFileSync(damaged, bytes);
    const source = await openRecording({ id: 'cam', path: damaged, realtime: false, everyFrame: true });
    const frames = await collect(source);
    const stats = source.stats();
    expect(stats.corrupt).toBeGreaterThan(0);
    expect(frames.length).toBeLessThan(60);
    // Frames after the damage are still delivered.
    expect(frames.length).toBeGreaterThan(30);
  });

  it('decodes the video stream it probed from a file with two, not the larger one squeezed to its size', async () => {
    // Two cameras, or a recording and its preview, in one file: the first stream red at 160x120,
    // the second blue at 320x180 and marked default, which ffmpeg picks on its own (a default
    // stream first, then the highest resolution) and squeezed into the probed first's size.
    const two = path.join(dir, 'two-streams.mkv');
    execFileSync('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=red:size=160x120:rate=5:duration=1'],
      ...['-f', 'lavfi', '-i', 'color=c=blue:size=320x180:rate=5:duration=1'],
      ...['-map', '0:v', '-map', '1:v', '-disposition:v:0', '0', '-disposition:v:1', 'default'],
      ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', two],
    ]);
    const source = await openRecording({ id: 'cam', path: two, realtime: false, everyFrame: true });
    const frames = await collect(source);
    expect(frames).toHaveLength(5);
    const [r, g, b] = frames[0]!.rgb.subarray(0, 3);
    expect({
      width: frames[0]!.width,
      height: frames[0]!.height,
      red: r! > 200 && g! < 60 && b! < 60,
    }).toEqual({
      width: 160,
      height: 120,
      red: true,
    });
  });

  it('fails with a one-line error naming a missing or non-video file', async () => {
    await expect(
      openRecording({ id: 'c', path: path.join(dir, 'nope.mp4'), realtime: false, everyFrame: true }),
    ).rejects.toThrow(/nope\.mp4: no such file/);
    const text = path.join(dir, 'notes.mp4');
    writeFileSync(text, 'this is not a video');
    await expect(openRecording({ id: 'c', path: text, realtime: false, everyFrame: true })).rejects.toThrow(
      /notes\.mp4: not a readable video/,
    );
    // A 1-pixel-high video: refused, where it used to spin forever on empty frames, deaf to SIGTERM.
    const row = path.join(dir, 'row.mkv');
    execFileSync('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=color=gray:size=640x2:duration=1'],
      ...['-vf', 'scale=640:1', '-c:v', 'ffv1', row],
    ]);
    await expect(openRecording({ id: 'c', path: row, realtime: false, everyFrame: true })).rejects.toThrow(
      /row\.mkv: the video is 640x1, too small to hold a plate \(at least 16x16\)/,
    );
  });

  it('names a file that ffprobe gives no answer on (a hung network mount) instead of waiting for ever', async () => {
    // An ffprobe that hangs, first on the PATH: the real one cannot be made to hang on demand.
    const bin = path.join(dir, 'hung-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, 'ffprobe'), '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const pathBefore = process.env.PATH;
    process.env.PATH = `${bin}:${pathBefore}`;
    try {
      await expect(probeVideo(video, 'video', 500)).rejects.toThrow(
        `${video}: ffprobe gave no answer in 0.5 s`,
      );
    } finally {
      process.env.PATH = pathBefore;
    }
  });

  it('reads an image folder in name order, skipping and counting undecodable files', async () => {
    const folder = path.join(dir, 'stills');
    mkdirSync(folder);
    for (const [i, size] of ['160x120', '320x240'].entries()) {
      execFileSync('ffmpeg', [
        '-loglevel',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=${size}`,
        '-frames:v',
        '1',
        path.join(folder, `b${i}.png`),
      ]);
    }
    copyFileSync(path.join(folder, 'b0.png'), path.join(folder, 'a.png'));
    writeFileSync(path.join(folder, 'c-broken.jpg'), 'not a jpeg');
    const source = openFolder({ id: 'stills', path: folder, everyFrame: true, fps: 2, startTime: 0 });
    const frames = await collect(source);
    expect(frames.map((f) => [f.width, f.height, f.ts])).toEqual([
      [160, 120, 0],
      [160, 120, 500],
      [320, 240, 1000],
    ]);
    expect(source.stats().corrupt).toBe(1);
  });
});

describe('frame slot', () => {
  it('keeps only the newest frame in latest-wins mode', async () => {
    const slot = new FrameSlot<number>(false);
    await slot.put(1);
    await slot.put(2);
    await slot.put(3);
    expect(await slot.take()).toBe(3);
    expect(slot.dropped).toBe(2);
    slot.end();
    expect(await slot.take()).toBeNull();
  });

  it('makes the producer wait in every-frame mode', async () => {
    const slot = new FrameSlot<number>(true);
    await slot.put(1);
    let second = false;
    const pending = slot.put(2).then(() => (second = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(second).toBe(false);
    expect(await slot.take()).toBe(1);
    await pending;
    expect(await slot.take()).toBe(2);
    expect(slot.dropped).toBe(0);
  });
});
