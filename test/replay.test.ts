import { describe, expect, it } from 'vitest';
import path from 'node:path';
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { DEMO_VEHICLES, renderDemoVideo } from '../src/demo/scene.js';
import { runCli, jsonLines } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { NJ_SEDAN, NY_SEDAN, renderShortDrive } from './helpers/video.js';

const dir = tempDir();
const video = path.join(dir, 'drive.mp4');

describe('replay of a generated drive (ffmpeg + ONNX models + SQLite)', () => {
  it('reads each vehicle once, with the right plate, and stores the reads with their images', async () => {
    const { frames } = await renderShortDrive(video, [NY_SEDAN, NJ_SEDAN]);
    const dataDir = path.join(dir, 'data');
    const result = await runCli(['replay', video, '--every-frame', '--json', '--data-dir', dataDir]);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    const reads = jsonLines(result.stdout);
    expect(reads.map((r) => r.plate)).toEqual(['KDT4821', 'HZN5177']);
    for (const r of reads) {
      expect(Object.keys(r)).toEqual(
        expect.arrayContaining(['plate', 'state', 'confidence', 'camera', 'firstSeen', 'lastSeen', 'frames']),
      );
      // Tracking merged the vehicle's frames into one read.
      expect(r.frames as number).toBeGreaterThan(3);
      expect(r.confidence as number).toBeGreaterThan(0.5);
      expect(Date.parse(r.lastSeen as string)).toBeGreaterThan(Date.parse(r.firstSeen as string));
    }
    const summary = JSON.parse(result.stderr.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ frames, framesProcessed: frames, framesDropped: 0, reads: 2 });
    expect(Object.keys(summary.stageMsPerFrame)).toEqual(['decode', 'detect', 'recognise', 'track', 'store']);

    const db = new Database(path.join(dataDir, 'lpr-edge.db'), { readonly: true });
    const rows = db
      .prepare('SELECT plate, camera_id, crop_path, overview_path FROM reads ORDER BY seq')
      .all() as Record<string, string>[];
    db.close();
    expect(rows.map((r) => r.plate)).toEqual(['KDT4821', 'HZN5177']);
    for (const row of rows) {
      expect(row.camera_id).toBe('replay');
      expect(existsSync(path.join(dataDir, row.crop_path!))).toBe(true);
      expect(existsSync(path.join(dataDir, row.overview_path!))).toBe(true);
    }
    // The officer verifies the state on the stored crop (policy IV.C.2), so it shows the whole
    // plate with its printed state name: read on its own, each crop names its vehicle's state.
    // (From the characters alone the New Jersey plate would get the home state's format prior.)
    const crops = await runCli([
      'read',
      '--crop',
      '--json',
      ...rows.map((r) => path.join(dataDir, r.crop_path!)),
    ]);
    expect(crops.code).toBe(0);
    const states = jsonLines(crops.stdout).map((c) => (c.plates as { state: string }[])[0]?.state);
    expect(states).toEqual(['NY', 'NJ']);
  }, 240_000);

  it('stores only the plates of a 1080p drive, no misread state name', async () => {
    // The bench's drive, one round: at 1080p the Vermont plate's name was once read "VERNMONT",
    // all letters, and stored as a plate of its own.
    const drive = path.join(dir, 'drive-1080p.mp4');
    await renderDemoVideo({
      out: drive,
      width: 1920,
      height: 1080,
      fps: 10,
      secondsPerVehicle: 2,
      gapSeconds: 1,
    });
    const result = await runCli([
      'replay',
      drive,
      '--every-frame',
      '--json',
      '--data-dir',
      path.join(dir, 'd1080'),
    ]);
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout).map((r) => r.plate)).toEqual(DEMO_VEHICLES.map((v) => v.plate));
  }, 240_000);

  it('fails with one line naming a missing recording', async () => {
    const result = await runCli([
      'replay',
      path.join(dir, 'missing.mp4'),
      '--data-dir',
      path.join(dir, 'd2'),
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toBe(`lpr-edge: ${path.join(dir, 'missing.mp4')}: no such file`);
  });
});
