import sharp from 'sharp';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultHotlistsConfig } from '../../src/hotlist/config.js';
import { importHotlist } from '../../src/hotlist/import.js';
import { Equivalence } from '../../src/hotlist/normalise.js';
import { HotlistStore } from '../../src/hotlist/store.js';
import { AuditLog } from '../../src/policy/audit.js';
import { openStore } from './unit.js';
import type { Read, ReadImages } from '../../src/store/types.js';

/** A plate-like JPEG with the given text (what a crop looks like to the officer). */
export async function plateJpeg(
  text: string,
  state = 'NEW YORK',
  width = 480,
  height = 240,
): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="#3a3f47"/>
    <rect x="${width * 0.08}" y="${height * 0.18}" width="${width * 0.84}" height="${height * 0.64}" rx="12" fill="#f4f1e6" stroke="#1d3b8c" stroke-width="6"/>
    <text x="50%" y="${height * 0.33}" font-family="DejaVu Sans" font-size="${height * 0.09}" fill="#1d3b8c" text-anchor="middle" font-weight="bold">${state}</text>
    <text x="50%" y="${height * 0.67}" font-family="DejaVu Sans Mono" font-size="${height * 0.28}" fill="#111" text-anchor="middle" font-weight="bold">${text}</text>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

/** A street-scene stand-in for the overview frame. */
export async function overviewJpeg(text: string): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="960" height="540">
    <rect width="100%" height="100%" fill="#6d7a86"/>
    <rect y="330" width="100%" height="210" fill="#3b3f44"/>
    <rect x="300" y="180" width="380" height="220" rx="30" fill="#7a1f24"/>
    <rect x="420" y="330" width="140" height="50" fill="#f4f1e6"/>
    <text x="490" y="366" font-family="DejaVu Sans Mono" font-size="26" text-anchor="middle" font-weight="bold">${text}</text>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 80 }).toBuffer();
}

export function makeRead(plate: string, state: string | null, over: Partial<Read> = {}): Read {
  const ts = over.ts ?? Date.now();
  return {
    id: randomUUID(),
    unitId: 'unit-1',
    cameraId: 'front',
    ts,
    firstSeen: ts - 400,
    lastSeen: ts,
    plate,
    state,
    stateConfidence: state ? 0.93 : null,
    confidence: 0.91,
    charConfidences: [...plate].map((_, i) => (i === 3 ? 0.62 : 0.95)),
    candidates: [{ plate, confidence: 0.91 }],
    frames: 6,
    box: [100, 120, 140, 48],
    gps: { lat: 40.71278, lon: -74.00597, time: ts, mode: 3, hdop: 0.9 },
    gpsFixAgeMs: 120,
    flags: [],
    ...over,
  };
}

export async function images(plate: string, state?: string): Promise<ReadImages> {
  return { crop: await plateJpeg(plate, state), overview: await overviewJpeg(plate) };
}

/**
 * Imports a one-entry agency list (`ncic`, generated now) into a data folder, as `lpr-edge hotlist
 * import` would, before a daemon starts there: a unit with no list at all is degraded.
 */
export async function importCurrentHotlist(dataDir: string, plate = 'KDT4821'): Promise<void> {
  const { db } = openStore(dataDir);
  try {
    const store = new HotlistStore(db, new Equivalence(defaultHotlistsConfig().equivalence));
    const file = path.join(dataDir, 'ncic.csv');
    writeFileSync(file, `plate,state,list_type,reference\n${plate},NY,stolen-vehicle,NCIC V-1\n`);
    await importHotlist(store, { file, listId: 'ncic', actor: 'admin.test', audit: new AuditLog(db) });
  } finally {
    db.close();
  }
}
