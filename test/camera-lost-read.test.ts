import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLiveCamera } from '../src/capture/live.js';
import type { CameraState } from '../src/capture/live-camera.js';
import { configSchema } from '../src/config/schema.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { renderDemoVideo } from '../src/demo/scene.js';
import { noPosition } from '../src/gps/types.js';
import { silentLogger } from '../src/log.js';
import { CameraPipeline } from '../src/pipeline/camera-pipeline.js';
import { ReadStore } from '../src/store/reads.js';
import type { StoredRead } from '../src/store/types.js';
import { NY_SEDAN } from './helpers/video.js';
import { openDefaultVision } from './helpers/vision.js';
import { openTestDb, tempDir } from './policy-helpers.js';

// A USB camera unplugged (or an RTSP camera gone silent) just as a vehicle passed: the tracker
// kept the vehicle's plate waiting for a next frame that never came, so its read was stored, and
// a hotlist hit on it raised, only when the camera came back, or at the daemon's stop. It is now
// stored idleMs after the plate was last seen, as while frames flow. The camera's real ffmpeg path
// (fed a rendered drive, as these machines have no V4L2), the ONNX models and a SQLite store.
describe('a live camera lost right after a plate was in view', () => {
  const dir = tempDir();
  const video = path.join(dir, 'drive.mp4');
  // 960x540 at 5 fps: the plate in view for 2 s, then 0.2 s of road, and the stream ends (played
  // at half speed: 4 s and 0.4 s, under idleMs).
  beforeAll(
    () =>
      renderDemoVideo({
        out: video,
        width: 960,
        height: 540,
        fps: 5,
        vehicles: [NY_SEDAN],
        secondsPerVehicle: 2,
        gapSeconds: 0.4,
      }),
    120_000,
  );
  const db = openTestDb(dir);
  afterAll(() => db.close());

  it('stores the read while the camera is still away', async () => {
    const config = { ...embeddedDefaults(), dataDir: dir };
    const reads = new ReadStore(db, dir);
    const vision = await openDefaultVision();
    const cfg = configSchema.shape.cameras.parse([
      {
        ...{ id: 'front', kind: 'v4l2', device: '/dev/video0', width: 960, height: 540, fps: 5 },
        // The camera does not come back within the test: the next attempt is a minute away.
        reconnect: { initialMs: 60_000, maxMs: 60_000 },
      },
    ])[0]!;
    if (cfg.kind !== 'v4l2') throw new Error('not a USB camera');
    // At half speed, so a loaded test machine still looks at several frames of the plate.
    const cam = openLiveCamera(cfg, {
      log: silentLogger(),
      v4l2Args: () => ['-readrate', '0.5', '-i', video],
    });
    // The camera's state as each read is stored: "stopped" means at the stop's flush.
    const stored: { read: StoredRead; camera: CameraState }[] = [];
    let storedOne: () => void = () => {};
    const firstRead = new Promise<void>((resolve) => (storedOne = resolve));
    const pipeline = new CameraPipeline(
      cam,
      { config, vision, reads, position: noPosition, log: silentLogger() },
      (read) => {
        stored.push({ read, camera: cam.health().state });
        storedOne();
      },
    );
    try {
      const run = pipeline.run();
      // The read is due idleMs (1.5 s) after the plate was last seen: waited for far longer.
      await Promise.race([firstRead, new Promise((r) => setTimeout(r, 30_000))]);
      await cam.stop();
      await run;
      expect(stored.map((s) => [s.read.plate, s.camera])).toEqual([['KDT4821', 'reconnecting']]);
    } finally {
      await vision.close();
    }
  }, 180_000);
});
