import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase, type Db } from '../src/store/database.js';
import { allMigrations } from '../src/store/all-migrations.js';
import { ReadStore } from '../src/store/reads.js';
import type { Read } from '../src/store/types.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'lpr-policy-'));
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI (dist/) with a data dir and extra environment; stdin is not a TTY. */
export function cli(dataDir: string, args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(
    process.execPath,
    [path.join(root, 'bin/lpr-edge.js'), ...args, '--data-dir', dataDir],
    {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      encoding: 'utf8',
      input: '',
      timeout: 30_000,
    },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function dbFile(dataDir: string): string {
  return path.join(dataDir, 'lpr-edge.db');
}

export function openTestDb(dataDir: string): Db {
  return openDatabase(dbFile(dataDir), allMigrations);
}

export function makeRead(over: Partial<Read> = {}): Read {
  const ts = over.ts ?? Date.now();
  return {
    id: randomUUID(),
    unitId: 'car-12',
    cameraId: 'front',
    ts,
    firstSeen: ts - 500,
    lastSeen: ts,
    plate: 'ABC1234',
    state: 'NY',
    stateConfidence: 0.9,
    confidence: 0.95,
    charConfidences: [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9],
    candidates: [{ plate: 'ABC1234', confidence: 0.95 }],
    frames: 5,
    box: [10, 10, 100, 30],
    gps: { lat: 40.7128, lon: -74.006, time: ts, mode: 3 },
    gpsFixAgeMs: 100,
    flags: [],
    ...over,
  };
}

/**
 * Store reads the way the pipeline does (ReadStore.save), with small fake JPEG bytes, each as the
 * unit stores a read it has just captured: stored at its capture time.
 */
export function saveReads(dataDir: string, reads: Read[]): void {
  const db = openTestDb(dataDir);
  for (const r of reads)
    storedWhenCaptured(db, dataDir, r).save(r, {
      crop: Buffer.from('crop-jpeg'),
      overview: Buffer.from('overview-jpeg-bytes'),
    });
  db.close();
}

/** A store whose clock says the read's capture time: a read of `read.ts` stored as it was made. */
export function storedWhenCaptured(db: Db, dataDir: string, read: Read): ReadStore {
  return new ReadStore(db, dataDir, () => read.ts);
}

export const ADMIN_PW = 'admin-pass-1';
export const OFFICER_PW = 'officer-pass-1';

/** A data dir with admin "ada" and officer "olly" created through the CLI. */
export function provision(dataDir: string): void {
  const a = cli(dataDir, ['users', 'bootstrap-admin', 'ada', '--trained', '2026-01-10'], {
    LPR_EDGE_NEW_PASSWORD: ADMIN_PW,
  });
  if (a.status !== 0) throw new Error(`bootstrap failed: ${a.stderr}`);
  const o = cli(
    dataDir,
    ['users', 'add', 'olly', '--role', 'officer', '--trained', '2026-02-01', '--as', 'ada'],
    {
      LPR_EDGE_PASSWORD: ADMIN_PW,
      LPR_EDGE_NEW_PASSWORD: OFFICER_PW,
    },
  );
  if (o.status !== 0) throw new Error(`adding officer failed: ${o.stderr}`);
}

/** A hit on the read, as the alerts module records one (only the columns the schema requires). */
export function insertHit(db: Db, readId: string): string {
  const id = randomUUID();
  db.prepare(
    `INSERT INTO hits (id, seq, read_id, entry_id, entry_key, entry, list_id, list_version, list_generated_at,
       list_type, priority, read_plate, matched_text, via, rule, differences, state_not_read, retroactive,
       status, raised_at, expires_at)
     VALUES (?, 1, ?, 1, 'ncic|DSK0001|NY|stolen-vehicle', '{}', 'ncic', 'v1', 0, 'stolen-vehicle', 1,
       'DSK0001', 'DSK0001', 'best', 'exact', '[]', 0, 0, 'verified', 0, 0)`,
  ).run(id, readId);
  return id;
}
