import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/policy/audit.js';
import { exclusionZoneSchema } from '../src/policy/config.js';
import { applyExclusionZones, ExclusionZones, MASKED_PLATE } from '../src/policy/exclusion.js';
import { ReadStore } from '../src/store/reads.js';
import { cli, makeRead, openTestDb, tempDir } from './policy-helpers.js';

// Policy II: exclusion zones where reads are not stored, or stored with the plate masked.
const clinic = exclusionZoneSchema.parse({
  id: 'clinic',
  kind: 'circle',
  lat: 40.75,
  lon: -73.99,
  radiusM: 150,
  mode: 'drop',
});
const worship = exclusionZoneSchema.parse({
  id: 'worship',
  kind: 'polygon',
  points: [
    [40.7, -74.02],
    [40.7, -74.01],
    [40.71, -74.01],
    [40.71, -74.02],
  ],
  mode: 'mask',
});

describe('exclusion zones', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('decides drop inside a circle, mask inside a polygon, store outside or without a fix', () => {
    const at = (lat: number, lon: number) => ({ gps: { lat, lon, time: 0, mode: 3 as const } });
    expect(applyExclusionZones(at(40.7505, -73.9905), [clinic, worship])).toEqual({
      action: 'drop',
      zoneId: 'clinic',
    });
    expect(applyExclusionZones(at(40.7525, -73.99), [clinic])).toEqual({ action: 'store' }); // ~280 m north
    expect(applyExclusionZones(at(40.705, -74.015), [clinic, worship])).toEqual({
      action: 'mask',
      zoneId: 'worship',
    });
    expect(applyExclusionZones(at(40.715, -74.015), [worship])).toEqual({ action: 'store' });
    expect(applyExclusionZones({ gps: null }, [clinic, worship])).toEqual({ action: 'store' });
  });

  it('places a read without a fix by the last fix and how far the car can have gone since (failing closed)', () => {
    const noFix = { gps: null };
    const lastFix = (lat: number, lon: number, ageMs: number) => ({ fix: { lat, lon }, ageMs });
    // Lost the fix 30 s ago about 460 m north of the clinic's edge: it may be there now (40 m/s × 30 s).
    expect(applyExclusionZones(noFix, [clinic], lastFix(40.7555, -73.99, 30_000))).toEqual({
      action: 'drop',
      zoneId: 'clinic',
    });
    // 5 s ago at the same place: at most 200 m travelled, short of the clinic.
    expect(applyExclusionZones(noFix, [clinic], lastFix(40.7555, -73.99, 5_000))).toEqual({
      action: 'store',
    });
    // Near the polygon (about 550 m east of its east edge), 20 s ago: masked.
    expect(applyExclusionZones(noFix, [worship], lastFix(40.705, -74.0035, 20_000))).toEqual({
      action: 'mask',
      zoneId: 'worship',
    });
    expect(applyExclusionZones(noFix, [worship], lastFix(40.705, -73.95, 20_000))).toEqual({
      action: 'store',
    });
    // More than ten minutes without a fix: the car could be anywhere; stored and flagged.
    expect(applyExclusionZones(noFix, [clinic], lastFix(40.75, -73.99, 11 * 60_000))).toEqual({
      action: 'store',
    });
  });

  it('drops the plate of a read inside a zone: nothing stored but the count, which persists', () => {
    const db = openTestDb(dir);
    const store = new ReadStore(db, dir);
    const zones = new ExclusionZones(db, [clinic, worship]);
    const inside = makeRead({ plate: 'SECRET1', gps: { lat: 40.7501, lon: -73.9899, time: 0, mode: 3 } });
    const masked = makeRead({ plate: 'SECRET2', gps: { lat: 40.705, lon: -74.015, time: 0, mode: 3 } });
    const outside = makeRead({ plate: 'PUBLIC1', gps: { lat: 40.8, lon: -73.9, time: 0, mode: 3 } });
    // What the camera pipeline does with each gate before saving a read.
    for (const r of [inside, masked, outside]) {
      const passed = zones.apply(r);
      if (!passed) continue;
      store.save(
        passed.read,
        passed.keepImages
          ? { crop: Buffer.from('c'), overview: Buffer.from('o') }
          : { crop: null, overview: null },
      );
    }
    expect(zones.decide({ gps: null })).toEqual({ action: 'store' });
    db.close();

    const db2 = openTestDb(dir);
    const plates = db2.prepare('SELECT plate, candidates, crop_path FROM reads').all() as {
      plate: string;
      candidates: string;
      crop_path: string | null;
    }[];
    expect(plates.map((p) => p.plate).sort()).toEqual([MASKED_PLATE, 'PUBLIC1'].sort());
    const maskedRow = plates.find((p) => p.plate === MASKED_PLATE)!;
    expect(maskedRow.candidates).toBe('[]');
    expect(maskedRow.crop_path).toBeNull();
    // The plate appears nowhere in the database file or the image folder.
    db2.pragma('wal_checkpoint(TRUNCATE)');
    const raw = fs.readFileSync(path.join(dir, 'lpr-edge.db')).toString('latin1');
    expect(raw).not.toContain('SECRET1');
    expect(raw).not.toContain('SECRET2');
    expect(
      new ExclusionZones(db2, [clinic, worship]).counts().map((c) => [c.zoneId, c.action, c.count]),
    ).toEqual([
      ['clinic', 'drop', 1],
      ['worship', 'mask', 1],
    ]);
    db2.close();
  });

  it('audits a change in the configured zones at startup', () => {
    const db = openTestDb(dir);
    const audit = new AuditLog(db);
    expect(new ExclusionZones(db, [clinic]).recordZones()).toBe(true);
    expect(new ExclusionZones(db, [clinic]).recordZones()).toBe(false);
    const moved = exclusionZoneSchema.parse({ ...clinic, radiusM: 300 });
    expect(new ExclusionZones(db, [moved, worship]).recordZones()).toBe(true);
    const last = audit.list({ type: 'exclusion.zones-changed' }).at(-1)!;
    expect(last.details).toMatchObject({ added: ['worship'], removed: [], changed: ['clinic'] });
    db.close();
  });

  it('the CLI audits zones from a config file when they change', () => {
    const d = tempDir();
    try {
      const base = {
        unitId: 'car-12',
        agency: 'demo-pd',
        dataDir: d,
        vision: { detector: { model: 'det.onnx' }, recogniser: { model: 'rec.onnx' } },
      };
      const write = (zones: unknown[]) =>
        fs.writeFileSync(
          path.join(d, 'config.json'),
          JSON.stringify({ ...base, policy: { exclusionZones: zones } }),
        );
      write([]);
      expect(cli(d, ['audit', 'verify', '--config', path.join(d, 'config.json')]).status).toBe(0);
      write([{ id: 'clinic', kind: 'circle', lat: 40.75, lon: -73.99, radiusM: 150 }]);
      expect(cli(d, ['audit', 'verify', '--config', path.join(d, 'config.json')]).status).toBe(0);
      const bad = cli(d, [
        'audit',
        'verify',
        '--config',
        (write([{ id: 'x', kind: 'circle', lat: 99, lon: 0, radiusM: 10 }]), path.join(d, 'config.json')),
      ]);
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toMatch(/policy\.exclusionZones\[0\]\.lat: got 99/);
      const db = openTestDb(d);
      const types = new AuditLog(db).list().map((r) => r.type);
      db.close();
      expect(types).toEqual(['config.change', 'config.change', 'exclusion.zones-changed']);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('the daemon refuses to start with zones but no GPS source: it could place no read in them', () => {
    const d = tempDir();
    try {
      const config = path.join(d, 'config.json');
      const zone = { id: 'clinic', kind: 'circle', lat: 40.75, lon: -73.99, radiusM: 150 };
      fs.writeFileSync(
        config,
        JSON.stringify({
          unitId: 'car-12',
          agency: 'demo-pd',
          dataDir: d,
          cameras: [{ id: 'front', kind: 'file', path: path.join(d, 'drive.mp4') }],
          vision: { detector: { model: 'det.onnx' }, recogniser: { model: 'rec.onnx' } },
          policy: { exclusionZones: [zone] },
        }),
      );
      const r = cli(d, ['run', '--config', config]);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/policy\.exclusionZones: 1 zone\(s\) configured but gps\.source is "none"/);
      expect(r.stderr).toMatch(/set gps\.source to gpsd or serial/);
      // Nothing was started or stored: no reads table rows, no lock left behind.
      expect(fs.existsSync(path.join(d, 'lpr-edge.lock'))).toBe(false);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
