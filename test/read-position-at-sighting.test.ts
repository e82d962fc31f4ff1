import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openLiveCamera } from '../src/capture/live.js';
import { configSchema } from '../src/config/schema.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { renderDemoVideo } from '../src/demo/scene.js';
import { nmeaSentence } from '../src/gps/nmea.js';
import { SerialNmeaSource } from '../src/gps/serial.js';
import { silentLogger } from '../src/log.js';
import { CameraPipeline } from '../src/pipeline/camera-pipeline.js';
import { ReadStore } from '../src/store/reads.js';
import type { StoredRead } from '../src/store/types.js';
import { nmeaBurst } from './helpers/nmea-track.js';
import { killChild, ptyPair, waitFor } from './helpers/proc.js';
import { NY_SEDAN } from './helpers/video.js';
import { openDefaultVision } from './helpers/vision.js';
import { openTestDb, tempDir } from './policy-helpers.js';

// A read is stored idleMs (1.5 s) after its plate was last seen, longer after its best frame. It
// was given the receiver's fix of that later moment: at 20 m/s the car is 50 m or more further
// on, a place the read carried as where the plate was seen; and a fix lost in between (a tunnel
// just after the plate) left the read without any position, flagged no-gps-fix, though the unit
// knew where it was when it saw the plate. A read now carries the fix the unit had at its best
// frame, as a replay with --gps always gave it. A serial receiver through a socat pty pair, a USB
// camera's real ffmpeg path (fed a rendered drive), the ONNX models and a SQLite store.
const dir = tempDir();
const video = path.join(dir, 'drive.mp4');
const WHERE_SEEN = { lat: 42.6526, lon: -73.7562 };
/** 60 m further north: where the car is by the time the read is stored. */
const FURTHER_ON = { lat: 42.6531, lon: -73.7562 };

beforeAll(
  // 960x540 at 5 fps: the plate in view for 1.6 s, then 3 s of empty road while its read is stored.
  () =>
    renderDemoVideo({
      out: video,
      width: 960,
      height: 540,
      fps: 5,
      vehicles: [NY_SEDAN],
      secondsPerVehicle: 1.6,
      gapSeconds: 6,
    }),
  120_000,
);
const children: ChildProcess[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const c of children.splice(0)) await killChild(c);
});
const db = openTestDb(dir);
afterAll(() => db.close());

let runs = 0;
/**
 * Drives past the plate with a receiver giving `WHERE_SEEN` every 200 ms; in the first frame
 * after the plate was seen and has gone, the receiver switches to `then` (the unit has it before
 * that frame's processing ends). Returns the reads stored.
 */
async function drive(then: 'moves on' | 'loses its fix'): Promise<StoredRead[]> {
  const n = runs++;
  const receiver = path.join(dir, `receiver${n}`);
  const tty = path.join(dir, `ttyGPS${n}`);
  children.push(await ptyPair(receiver, tty));
  let position: typeof WHERE_SEEN | null = WHERE_SEEN;
  const send = () => {
    const burst = position
      ? nmeaBurst({ time: Date.now(), ...position, speedMps: 20, headingDeg: 0 })
      : [nmeaSentence('GPGGA,,,,,,0,00,99.9,,M,,M,,'), nmeaSentence('GPRMC,,V,,,,,,,,,,N')];
    // Not appendFileSync: the event loop that reads the other end must keep running. A burst in
    // flight as the pair is closed at the end fails (EIO), unread by then anyway.
    fs.promises.appendFile(receiver, burst.join('\r\n') + '\r\n').catch(() => undefined);
  };
  const gps = new SerialNmeaSource({ path: tty, baud: 9600, maxFixAgeMs: 2000, log: silentLogger() });
  await gps.start();
  send();
  timers.push(setInterval(send, 200));
  await waitFor(() => gps.fixAt(Date.now()), 10_000, 'the first fix');

  const config = { ...embeddedDefaults(), dataDir: dir };
  const reads = new ReadStore(db, dir);
  const vision = await openDefaultVision();
  const findPlates = vision.findPlates.bind(vision);
  let sightings = 0;
  let switched = false;
  vision.findPlates = async (frame, regions) => {
    const found = await findPlates(frame, regions);
    if (found.some((o) => o.confidence >= config.vision.minConfidence)) sightings++;
    else if (sightings >= 2 && !switched) {
      switched = true;
      position = then === 'moves on' ? FURTHER_ON : null;
      send();
      await waitFor(
        () => (position ? gps.fixAt(Date.now())?.fix.lat === FURTHER_ON.lat : !gps.fixAt(Date.now())),
        10_000,
        `the receiver's switch (${then})`,
      );
    }
    return found;
  };
  const cfg = configSchema.shape.cameras.parse([
    {
      ...{ id: 'front', kind: 'v4l2', device: '/dev/video0', width: 960, height: 540, fps: 5 },
      reconnect: { initialMs: 60_000, maxMs: 60_000 },
    },
  ])[0]!;
  if (cfg.kind !== 'v4l2') throw new Error('not a USB camera');
  // At half speed, so a loaded test machine still looks at several frames of the plate.
  const cam = openLiveCamera(cfg, { log: silentLogger(), v4l2Args: () => ['-readrate', '0.5', '-i', video] });
  const stored: StoredRead[] = [];
  const pipeline = new CameraPipeline(
    cam,
    { config, vision, reads, position: gps, log: silentLogger() },
    (read) => stored.push(read),
  );
  try {
    const run = pipeline.run();
    await waitFor(() => stored.length > 0 || cam.health().state === 'reconnecting', 90_000, 'the read');
    await cam.stop();
    await run;
    expect(switched).toBe(true);
    return stored;
  } finally {
    await vision.close();
    await gps.stop();
  }
}

/** To the 1e-5 degree (a metre): the NMEA minutes round-trip is not exact in floating point. */
const round = (deg: number | undefined) => (deg === undefined ? deg : Math.round(deg * 1e5) / 1e5);

describe('the position of a read from a live receiver', { timeout: 180_000 }, () => {
  it('is where the car was when the plate was seen, not where it is when the read is stored', async () => {
    const stored = await drive('moves on');
    expect(stored.map((r) => [r.plate, round(r.gps?.lat), round(r.gps?.lon), r.flags])).toEqual([
      ['KDT4821', WHERE_SEEN.lat, WHERE_SEEN.lon, []],
    ]);
    expect(stored[0]!.gpsFixAgeMs).toBeLessThan(2000);
  });

  it('is kept when the receiver loses its fix after the plate was seen, before the read is stored', async () => {
    const stored = await drive('loses its fix');
    expect(stored.map((r) => [r.plate, round(r.gps?.lat), round(r.gps?.lon), r.flags])).toEqual([
      ['KDT4821', WHERE_SEEN.lat, WHERE_SEEN.lon, []],
    ]);
  });
});
