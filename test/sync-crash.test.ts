import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { makeRead, openStore, plateCrop, unitConfig, until, writeConfig } from './helpers/unit.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixture = useBrokerAndHqSink('lpr-sync-crash-', { sink: false });
const { dir: tmp, hqKeys } = fixture;
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function startChild(configFile: string): ChildProcess {
  const child = spawn(process.execPath, [path.join(root, 'test/fixtures/sync-child.mjs'), configFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout?.resume();
  children.push(child);
  return child;
}

describe('sync process killed with SIGKILL mid-drain', () => {
  it('10,000 reads: after the restart HQ has every read exactly once and the outbox is empty', async () => {
    const dataDir = path.join(tmp, 'unit');
    const client = fixture.broker.certs.client('car-7');
    const config = unitConfig(
      dataDir,
      {
        brokerUrl: fixture.broker.tlsUrl,
        ca: fixture.broker.certs.ca,
        cert: client.cert,
        key: client.key,
        imageEncoding: 'binary',
        rate: 0,
        window: 1000,
        ackTimeoutMs: 5000,
        reconnectInitialMs: 100,
        hqPublicKey: hqKeys.publicKeyPem,
      },
      'car-7',
    );
    const configFile = writeConfig(path.join(tmp, 'config.json'), {
      ...config,
      log: { ...config.log, level: 'warn' },
    });
    // The reads are committed before the sync process ever runs (the broker is irrelevant here).
    const { db, reads } = openStore(dataDir);
    const crop = await plateCrop();
    db.transaction(() => {
      for (let i = 0; i < 10_000; i++) reads.save(makeRead(i, 'car-7'), { crop, overview: null });
    })();
    const ids = new Set(reads.list().map((r) => `car-7:read:${r.id}`));
    db.close();

    const sink = fixture.newSink('hq');
    await sink.start();
    const statusRow = () =>
      sink.db.prepare("SELECT state, payload FROM unit_status WHERE unit = 'car-7'").get() as
        { state: string; payload: string } | undefined;
    const unitState = () => statusRow()?.state;
    const first = startChild(configFile);
    await until(() => sink.count('read') >= 3000, 120_000, 'a third of the backlog at HQ');
    await until(() => unitState() === 'online', 10_000, 'the unit online at HQ');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    // The broker publishes the unit's last will: HQ sees it go offline, though the will's ts is
    // older than the online status it replaces.
    await until(() => unitState() === 'offline', 10_000, 'the last will at HQ');
    expect(JSON.parse(statusRow()!.payload)).toMatchObject({ state: 'offline', will: true });
    const atKill = sink.count('read');
    expect(atKill).toBeLessThan(10_000);

    const unitDb = new Database(path.join(dataDir, 'lpr-edge.db'), { readonly: true });
    const depth = () =>
      unitDb.prepare('SELECT COUNT(*) FROM sync_outbox WHERE acked_at IS NULL').pluck().get() as number;
    expect(depth()).toBeGreaterThan(0);
    const second = startChild(configFile);
    await until(() => unitState() === 'online', 10_000, 'the unit online again');
    await until(() => depth() === 0, 150_000, 'outbox to drain after the restart');
    sink.flush();
    const rows = sink.db.prepare("SELECT id, crop FROM records WHERE kind = 'read'").all() as {
      id: string;
      crop: Buffer;
    }[];
    expect(rows.length).toBe(10_000);
    expect(new Set(rows.map((r) => r.id)).size).toBe(10_000);
    expect(rows.every((r) => ids.has(r.id))).toBe(true);
    // Binary frames: the crop arrives byte for byte.
    expect(rows.every((r) => Buffer.compare(r.crop, crop) === 0)).toBe(true);
    // Every read is marked acknowledged on the unit (eligible for retention).
    expect(unitDb.prepare('SELECT COUNT(*) FROM reads WHERE acked_at IS NULL').pluck().get()).toBe(0);
    unitDb.close();
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
    await sink.stop();
  }, 330_000);
});
