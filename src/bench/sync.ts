import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { parseConfig } from '../config/load.js';
import { Mosquitto } from '../hq/local-broker.js';
import { cpuSeconds } from '../hq/procstat.js';
import { SinkProcess } from '../hq/sink-process.js';
import { silentLogger } from '../log.js';
import { allMigrations } from '../store/all-migrations.js';
import { openDatabase } from '../store/database.js';
import { ReadStore } from '../store/reads.js';
import type { Read } from '../store/types.js';
import { SyncService } from '../sync/service.js';
import { generateSigningKeys } from '../sync/signing.js';

export interface DrainFigures {
  readsPerSec: number;
  seconds: number;
  readsPerUnitCpuSecond: number;
}

export interface SyncBenchResult {
  reads: number;
  cropBytes: number;
  base64: DrainFigures;
  binary: DrainFigures;
  brokerCpuSeconds: number;
  sinkCpuSeconds: number;
  duplicatesAtHq: number;
}

export function benchRead(i: number, unitId: string): Read {
  const ts = Date.now() - 3600_000 + i;
  const plate = `B${String(i).padStart(6, '0')}`;
  return {
    id: randomUUID(),
    unitId,
    cameraId: 'front',
    ts,
    firstSeen: ts - 300,
    lastSeen: ts + 300,
    plate,
    state: 'NY',
    stateConfidence: 0.9,
    confidence: 0.93,
    charConfidences: [...plate].map(() => 0.93),
    candidates: [{ plate, confidence: 0.93 }],
    frames: 6,
    box: [320, 400, 180, 52],
    gps: { lat: 42.65, lon: -73.75, time: ts, mode: 3, speedMps: 11 },
    gpsFixAgeMs: 120,
    flags: [],
  };
}

/**
 * A signing key pair for a run: the sink signs its acks with the private key (written to
 * `dir/hq-signing.key` for `hq-sink run --key`), and the units take no ack without the public key.
 */
export function benchSigningKeys(dir: string): { keyFile: string; hqPublicKey: string } {
  const keys = generateSigningKeys();
  const keyFile = path.join(dir, 'hq-signing.key');
  writeFileSync(keyFile, keys.privateKeyPem, { mode: 0o600 });
  return { keyFile, hqPublicKey: keys.publicKeyPem };
}

/** A plate-crop-sized JPEG (about 4-6 KB), like the recogniser's crops. */
export async function benchCrop(): Promise<Buffer> {
  const w = 200;
  const h = 60;
  const raw = Buffer.alloc(w * h * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24; // noise: realistic JPEG size
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
}

/**
 * Drain rate of the outbox to a local Mosquitto: N reads (metadata + plate crop) committed while
 * disconnected, then the time until HQ (the reference sink, its own process) has acknowledged all.
 */
export async function benchSync(opts: { reads?: number } = {}): Promise<SyncBenchResult> {
  const n = opts.reads ?? 5000;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'lpr-bench-sync-'));
  const broker = await Mosquitto.create(path.join(tmp, 'broker'));
  const { keyFile, hqPublicKey } = benchSigningKeys(tmp);
  const sink = new SinkProcess([
    '--url',
    broker.url,
    '--db',
    path.join(tmp, 'hq.db'),
    '--username',
    'hq',
    '--password',
    'hq-secret',
    '--key',
    keyFile,
    '--stats-ms',
    '500',
  ]);
  try {
    await sink.ready();
    const crop = await benchCrop();
    const brokerCpu0 = cpuSeconds(broker.pid()!);
    const run = async (encoding: 'base64' | 'binary') => {
      const unitId = `bench-${encoding}`;
      const dataDir = path.join(tmp, unitId);
      const db = openDatabase(path.join(dataDir, 'lpr-edge.db'), allMigrations);
      const reads = new ReadStore(db, dataDir);
      db.transaction(() => {
        for (let i = 0; i < n; i++) reads.save(benchRead(i, unitId), { crop, overview: null });
      })();
      const config = parseConfig({
        unitId,
        agency: 'bench',
        dataDir,
        vision: { detector: { model: 'x' }, recogniser: { model: 'x' } },
        sync: {
          enabled: true,
          brokerUrl: broker.url,
          username: 'unit',
          password: 'unit-secret',
          rate: 0,
          window: 2000,
          imageEncoding: encoding,
          hqPublicKey,
        },
      });
      const sync = new SyncService(config, db, reads, { log: silentLogger() });
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await sync.start();
      while (sync.outbox.depth() > 0 || sync.outbox.collect() > 0)
        await new Promise((r) => setTimeout(r, 20));
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      const unitCpuSeconds = (cpu.user + cpu.system) / 1e6;
      await sync.stop();
      db.close();
      return {
        readsPerSec: Math.round(n / seconds),
        seconds: Math.round(seconds * 100) / 100,
        // Independent of how busy the machine is: reads drained per second of the unit's own CPU.
        readsPerUnitCpuSecond: Math.round(n / unitCpuSeconds),
      };
    };
    const base64 = await run('base64');
    const binary = await run('binary');
    const brokerCpuSeconds = cpuSeconds(broker.pid()!) - brokerCpu0;
    const final = await sink.stop();
    return {
      reads: n,
      cropBytes: crop.length,
      base64,
      binary,
      brokerCpuSeconds: Math.round(brokerCpuSeconds * 100) / 100,
      sinkCpuSeconds: Math.round((final?.cpuMs ?? 0) / 10) / 100,
      duplicatesAtHq: final?.duplicates ?? -1,
    };
  } finally {
    await sink.stop();
    await broker.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** For `npm run bench sync`: drain figures plus the load the machine was under. */
export async function benchSyncReport(): Promise<SyncBenchResult> {
  const load0 = os.loadavg()[0];
  const result = await benchSync({ reads: 5000 });
  console.log(
    JSON.stringify({
      bench: 'sync-drain',
      ...result,
      loadAverage1m: [Math.round(load0! * 10) / 10, Math.round(os.loadavg()[0]! * 10) / 10],
      cores: os.cpus().length,
    }),
  );
  return result;
}
