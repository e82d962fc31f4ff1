import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { allMigrations } from '../../src/store/all-migrations.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { ReadStore } from '../../src/store/reads.js';
import type { Read } from '../../src/store/types.js';

/** A real (small) JPEG plate crop, made once. */
export async function plateCrop(): Promise<Buffer> {
  return sharp({ create: { width: 160, height: 48, channels: 3, background: { r: 240, g: 240, b: 230 } } })
    .composite([
      {
        input: Buffer.from(
          '<svg width="160" height="48"><text x="10" y="36" font-size="32" font-family="DejaVu Sans">ABC1234</text></svg>',
        ),
      },
    ])
    .jpeg({ quality: 80 })
    .toBuffer();
}

export function unitConfig(
  dataDir: string,
  sync: Record<string, unknown>,
  unitId = 'car-1',
  agency = 'nyspd',
): Config {
  return parseConfig({
    unitId,
    agency,
    dataDir,
    vision: { detector: { model: 'unused.onnx' }, recogniser: { model: 'unused.onnx' } },
    sync: { enabled: true, ...sync },
  });
}

/** Write the same config as YAML-compatible JSON, for child processes. */
export function writeConfig(file: string, config: Config): string {
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export function openStore(dataDir: string): { db: Db; reads: ReadStore } {
  const db = openDatabase(path.join(dataDir, 'lpr-edge.db'), allMigrations);
  return { db, reads: new ReadStore(db, dataDir) };
}

export function makeRead(
  i: number,
  unitId = 'car-1',
  at = Date.UTC(2026, 10, 28, 12, 0, 0) + i * 1000,
): Read {
  const plate = `T${String(i).padStart(6, '0')}`;
  return {
    id: randomUUID(),
    unitId,
    cameraId: 'front',
    ts: at,
    firstSeen: at - 400,
    lastSeen: at + 200,
    plate,
    state: 'NY',
    stateConfidence: 0.9,
    confidence: 0.95,
    charConfidences: plate.split('').map(() => 0.95),
    candidates: [{ plate, confidence: 0.95 }],
    frames: 5,
    box: [100, 200, 160, 48],
    gps: { lat: 42.65 + i * 1e-5, lon: -73.75, time: at, mode: 3, speedMps: 12 },
    gpsFixAgeMs: 150,
    flags: [],
  };
}

export async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
