import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../src/store/database.js';
import { allMigrations } from '../src/store/all-migrations.js';
import { ReadStore } from '../src/store/reads.js';
import { sampleRead } from './helpers/reads.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir();

describe('store', () => {
  it('round-trips a read with its images through SQLite on disk', () => {
    const file = path.join(dir, 'a.db');
    const db = openDatabase(file, allMigrations);
    const store = new ReadStore(db, dir);
    const seen: string[] = [];
    store.onRead((r) => seen.push(r.id));
    const read = sampleRead();
    const stored = store.save(read, {
      crop: Buffer.from('crop-jpeg'),
      overview: Buffer.from('overview-jpeg'),
    });
    db.close();

    const reopened = new ReadStore(openDatabase(file, allMigrations), dir);
    const back = reopened.get(read.id)!;
    expect(back).toMatchObject({ ...read, seq: 1 });
    expect(readFileSync(path.join(dir, back.cropPath!), 'utf8')).toBe('crop-jpeg');
    expect(readFileSync(path.join(dir, back.overviewPath!), 'utf8')).toBe('overview-jpeg');
    expect(seen).toEqual([stored.id]);
  });

  it('keeps commit order and stores reads without GPS or state', () => {
    const store = new ReadStore(openDatabase(path.join(dir, 'b.db'), allMigrations), dir);
    const a = store.save(sampleRead({ plate: 'AAA111' }), { crop: null, overview: null });
    const b = store.save(
      sampleRead({
        plate: 'BBB222',
        gps: null,
        gpsFixAgeMs: null,
        state: null,
        stateConfidence: null,
        flags: ['no-gps-fix'],
      }),
      { crop: null, overview: null },
    );
    expect(store.list().map((r) => [r.seq, r.plate])).toEqual([
      [1, 'AAA111'],
      [2, 'BBB222'],
    ]);
    expect(store.list({ afterSeq: a.seq }).map((r) => r.id)).toEqual([b.id]);
    expect(store.get(b.id)).toMatchObject({ gps: null, state: null, flags: ['no-gps-fix'], cropPath: null });
  });

  it('uses WAL and applies migrations once', () => {
    const file = path.join(dir, 'c.db');
    openDatabase(file, allMigrations).close();
    const db = openDatabase(file, allMigrations);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const applied = db
      .prepare("SELECT COUNT(*) AS n FROM schema_migrations WHERE module = 'store'")
      .get() as { n: number };
    expect(applied.n).toBe(allMigrations.filter((m) => m.module === 'store').length);
  });

  it('does not leave image files behind when the insert fails', () => {
    const store = new ReadStore(openDatabase(path.join(dir, 'd.db'), allMigrations), dir);
    const read = sampleRead({ id: 'duplicate-id' });
    store.save(read, { crop: null, overview: null });
    expect(() =>
      store.save({ ...read, ts: read.ts + 86_400_000 * 3 }, { crop: Buffer.from('x'), overview: null }),
    ).toThrow(/UNIQUE/);
    const day = new Date(read.ts + 86_400_000 * 3).toISOString().slice(0, 10);
    expect(existsSync(path.join(dir, 'images', day, 'duplicate-id-crop.jpg'))).toBe(false);
  });

  it('removes the crop it wrote when writing the overview fails', () => {
    const store = new ReadStore(openDatabase(path.join(dir, 'f.db'), allMigrations), dir);
    const read = sampleRead({ id: 'overview-fails' });
    const day = new Date(read.ts).toISOString().slice(0, 10);
    // A real write failure: a folder already sits where the overview file would go.
    mkdirSync(path.join(dir, 'images', day, 'overview-fails-overview.jpg'), { recursive: true });
    expect(() => store.save(read, { crop: Buffer.from('crop'), overview: Buffer.from('ov') })).toThrow();
    expect(existsSync(path.join(dir, 'images', day, 'overview-fails-crop.jpg'))).toBe(false);
    expect(store.get(read.id)).toBeUndefined();
  });

  it("a duplicate read id on the same day neither overwrites nor deletes the first read's image", () => {
    const store = new ReadStore(openDatabase(path.join(dir, 'g.db'), allMigrations), dir);
    const read = sampleRead({ id: 'same-day-dup' });
    const first = store.save(read, { crop: Buffer.from('first'), overview: null });
    expect(() => store.save(read, { crop: Buffer.from('second'), overview: null })).toThrow();
    expect(readFileSync(path.join(dir, first.cropPath!), 'utf8')).toBe('first');
  });

  it('refuses image paths outside the image store', () => {
    const store = new ReadStore(openDatabase(path.join(dir, 'e.db'), allMigrations), dir);
    expect(() => store.imagePath('../../etc/passwd')).toThrow(/outside the image store/);
    expect(store.imagePath('images/2026-11-28/x-crop.jpg')).toBe(
      path.join(dir, 'images/2026-11-28/x-crop.jpg'),
    );
  });
});
