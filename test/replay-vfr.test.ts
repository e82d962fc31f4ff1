import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRecording } from '../src/capture/file-source.js';
import { ReadStore } from '../src/store/reads.js';
import { runCli } from './helpers/cli.js';
import { nmeaLog, straightDrive } from './helpers/nmea-track.js';
import { NY_SEDAN, renderShortDrive } from './helpers/video.js';
import { openTestDb, tempDir } from './policy-helpers.js';

// Phones record at a variable frame rate: slower in the dark or when the scene is still. A
// recording's frames must be timed by their own presentation times, not by index / nominal rate.
const dir = tempDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 10, 28, 14, 0, 0);

/** Concatenates an 8 s still scene at 1 frame/s and `after` at its own rate into one VFR file. */
function slowThenNormal(out: string, size: string, after: string[]): void {
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `color=c=gray:size=${size}:rate=1:duration=8`, ...after],
    ...['-filter_complex', '[0:v]setsar=1[a];[1:v]setsar=1[b];[a][b]concat=n=2:v=1[v]', '-map', '[v]'],
    ...['-fps_mode', 'vfr', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', out],
  ]);
}

/** Each frame's presentation time in ms, as ffprobe reports it. */
function probePts(file: string): number[] {
  const out = execFileSync('ffprobe', [
    ...['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0'],
    file,
  ]).toString();
  return out
    .split('\n')
    .map((l) => l.replace(/,/g, '').trim())
    .filter(Boolean)
    .map((s) => Number(s) * 1000);
}

describe('variable-frame-rate recordings', () => {
  it('time each frame by its presentation time', async () => {
    const video = path.join(dir, 'vfr-pattern.mp4');
    slowThenNormal(video, '320x240', ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=5:duration=3']);
    const pts = probePts(video);
    // 8 frames a second apart, then 5 frames/s: an average of about 2 frames/s.
    expect(pts.slice(0, 9)).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]);
    expect(pts[9]! - pts[8]!).toBeCloseTo(200);
    const source = await openRecording({
      id: 'front',
      path: video,
      realtime: false,
      everyFrame: true,
      startTime: T0,
    });
    const frames: { ts: number; mono: number }[] = [];
    for await (const f of source.frames()) frames.push({ ts: f.ts, mono: f.mono });
    expect(frames.map((f) => f.ts - T0)).toEqual(pts.map((ms) => Math.round(ms)));
    // The tracker's clock is the recording's own timeline.
    expect(frames.map((f) => f.mono)).toEqual(pts.map((ms) => expect.closeTo(ms, 0)));
  });

  it('give replayed reads their real times and the GPS positions of those times', async () => {
    const drive = path.join(dir, 'drive.mp4');
    // At 5 frames/s, the plate is in view from 0.6 to 2.2 s of the drive: 8.6 to 10.2 s here.
    await renderShortDrive(drive, [NY_SEDAN]);
    const video = path.join(dir, 'vfr-drive.mp4');
    slowThenNormal(video, '960x540', ['-i', drive]);
    const track = path.join(dir, 'drive.nmea');
    // 0.001° of latitude a second: a read's position tells the second it was matched to.
    fs.writeFileSync(track, nmeaLog(straightDrive(T0, 30, 42.6526, -73.7562, 0.001)));
    const data = path.join(dir, 'data');
    const r = await runCli(['replay', video, '--every-frame', '--json', '--gps', track, '--data-dir', data]);
    expect(r.code, r.stderr).toBe(0);
    const reads = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { plate: string; firstSeen: string; lastSeen: string });
    expect(reads.map((read) => read.plate)).toEqual(['KDT4821']);
    // Index / average rate (about 2 frames/s) would put the plate at about 5.4 to 8.8 s.
    const first = Date.parse(reads[0]!.firstSeen) - T0;
    const last = Date.parse(reads[0]!.lastSeen) - T0;
    expect(first).toBeGreaterThanOrEqual(8600);
    expect(last).toBeGreaterThanOrEqual(first);
    expect(last).toBeLessThanOrEqual(10_200);
    // The position is the track's at the read's time: 8.6 to 10.2 s in.
    const db = openTestDb(data);
    try {
      const [stored] = new ReadStore(db, data).list();
      expect(stored!.gps!.lat).toBeGreaterThanOrEqual(42.6526 + 0.008);
      expect(stored!.gps!.lat).toBeLessThanOrEqual(42.6526 + 0.0105);
    } finally {
      db.close();
    }
  }, 240_000);
});
