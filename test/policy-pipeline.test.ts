import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRecording } from '../src/capture/file-source.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { LatestFix } from '../src/gps/latest-fix.js';
import type { PositionSource } from '../src/gps/types.js';
import type { Logger } from '../src/log.js';
import { exclusionZoneSchema } from '../src/policy/config.js';
import { ExclusionZones } from '../src/policy/exclusion.js';
import { CameraPipeline } from '../src/pipeline/camera-pipeline.js';
import { ReadStore } from '../src/store/reads.js';
import { Vision } from '../src/vision/vision.js';
import { openTestDb, tempDir } from './policy-helpers.js';
import { NJ_SEDAN, NY_SEDAN, renderShortDrive } from './helpers/video.js';
import { recordingLogger } from './helpers/logger.js';

// Policy II end to end: a generated drive through ffmpeg, the ONNX models and the tracker; the
// first vehicle is seen inside a drop zone, the second outside it.
describe('exclusion zones in the camera pipeline', () => {
  const dir = tempDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const clinic = { lat: 40.75, lon: -73.99 };

  /** Drive past `vehicles` with a drop zone around the clinic; the reads stored and the zones. */
  async function drive(
    name: string,
    vehicles: Parameters<typeof renderShortDrive>[1],
    position: PositionSource,
    opts: { log?: Logger; logPlates?: boolean; imagesBlocked?: boolean } = {},
  ) {
    const sub = path.join(dir, name);
    fs.mkdirSync(sub);
    // A file where the images folder goes: saving a read's crop fails.
    if (opts.imagesBlocked) fs.writeFileSync(path.join(sub, 'images'), '');
    const video = path.join(sub, 'drive.mp4');
    await renderShortDrive(video, vehicles);
    const defaults = embeddedDefaults();
    const config = { ...defaults, dataDir: sub, log: { ...defaults.log, plates: opts.logPlates ?? false } };
    const db = openTestDb(sub);
    const reads = new ReadStore(db, sub);
    const zones = new ExclusionZones(db, [
      exclusionZoneSchema.parse({ id: 'clinic', kind: 'circle', ...clinic, radiusM: 200, mode: 'drop' }),
    ]);
    const vision = await Vision.open(config.vision);
    try {
      const source = await openRecording({ id: 'front', path: video, realtime: false, everyFrame: true });
      const pipeline = new CameraPipeline(source, {
        config,
        vision,
        reads,
        position,
        log: opts.log ?? recordingLogger().log,
        gates: [zones],
      });
      const stats = await pipeline.run();
      return { sub, db, reads, zones, gated: stats.readsGated };
    } finally {
      await vision.close();
    }
  }

  it('drops the read taken inside the zone (count kept, plate not) and stores the one outside', async () => {
    const outside = { lat: 40.8, lon: -73.9 };
    // The car is parked by the clinic for the first vehicle, then drives off.
    let calls = 0;
    const position: PositionSource = {
      fixAt: (time) => ({ fix: { ...(calls++ === 0 ? clinic : outside), time, mode: 3 }, ageMs: 50 }),
    };
    const { log, records } = recordingLogger();
    const { sub, db, reads, zones, gated } = await drive('parked', [NY_SEDAN, NJ_SEDAN], position, { log });
    expect(gated).toBe(1);
    expect(reads.list().map((r) => r.plate)).toEqual(['HZN5177']);
    // The log (the journal, kept outside retention) names the stored read, and neither plate.
    expect(records.filter((r) => r.msg === 'read').map((r) => r.read)).toEqual([reads.list()[0]!.id]);
    expect(JSON.stringify(records)).not.toMatch(/KDT4821|HZN5177/);
    expect(zones.counts()).toMatchObject([{ zoneId: 'clinic', action: 'drop', count: 1 }]);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    expect(fs.readFileSync(path.join(sub, 'lpr-edge.db')).toString('latin1')).not.toContain('KDT4821');
    // Only the stored read has images on disk.
    const images = fs
      .readdirSync(path.join(sub, 'images'), { recursive: true })
      .filter((f) => String(f).endsWith('.jpg'));
    expect(images).toHaveLength(2);
  }, 240_000);

  it('drops a read made after the receiver lost its fix beside the zone (failing closed)', async () => {
    // The receiver's last fix was at the clinic's gate; then it reported no fix (an underground lot).
    const position = new LatestFix(5000);
    position.update({ lat: 40.7517, lon: -73.99, time: Date.now(), mode: 3 });
    position.clear();
    const { db, reads, zones, gated } = await drive('lost', [NY_SEDAN], position);
    expect(gated).toBe(1);
    expect(reads.count()).toBe(0);
    expect(zones.counts()).toMatchObject([{ zoneId: 'clinic', action: 'drop', count: 1 }]);
    db.close();
  }, 240_000);

  it('logs no plate for a read it could not store, even with log.plates on', async () => {
    const { log, records } = recordingLogger();
    const outside = { lat: 40.8, lon: -73.9 };
    const position: PositionSource = { fixAt: (time) => ({ fix: { ...outside, time, mode: 3 }, ageMs: 50 }) };
    const opts = { log, logPlates: true, imagesBlocked: true };
    const { db, reads } = await drive('images-blocked', [NJ_SEDAN], position, opts);
    expect(reads.count()).toBe(0);
    db.close();
    expect(records.some((r) => r.msg === 'could not store read')).toBe(true);
    expect(JSON.stringify(records)).not.toContain('HZN5177');
  }, 240_000);
});
