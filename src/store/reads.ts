import { writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Db } from './database.js';
import { DATA_FILE_MODE, foreignOwnerOf, giveTo, makeDataDir } from './data-dir-owner.js';
import { EARLIEST_GPS_TIME } from '../gps/clock-check.js';
import type { Read, ReadImages, StoredRead } from './types.js';

interface ReadRow {
  id: string;
  seq: number;
  unit_id: string;
  camera_id: string;
  ts: number;
  first_seen: number;
  last_seen: number;
  plate: string;
  state: string | null;
  state_confidence: number | null;
  confidence: number;
  char_confidences: string;
  candidates: string;
  frames: number;
  box: string;
  crop_path: string | null;
  overview_path: string | null;
  lat: number | null;
  lon: number | null;
  gps_fix_age_ms: number | null;
  gps: string | null;
  flags: string;
}

export type ReadListener = (read: StoredRead) => void;

/**
 * Reads and their images. Images are files under `<dataDir>/images/<day>/`, written before the
 * row is committed so a stored read never points at a missing file; a save that fails removes
 * the images it wrote.
 */
export class ReadStore {
  private readonly insert;
  private readonly listeners = new Set<ReadListener>();
  /** Set when root writes reads into the service user's folder (`lpr-edge replay` with sudo). */
  private readonly newFilesOwner;

  constructor(
    private readonly db: Db,
    private readonly dataDir: string,
    /** The unit's wall clock, for `stored_at`. */
    private readonly now: () => number = Date.now,
  ) {
    this.newFilesOwner = foreignOwnerOf(dataDir);
    this.insert = db.prepare(`INSERT INTO reads (
      id, seq, unit_id, camera_id, ts, first_seen, last_seen, plate, state, state_confidence, confidence,
      char_confidences, candidates, frames, box, crop_path, overview_path, crop_bytes, overview_bytes,
      lat, lon, gps_fix_age_ms, gps, flags, stored_at
    ) VALUES (
      @id, (SELECT last + 1 FROM read_seq WHERE id = 1), @unitId, @cameraId, @ts, @firstSeen, @lastSeen, @plate,
      @state, @stateConfidence, @confidence, @charConfidences, @candidates, @frames, @box, @cropPath,
      @overviewPath, @cropBytes, @overviewBytes, @lat, @lon, @gpsFixAgeMs, @gps, @flags, @storedAt
    )`);
  }

  /** Called after each read is committed (hotlist matching, sync, console feed subscribe here). */
  onRead(listener: ReadListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  save(read: Read, images: ReadImages): StoredRead {
    const day = new Date(read.ts).toISOString().slice(0, 10);
    const rel = (kind: string) => path.join('images', day, `${read.id}-${kind}.jpg`);
    const cropPath = images.crop ? rel('crop') : null;
    const overviewPath = images.overview ? rel('overview') : null;
    // Files this call created: any failure below (a full disk mid-write, the insert) removes them,
    // so a failed save leaves no orphaned or zero-byte image behind.
    const created: string[] = [];
    const write = (rel: string, data: Buffer) => {
      const abs = path.join(this.dataDir, rel);
      try {
        // 'wx': never overwrite another read's image (a duplicate id on the same day).
        writeFileSync(abs, data, { flag: 'wx', mode: DATA_FILE_MODE });
      } catch (err) {
        // The file exists if the open created it before the write failed (ENOSPC).
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') created.push(abs);
        throw err;
      }
      created.push(abs);
      giveTo(this.newFilesOwner, [abs]);
    };
    try {
      const dayDir = path.join(this.dataDir, 'images', day);
      const firstNew = makeDataDir(dayDir);
      // The daemon, as the folder's owner, adds the next reads to these folders.
      if (firstNew) giveTo(this.newFilesOwner, foldersFrom(firstNew, dayDir));
      if (images.crop && cropPath) write(cropPath, images.crop);
      if (images.overview && overviewPath) write(overviewPath, images.overview);
      this.insert.run({
        id: read.id,
        unitId: read.unitId,
        cameraId: read.cameraId,
        ts: read.ts,
        firstSeen: read.firstSeen,
        lastSeen: read.lastSeen,
        plate: read.plate,
        state: read.state,
        stateConfidence: read.stateConfidence,
        confidence: read.confidence,
        charConfidences: JSON.stringify(read.charConfidences),
        candidates: JSON.stringify(read.candidates),
        frames: read.frames,
        box: JSON.stringify(read.box),
        cropPath,
        overviewPath,
        cropBytes: images.crop?.length ?? 0,
        overviewBytes: images.overview?.length ?? 0,
        lat: read.gps?.lat ?? null,
        lon: read.gps?.lon ?? null,
        gpsFixAgeMs: read.gpsFixAgeMs,
        gps: read.gps ? JSON.stringify(read.gps) : null,
        flags: JSON.stringify(read.flags),
        storedAt: this.storedAt(),
      });
    } catch (err) {
      for (const abs of created) rmSync(abs, { force: true });
      throw err;
    }
    const stored = this.get(read.id);
    if (!stored) throw new Error(`read ${read.id} vanished after insert`);
    for (const l of this.listeners) l(stored);
    return stored;
  }

  /**
   * When the unit stores a read, by its wall clock: retention ages reads by it as well as by their
   * capture time. A clock before any date this software ran on (no RTC battery, no GPS or NTP yet)
   * says nothing: the read is stored undated (NULL) and retention dates it at its first run with a
   * believable clock, so it is kept at least the window from then.
   */
  private storedAt(): number | null {
    const now = this.now();
    return now < EARLIEST_GPS_TIME ? null : now;
  }

  get(id: string): StoredRead | undefined {
    const row = this.db.prepare('SELECT * FROM reads WHERE id = ?').get(id) as ReadRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Reads in commit order, for replays, sync and tests. Policy-checked search lives in policy/. */
  list(opts: { afterSeq?: number; limit?: number } = {}): StoredRead[] {
    const rows = this.db
      .prepare('SELECT * FROM reads WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(opts.afterSeq ?? 0, opts.limit ?? 1_000_000) as ReadRow[];
    return rows.map(fromRow);
  }

  /** How many reads of `cameraId` were made from `from` up to, not including, `to` (UTC ms). */
  countOfCameraBetween(cameraId: string, from: number, to: number): number {
    return (
      this.db
        .prepare('SELECT COUNT(*) AS n FROM reads WHERE camera_id = ? AND ts >= ? AND ts < ?')
        .get(cameraId, from, to) as { n: number }
    ).n;
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM reads').get() as { n: number }).n;
  }

  /** Absolute path of a stored image, refusing anything outside the image folder. */
  imagePath(relative: string): string {
    const root = path.join(this.dataDir, 'images');
    const abs = path.resolve(this.dataDir, relative);
    if (!abs.startsWith(root + path.sep)) throw new Error(`image path outside the image store: ${relative}`);
    return abs;
  }
}

/** `top` and each folder below it down to `bottom` (those `mkdir -p bottom` created from `top`). */
function foldersFrom(top: string, bottom: string): string[] {
  const folders = [top];
  for (const part of path.relative(top, bottom).split(path.sep).filter(Boolean))
    folders.push(path.join(folders.at(-1)!, part));
  return folders;
}

export function fromRow(row: ReadRow): StoredRead {
  return {
    id: row.id,
    seq: row.seq,
    unitId: row.unit_id,
    cameraId: row.camera_id,
    ts: row.ts,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    plate: row.plate,
    state: row.state,
    stateConfidence: row.state_confidence,
    confidence: row.confidence,
    charConfidences: JSON.parse(row.char_confidences) as number[],
    candidates: JSON.parse(row.candidates) as StoredRead['candidates'],
    frames: row.frames,
    box: JSON.parse(row.box) as StoredRead['box'],
    cropPath: row.crop_path,
    overviewPath: row.overview_path,
    gps: row.gps ? (JSON.parse(row.gps) as StoredRead['gps']) : null,
    gpsFixAgeMs: row.gps_fix_age_ms,
    flags: JSON.parse(row.flags) as string[],
  };
}
