import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openLiveCamera } from '../src/capture/live.js';
import { configSchema } from '../src/config/schema.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { renderDemoVideo } from '../src/demo/scene.js';
import { LatestFix } from '../src/gps/latest-fix.js';
import { noPosition, type PositionSource } from '../src/gps/types.js';
import { silentLogger } from '../src/log.js';
import { CameraPipeline } from '../src/pipeline/camera-pipeline.js';
import { ReadStore } from '../src/store/reads.js';
import type { StoredRead } from '../src/store/types.js';
import { NY_SEDAN } from './helpers/video.js';
import { openDefaultVision } from './helpers/vision.js';
import { openTestDb, tempDir } from './policy-helpers.js';

// A patrol car's clock is set by NTP or the GPS after boot, often backwards or by minutes. Here
// the wall clock (Date.now, what a live camera stamps its frames with) is stepped by an hour while
// a plate is in view of a USB camera: the camera's real ffmpeg path (fed a rendered drive, as these
// machines have no V4L2), the ONNX models, the tracker and a real SQLite store.
describe('a wall-clock step around a plate in view of a live camera', () => {
  const dir = tempDir();
  const video = path.join(dir, 'drive.mp4');
  // 960x540 at 5 fps: the plate in view for 1.6 s, with 1.5 s of empty road before and after.
  beforeAll(
    () =>
      renderDemoVideo({
        out: video,
        width: 960,
        height: 540,
        fps: 5,
        vehicles: [NY_SEDAN],
        secondsPerVehicle: 1.6,
        gapSeconds: 3,
      }),
    120_000,
  );
  afterEach(() => vi.restoreAllMocks());
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /**
   * Plays the drive to a USB camera and steps the wall clock by `stepMs`: when the plate is seen
   * well for the second time (mid-track), or as its read is stored (after the plate was last
   * seen, while the tracker waits idleMs for it to come back). `gps` is the receiver's latest fix,
   * given fixes by the caller.
   */
  async function driveWithClockStep(
    stepMs: number,
    opts: { when?: 'mid-track' | 'as the read is stored'; gps?: LatestFix } = {},
  ) {
    const realNow = Date.now.bind(Date);
    let offset = 0;
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + offset);
    const when = opts.when ?? 'mid-track';
    const sub = fs.mkdtempSync(path.join(dir, 'run-'));
    const config = { ...embeddedDefaults(), dataDir: sub };
    // Frames of the plate come 400 ms apart (5 fps at half speed), further when inference is slow:
    // 1.5 s keeps them one track. The road is empty for 3 s after the plate, so the read is still
    // stored while the camera streams.
    config.tracker = { ...config.tracker, idleMs: 1500 };
    const db = openTestDb(sub);
    const reads = new ReadStore(db, sub);
    const vision = await openDefaultVision();
    // The clock steps as the plate is seen well for the second time: mid-track.
    const findPlates = vision.findPlates.bind(vision);
    let sightings = 0;
    vision.findPlates = async (frame, regions) => {
      const found = await findPlates(frame, regions);
      if (found.some((o) => o.confidence >= config.vision.minConfidence) && ++sightings === 2)
        if (when === 'mid-track') offset = stepMs;
      return found;
    };
    const gps = opts.gps;
    const position: PositionSource = gps
      ? {
          fixAt: (timeMs, monoMs) => {
            if (when === 'as the read is stored') offset = stepMs;
            return gps.fixAt(timeMs, monoMs);
          },
        }
      : noPosition;
    const cfg = configSchema.shape.cameras.parse([
      {
        id: 'front',
        kind: 'v4l2',
        device: '/dev/video0',
        width: 960,
        height: 540,
        fps: 5,
        // The drive plays once: the attempt after it ends would wait a minute.
        reconnect: { initialMs: 60_000, maxMs: 60_000 },
      },
    ])[0]!;
    if (cfg.kind !== 'v4l2') throw new Error('not a USB camera');
    // At half speed, so a loaded test machine still looks at several frames of the plate.
    const cam = openLiveCamera(cfg, {
      log: silentLogger(),
      v4l2Args: () => ['-readrate', '0.5', '-i', video],
    });
    const storedWhileStreaming: StoredRead[] = [];
    let stopping = false;
    const pipeline = new CameraPipeline(
      cam,
      { config, vision, reads, position, log: silentLogger() },
      (read) => {
        if (!stopping) storedWhileStreaming.push(read);
      },
    );
    try {
      const run = pipeline.run();
      // Waiting by the monotonic clock too (test/helpers' waitFor would see the step).
      const until = performance.now() + 60_000;
      while (cam.health().state !== 'reconnecting') {
        if (performance.now() > until) throw new Error('the drive did not play to its end in 60 s');
        await new Promise((r) => setTimeout(r, 50));
      }
      stopping = true;
      await cam.stop();
      await run;
      return { sightings, storedWhileStreaming, stored: reads.list(), clockNow: Date.now() };
    } finally {
      await vision.close();
      db.close();
    }
  }

  it.each([
    ['back', -3_600_000],
    ['forward', 3_600_000],
  ])(
    'steps %s an hour: still one read, stored once the plate has gone, its times in order on the new clock',
    async (_, step) => {
      const { sightings, storedWhileStreaming, stored, clockNow } = await driveWithClockStep(step);
      expect(sightings).toBeGreaterThanOrEqual(3);
      expect(stored.map((r) => r.plate)).toEqual(['KDT4821']);
      // Emitted when the plate had been gone idleMs, not when the camera stopped (the flush).
      expect(storedWhileStreaming.map((r) => r.plate)).toEqual(['KDT4821']);
      const read = stored[0]!;
      // In view about 3.2 s at half speed: the span is the real one, not an hour or negative.
      expect(read.lastSeen - read.firstSeen).toBeGreaterThan(0);
      expect(read.lastSeen - read.firstSeen).toBeLessThan(5000);
      expect(read.ts).toBeGreaterThanOrEqual(read.firstSeen);
      expect(read.ts).toBeLessThanOrEqual(read.lastSeen);
      // On the corrected clock: seconds before the test's (stepped) now.
      expect(clockNow - read.lastSeen).toBeGreaterThanOrEqual(0);
      expect(clockNow - read.lastSeen).toBeLessThan(30_000);
    },
    180_000,
  );

  // The read is stored idleMs after the plate was last seen; a step of the wall clock in between must
  // not change the age of the fix attached to it: the frame was taken when it was, on the monotonic
  // clock, whatever the wall clock says by the time the read is stored.
  describe('after the plate was last seen, with a GPS receiver', () => {
    it('steps back an hour: the read keeps the fresh position the receiver gives', async () => {
      // A receiver giving a fix five times a second, as it does while the car drives. Its wall
      // clock is the (stepped) Date.now as it is when asked.
      const gps = new LatestFix(2000, () => Date.now());
      const fix = () => gps.update({ lat: 42.65, lon: -73.75, time: Date.now(), mode: 3 });
      fix();
      const receiver = setInterval(fix, 200);
      try {
        const { stored } = await driveWithClockStep(-3_600_000, { when: 'as the read is stored', gps });
        expect(stored.map((r) => [r.plate, r.gps?.lat, r.flags])).toEqual([['KDT4821', 42.65, []]]);
        expect(stored[0]!.gpsFixAgeMs).toBeLessThan(1000);
      } finally {
        clearInterval(receiver);
      }
    }, 180_000);

    it('steps forward an hour: a fix older than maxFixAgeMs when the plate was seen is not attached', async () => {
      // One fix before the camera starts, then the receiver says nothing (a hung serial line): the
      // plate comes into view 3 s into the drive (at half speed), with the fix over 2 s old.
      const gps = new LatestFix(2000, () => Date.now());
      gps.update({ lat: 42.65, lon: -73.75, time: Date.now(), mode: 3 });
      const { stored } = await driveWithClockStep(3_600_000, { when: 'as the read is stored', gps });
      expect(stored.map((r) => [r.plate, r.gps, r.gpsFixAgeMs, r.flags])).toEqual([
        ['KDT4821', null, null, ['no-gps-fix']],
      ]);
    }, 180_000);
  });
});

// A read asks for the fix at its own (wall-clock) time; the fix's age must come from the monotonic
// clock, or a stepped clock makes a stale fix look fresh (back) or a fresh one stale (forward).
describe('the age of the GPS fix attached to a read, across a wall-clock step', () => {
  const T = Date.UTC(2026, 11, 1, 9, 0, 0);
  const fix = { lat: 42.65, lon: -73.75, time: T, mode: 3 as const };
  /** One fix received, on a wall and a monotonic clock the test moves apart. */
  const receivedFix = () => {
    const clock = { wall: T, mono: 1000 };
    const gps = new LatestFix(
      5000,
      () => clock.wall,
      () => clock.mono,
    );
    gps.update(fix);
    return { gps, clock };
  };

  it('is the time since the fix arrived when the clock steps back', () => {
    const { gps, clock } = receivedFix();
    clock.mono += 2000;
    clock.wall += 2000 - 3_600_000;
    expect(gps.fixAt(clock.wall)?.ageMs).toBe(2000);
    expect(gps.latest()?.ageMs).toBe(2000);
    // Ten seconds after it arrived it is stale, though the wall clock is still before it.
    clock.mono += 8000;
    clock.wall += 8000;
    expect(gps.fixAt(clock.wall)).toBeNull();
  });

  it('is the time since the fix arrived when the clock steps forward', () => {
    const { gps, clock } = receivedFix();
    clock.mono += 1000;
    clock.wall += 1000 + 3_600_000;
    expect(gps.fixAt(clock.wall)?.ageMs).toBe(1000);
    // A read whose frame was taken half a second earlier: the fix was half a second old then.
    expect(gps.fixAt(clock.wall - 500)?.ageMs).toBe(500);
  });

  it("is measured to a live frame's monotonic time, whatever the clock did after the frame", () => {
    const { gps, clock } = receivedFix();
    // The frame is taken a second after the fix; the read is stored 1.5 s later, after a step.
    const frame = { ts: clock.wall + 1000, mono: clock.mono + 1000 };
    clock.mono += 2500;
    clock.wall += 2500 - 3_600_000;
    expect(gps.fixAt(frame.ts, frame.mono)?.ageMs).toBe(1000);
    expect(gps.lastKnownAt(frame.ts, frame.mono)?.ageMs).toBe(1000);
  });
});
