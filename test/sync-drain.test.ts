import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/log.js';
import { SyncService } from '../src/sync/service.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { makeRead, openStore, plateCrop, unitConfig, until } from './helpers/unit.js';

const fixture = useBrokerAndHqSink('lpr-sync-drain-', { sink: false });
const { dir: tmp, hqKeys } = fixture;

describe('outbox drain over mutual TLS', () => {
  it('10,000 reads made while the broker is down, broker killed and restarted mid-drain: none lost, none duplicated', async () => {
    const dataDir = path.join(tmp, 'unit-a');
    const { db, reads } = openStore(dataDir);
    const client = fixture.broker.certs.client('car-1');
    const config = unitConfig(dataDir, {
      brokerUrl: fixture.broker.tlsUrl,
      ca: fixture.broker.certs.ca,
      cert: client.cert,
      key: client.key,
      rate: 0,
      window: 2000,
      ackTimeoutMs: 5000,
      reconnectInitialMs: 100,
      reconnectMaxMs: 500,
      hqPublicKey: hqKeys.publicKeyPem,
    });
    const sink = fixture.newSink('hq-a', { clientId: 'hq-a' });
    await sink.start();
    const sync = new SyncService(config, db, reads, { log: silentLogger() });

    // The broker is down while the unit reads 10,000 plates.
    await fixture.broker.kill();
    await sync.start();
    const crop = await plateCrop();
    db.transaction(() => {
      for (let i = 0; i < 10_000; i++) reads.save(makeRead(i), { crop, overview: null });
    })();
    await until(() => sync.outbox.depth() === 10_000, 10_000, 'reads to enter the outbox');
    const t0 = Date.now();

    await fixture.broker.start();
    // Kill the broker again once part of the backlog has gone through.
    await until(() => sink.count('read') >= 2500, 120_000, 'first quarter of the backlog');
    await fixture.broker.kill();
    const atKill = sink.count('read');
    expect(atKill).toBeLessThan(10_000);
    await new Promise((r) => setTimeout(r, 500));
    await fixture.broker.start();

    await until(() => sync.outbox.depth() === 0, 150_000, 'outbox to drain');
    const drainMs = Date.now() - t0;
    sink.flush();
    expect(sink.count('read')).toBe(10_000);
    console.log(
      `drained 10,000 reads in ${drainMs} ms with one broker kill; duplicates dropped at HQ: ${sink.stats.duplicates}, resent: ${sync.stats.resent}`,
    );
    // Every read id made it exactly once, and its crop is the JPEG the unit stored.
    const ids = new Set(reads.list().map((r) => `car-1:read:${r.id}`));
    const rows = sink.db.prepare('SELECT id, crop FROM records').all() as { id: string; crop: Buffer }[];
    expect(rows.length).toBe(10_000);
    expect(rows.every((r) => ids.has(r.id))).toBe(true);
    expect(Buffer.compare(rows[0]!.crop, crop)).toBe(0);
    expect(sync.health().connects).toBeGreaterThanOrEqual(2);

    await sync.stop();
    await sink.stop();
    db.close();
  }, 330_000);
});
