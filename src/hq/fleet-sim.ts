import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { benchCrop, benchRead, benchSigningKeys } from '../bench/sync.js';
import { parseConfig } from '../config/load.js';
import { silentLogger } from '../log.js';
import { allMigrations } from '../store/all-migrations.js';
import { openDatabase, type Db } from '../store/database.js';
import { ReadStore } from '../store/reads.js';
import { SyncService } from '../sync/service.js';
import { Mosquitto } from './local-broker.js';
import { cpuSeconds } from './procstat.js';
import { SinkProcess, type SinkStats } from './sink-process.js';

export interface FleetSimOptions {
  units?: number;
  durationS?: number;
  /** Mean time between reads on one unit. */
  readIntervalMs?: number;
  consumers?: number;
  log?: (line: string) => void;
}

export interface FleetSimResult {
  units: number;
  consumers: number;
  durationS: number;
  readsMade: number;
  readsAtHq: number;
  lost: number;
  duplicatesDroppedAtHq: number;
  drainAfterStopS: number;
  brokerCpuPercent: number;
  consumerCpuPercent: number[];
  unitsProcessCpuPercent: number;
  perConsumerStored: number[];
}

/**
 * 200 simulated units (each a real SyncService with its own SQLite database and MQTT session) in
 * this process, one local Mosquitto, and two reference HQ consumers in their own processes sharing
 * the load through `$share/hq/...`. Reads are made at a patrol-car rate for `durationS`, then the
 * simulation waits for every outbox to drain and counts what HQ stored.
 */
export async function runFleetSim(opts: FleetSimOptions = {}): Promise<FleetSimResult> {
  const units = opts.units ?? 200;
  const durationS = opts.durationS ?? 120;
  const interval = opts.readIntervalMs ?? 3000;
  const nConsumers = opts.consumers ?? 2;
  const log = opts.log ?? (() => {});
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'lpr-fleet-'));
  const broker = await Mosquitto.create(path.join(tmp, 'broker'));
  const { keyFile, hqPublicKey } = benchSigningKeys(tmp);
  const sinks: SinkProcess[] = [];
  const fleet: { id: string; db: Db; reads: ReadStore; sync: SyncService; made: number }[] = [];
  const timers: NodeJS.Timeout[] = [];
  try {
    for (let c = 0; c < nConsumers; c++) {
      sinks.push(
        new SinkProcess([
          '--url',
          broker.url,
          '--db',
          path.join(tmp, `hq-${c}.db`),
          '--group',
          'hq',
          '--username',
          'hq',
          '--password',
          'hq-secret',
          '--key',
          keyFile,
          '--stats-ms',
          '1000',
          '--client-id',
          `hq-consumer-${c}`,
        ]),
      );
    }
    await Promise.all(sinks.map((s) => s.ready()));
    const crop = await benchCrop();
    for (let u = 0; u < units; u++) {
      const id = `sim-${String(u).padStart(4, '0')}`;
      const dataDir = path.join(tmp, 'units', id);
      const db = openDatabase(path.join(dataDir, 'lpr-edge.db'), allMigrations);
      const reads = new ReadStore(db, dataDir);
      const config = parseConfig({
        unitId: id,
        agency: 'sim',
        dataDir,
        vision: { detector: { model: 'x' }, recogniser: { model: 'x' } },
        sync: {
          enabled: true,
          brokerUrl: broker.url,
          username: 'unit',
          password: 'unit-secret',
          ackTimeoutMs: 15_000,
          hqPublicKey,
        },
      });
      const sync = new SyncService(config, db, reads, { log: silentLogger() });
      fleet.push({ id, db, reads, sync, made: 0 });
    }
    for (const u of fleet) await u.sync.start();
    log(`${units} units connected to ${broker.url}; ${nConsumers} consumers in group $share/hq`);

    const brokerCpu0 = cpuSeconds(broker.pid()!);
    const unitCpu0 = process.cpuUsage();
    const t0 = Date.now();
    let seq = 0;
    // Each unit reads a plate on average every `interval` ms (exponential gaps, random phase).
    for (const u of fleet) {
      const next = () => {
        const t = setTimeout(
          () => {
            if (Date.now() - t0 >= durationS * 1000) return;
            u.reads.save(benchRead(seq++, u.id), { crop, overview: null });
            u.made++;
            next();
          },
          -Math.log(1 - Math.random()) * interval,
        );
        timers.push(t);
      };
      next();
    }
    const progress = setInterval(() => {
      const made = fleet.reduce((a, u) => a + u.made, 0);
      const stored = sinks.reduce((a, s) => a + (s.last?.stored ?? 0), 0);
      log(`t=${Math.round((Date.now() - t0) / 1000)}s reads made ${made}, stored at HQ ${stored}`);
    }, 10_000);
    await new Promise((r) => setTimeout(r, durationS * 1000));
    const stopAt = Date.now();
    const end = stopAt + 180_000;
    while (fleet.some((u) => u.sync.outbox.depth() > 0)) {
      if (Date.now() > end) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const drainAfterStopS = (Date.now() - stopAt) / 1000;
    clearInterval(progress);
    const elapsed = (Date.now() - t0) / 1000;
    const brokerCpu = cpuSeconds(broker.pid()!) - brokerCpu0;
    const unitCpu = process.cpuUsage(unitCpu0);
    for (const u of fleet) await u.sync.stop();
    const finals: (SinkStats | undefined)[] = [];
    for (const s of sinks) finals.push(await s.stop());

    // Union of what the consumers stored, by message id.
    const hq = new Database(path.join(tmp, 'hq-0.db'));
    for (let c = 1; c < nConsumers; c++) hq.exec(`ATTACH '${path.join(tmp, `hq-${c}.db`)}' AS c${c}`);
    const union = [
      'SELECT id FROM main.records',
      ...sinks.slice(1).map((_, i) => `SELECT id FROM c${i + 1}.records`),
    ].join(' UNION ');
    const readsAtHq = hq.prepare(`SELECT COUNT(*) FROM (${union})`).pluck().get() as number;
    const perConsumer = [hq.prepare('SELECT COUNT(*) FROM main.records').pluck().get() as number];
    for (let c = 1; c < nConsumers; c++)
      perConsumer.push(hq.prepare(`SELECT COUNT(*) FROM c${c}.records`).pluck().get() as number);
    hq.close();
    const readsMade = fleet.reduce((a, u) => a + u.made, 0);
    const pct = (s: number) => Math.round((s / elapsed) * 1000) / 10;
    return {
      units,
      consumers: nConsumers,
      durationS,
      readsMade,
      readsAtHq,
      lost: readsMade - readsAtHq,
      duplicatesDroppedAtHq: finals.reduce((a, f) => a + (f?.duplicates ?? 0), 0),
      drainAfterStopS: Math.round(drainAfterStopS * 10) / 10,
      brokerCpuPercent: pct(brokerCpu),
      consumerCpuPercent: finals.map((f) => pct((f?.cpuMs ?? 0) / 1000)),
      unitsProcessCpuPercent: pct((unitCpu.user + unitCpu.system) / 1e6),
      perConsumerStored: perConsumer,
    };
  } finally {
    for (const t of timers) clearTimeout(t);
    for (const u of fleet) {
      await u.sync.stop().catch(() => {});
      u.db.close();
    }
    for (const s of sinks) await s.stop();
    await broker.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  }
}
