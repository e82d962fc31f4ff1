import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecording } from '../src/capture/file-source.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { noPosition } from '../src/gps/types.js';
import { silentLogger } from '../src/log.js';
import { CameraPipeline } from '../src/pipeline/camera-pipeline.js';
import { ReadStore } from '../src/store/reads.js';
import { NY_SEDAN, renderShortDrive } from './helpers/video.js';
import { openDefaultVision } from './helpers/vision.js';
import { openTestDb, tempDir } from './policy-helpers.js';

// A pipeline that fails mid-drive (onnxruntime out of memory on a loaded unit, a frame it cannot
// take) ends; the daemon logs "camera failed" and reopens the camera. The vehicles it was tracking
// were dropped with it: a plate read well in several frames, perhaps on a hotlist, never stored.
// They are now stored before the failure is passed on. A rendered drive through ffmpeg, the ONNX
// models and a SQLite store; the failure is onnxruntime's, raised on the frame after the plate.
describe('a camera pipeline that fails while a plate is tracked', () => {
  const dir = tempDir();
  const video = path.join(dir, 'drive.mp4');
  beforeAll(() => renderShortDrive(video, [NY_SEDAN]), 120_000);
  const db = openTestDb(dir);
  afterAll(() => db.close());

  it('stores the read of the plate it tracked, then fails', async () => {
    const config = { ...embeddedDefaults(), dataDir: dir };
    const reads = new ReadStore(db, dir);
    const vision = await openDefaultVision();
    const findPlates = vision.findPlates.bind(vision);
    let sightings = 0;
    vision.findPlates = async (frame, regions) => {
      const found = await findPlates(frame, regions);
      if (found.some((o) => o.confidence >= config.vision.minConfidence)) sightings++;
      else if (sightings >= 3)
        throw new Error('Failed to allocate memory for requested buffer of size 8294400');
      return found;
    };
    const source = await openRecording({
      id: 'front',
      path: video,
      realtime: false,
      everyFrame: true,
      startTime: Date.UTC(2026, 11, 2, 12, 0, 0),
    });
    const pipeline = new CameraPipeline(source, {
      config,
      vision,
      reads,
      position: noPosition,
      log: silentLogger(),
    });
    try {
      await expect(pipeline.run()).rejects.toThrow(/Failed to allocate memory/);
    } finally {
      await source.stop();
      await vision.close();
    }
    expect(reads.list().map((r) => r.plate)).toEqual(['KDT4821']);
  }, 180_000);
});
