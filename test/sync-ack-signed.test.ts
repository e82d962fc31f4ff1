import path from 'node:path';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { HqSink } from '../src/hq/sink.js';
import { SyncService } from '../src/sync/service.js';
import {
  generateSigningKeys,
  loadPrivateKey,
  loadPublicKey,
  openSigned,
  signDocument,
} from '../src/sync/signing.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { recordingLogger } from './helpers/logger.js';
import { makeRead, openStore, unitConfig, until } from './helpers/unit.js';

// An ack lets the unit stop sending a record and makes it purgeable (policy VI.B), so it is signed
// by HQ like every other document HQ sends: whoever can publish on a unit's ack topic must not be
// able to acknowledge records the unit really sent but HQ never stored.
const AGENCY = 'nyspd';
const fixture = useBrokerAndHqSink('lpr-sync-ack-signed-', { sink: false });
const { dir: tmp, hqKeys } = fixture;
const hqKey = loadPrivateKey(hqKeys.privateKeyPem);

/** A unit with `n` reads waiting, syncing to the test broker; `sync` overrides its sync settings. */
function startUnit(unitId: string, n: number, sync: Record<string, unknown>) {
  const dataDir = path.join(tmp, unitId);
  const unit = openStore(dataDir);
  const ids = Array.from(
    { length: n },
    (_, i) => unit.reads.save(makeRead(i, unitId), { crop: null, overview: null }).id,
  );
  const { log, records } = recordingLogger();
  const config = unitConfig(
    dataDir,
    { brokerUrl: fixture.broker.url, username: 'unit', password: 'unit-secret', ackTimeoutMs: 1500, ...sync },
    unitId,
  );
  const service = new SyncService(config, unit.db, unit.reads, { log });
  const q = {
    sent: () =>
      unit.db.prepare("SELECT COUNT(*) FROM sync_outbox WHERE kind = 'read' AND attempts > 0").pluck().get(),
    ackedReads: () => unit.db.prepare('SELECT COUNT(*) FROM reads WHERE acked_at IS NOT NULL').pluck().get(),
    rejectedAcks: () =>
      unit.db
        .prepare("SELECT reason FROM sync_inbound WHERE kind = 'ack' AND outcome = 'rejected' ORDER BY id")
        .pluck()
        .all() as string[],
  };
  return { unit, service, log: records, q, msgIds: ids.map((id) => `${unitId}:read:${id}`) };
}

function hqSink(name: string): HqSink {
  return fixture.newSink(name, { flushMs: 20 });
}

describe('acks from HQ', () => {
  it('forged ones are rejected and the records still reach HQ; a signed one from HQ is taken', async () => {
    const car = startUnit('car-1', 3, { hqPublicKey: hqKeys.publicKeyPem });
    const forger = await mqtt.connectAsync(fixture.broker.url, { username: 'hq', password: 'hq-secret' });
    const ackTopic = `lpr/v1/${AGENCY}/car-1/ack`;
    let sink: HqSink | undefined;
    try {
      await car.service.start();
      // Nobody at HQ yet: the reads are sent (and sent again), never stored.
      await until(() => car.q.sent() === 3, 10_000, 'the reads sent');
      const ack = (unit: string) => ({
        v: 1,
        type: 'ack',
        agency: AGENCY,
        unit,
        ids: car.msgIds,
        ts: Date.now(),
      });
      const forgedAcks = [
        // The old, unsigned ack.
        { v: 1, ids: car.msgIds },
        // Signed, but not by HQ.
        signDocument(ack('car-1'), loadPrivateKey(generateSigningKeys().privateKeyPem)),
        // HQ's signature, but for another unit (an ack captured there and replayed here).
        signDocument(ack('car-2'), hqKey),
        signDocument({ ...ack('car-1'), agency: 'other' }, hqKey),
      ];
      for (const forged of forgedAcks)
        await forger.publishAsync(ackTopic, JSON.stringify(forged), { qos: 1 });
      await until(
        () => car.q.rejectedAcks().length === forgedAcks.length,
        10_000,
        'the forged acks rejected',
      );
      const reasons = car.q.rejectedAcks();
      expect(reasons[0]).toMatch(/^ack: not a signed document/);
      expect(reasons[1]).toMatch(/^ack: signature does not verify/);
      expect(reasons[2]).toMatch(/^ack: addressed to unit car-2/);
      expect(reasons[3]).toMatch(/^ack: signed for agency other/);
      expect(car.log.filter((l) => l.msg === 'inbound sync message rejected' && l.level === 50)).toHaveLength(
        4,
      );
      expect(car.service.outbox.depth()).toBe(3);
      expect(car.q.ackedReads()).toBe(0);
      expect(car.service.stats.acked).toBe(0);

      // HQ comes up: the unit sends the reads again, HQ stores them and signs its ack.
      const genuine: Buffer[] = [];
      forger.on('message', (_t, p) => genuine.push(p));
      await forger.subscribeAsync(ackTopic, { qos: 1 });
      sink = hqSink('hq-1');
      await sink.start();
      await until(() => car.service.outbox.depth() === 0, 20_000, 'the reads acknowledged by HQ');
      expect(sink.count('read')).toBe(3);
      expect(car.q.ackedReads()).toBe(3);
      expect(car.q.rejectedAcks()).toHaveLength(forgedAcks.length);
      await until(() => genuine.length > 0, 5000, 'the ack seen on the broker');
      const opened = openSigned(JSON.parse(genuine[0]!.toString()), loadPublicKey(hqKeys.publicKeyPem));
      expect(opened).toMatchObject({ v: 1, type: 'ack', agency: AGENCY, unit: 'car-1' });
    } finally {
      await forger.endAsync();
      await car.service.stop();
      await sink?.stop();
      car.unit.db.close();
    }
  }, 60_000);

  it('a unit without sync.hqPublicKey takes none, as it takes no hotlist: its records stay queued', async () => {
    const car = startUnit('car-3', 2, {});
    const sink = hqSink('hq-2');
    try {
      await sink.start();
      await car.service.start();
      await until(() => sink.count('read') === 2, 20_000, 'the reads at HQ');
      await until(() => car.q.rejectedAcks().length > 0, 10_000, "HQ's ack rejected");
      expect(car.q.rejectedAcks()[0]).toMatch(/^ack: no sync.hqPublicKey configured/);
      expect(car.service.outbox.depth()).toBe(2);
      expect(car.q.ackedReads()).toBe(0);
    } finally {
      await car.service.stop();
      await sink.stop();
      car.unit.db.close();
    }
  }, 60_000);
});
