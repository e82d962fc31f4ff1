import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { policySchema } from '../src/policy/config.js';
import { approveRetention, runRetention } from '../src/policy/retention.js';
import { UserDirectory } from '../src/policy/users.js';
import { SyncService } from '../src/sync/service.js';
import { loadPrivateKey, signDocument } from '../src/sync/signing.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { makeRead, openStore, plateCrop, unitConfig, until } from './helpers/unit.js';

const DAY = 86_400_000;
const AGENCY = 'nyspd';
const fixture = useBrokerAndHqSink('lpr-sync-ack-unsent-', { sink: false });
const { dir: tmp, hqKeys } = fixture;

// Policy VI.B and VI.F: an acknowledgement makes a record purgeable, so it only counts for a record
// the unit has sent. Acks are signed by HQ (sync-ack-signed.test.ts); this is the second line: even
// an ack with HQ's signature (HQ's mistake, or its key in the wrong hands) cannot get a read (or an
// audit record) purged that the unit never sent.
describe('an ack for a record the unit never sent', () => {
  it('is ignored and logged as a count; the read keeps its images through a retention run', async () => {
    const dataDir = path.join(tmp, 'unit');
    const unit = openStore(dataDir);
    const logs: string[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          logs.push(...chunk.toString().split('\n').filter(Boolean));
          done();
        },
      }),
    );
    // Audit records (the admin, the approved window) go before reads. With a window of one record
    // and no HQ acknowledging anything, the first of them stays in flight and nothing else is sent.
    const users = new UserDirectory(unit.db, policySchema.parse({ passwordCostLog2: 14 }));
    users.bootstrapAdmin('ada', 'admin-pass-1', '2026-01-01');
    approveRetention(unit.db, users.signIn('ada', 'admin-pass-1'), 30);
    const read = unit.reads.save(
      { ...makeRead(1), plate: 'FORGE01' },
      { crop: await plateCrop(), overview: Buffer.from('overview-jpeg') },
    );
    const config = unitConfig(
      dataDir,
      fixture.unitSync({
        window: 1,
        ackTimeoutMs: 600_000,
      }),
    );
    const sync = new SyncService(config, unit.db, unit.reads, { log });
    const outboxRow = (msgId: string) =>
      unit.db
        .prepare('SELECT attempts, last_sent_at, acked_at FROM sync_outbox WHERE msg_id = ?')
        .get(msgId) as { attempts: number; last_sent_at: number | null; acked_at: number | null } | undefined;
    const hq = await mqtt.connectAsync(fixture.broker.url, { username: 'hq', password: 'hq-secret' });
    try {
      await sync.start();
      const sentNow = () =>
        unit.db
          .prepare('SELECT msg_id FROM sync_outbox WHERE last_sent_at IS NOT NULL')
          .pluck()
          .all() as string[];
      await until(() => sentNow().length === 1, 10_000, 'the first record in flight');
      const [inFlight] = sentNow();
      expect(inFlight).toMatch(/^car-1:audit:/);
      const unsentAudit = unit.db
        .prepare("SELECT msg_id FROM sync_outbox WHERE kind = 'audit' AND attempts = 0 ORDER BY oseq LIMIT 1")
        .pluck()
        .get() as string;
      const readMsg = `car-1:read:${read.id}`;
      expect(outboxRow(readMsg)).toMatchObject({ attempts: 0, last_sent_at: null });

      // One ack: two records never sent, an id the unit never had, and the record really in flight.
      const ids = [readMsg, unsentAudit, `car-1:read:${randomUUID()}`, inFlight];
      const ack = signDocument(
        { v: 1, type: 'ack', agency: AGENCY, unit: 'car-1', ids },
        loadPrivateKey(hqKeys.privateKeyPem),
      );
      await hq.publishAsync(`lpr/v1/${AGENCY}/car-1/ack`, JSON.stringify(ack), { qos: 1 });
      await until(() => outboxRow(inFlight!)?.acked_at != null, 10_000, 'the record in flight acknowledged');
      expect(outboxRow(readMsg)?.acked_at).toBeNull();
      expect(outboxRow(unsentAudit)?.acked_at).toBeNull();
      expect(unit.db.prepare('SELECT acked_at FROM reads WHERE id = ?').pluck().get(read.id)).toBeNull();
      const auditAcked = (msgId: string) =>
        unit.db
          .prepare('SELECT acked_at FROM audit_log WHERE id = ?')
          .pluck()
          .get(msgId.slice('car-1:audit:'.length));
      expect(auditAcked(unsentAudit)).toBeNull();
      expect(auditAcked(inFlight!)).not.toBeNull();
      // Logged as counts: no plate, no id.
      const warning = logs
        .map((l) => JSON.parse(l) as { level: number; msg: string; unsent?: number; unknown?: number })
        .find((l) => /never sent/.test(l.msg));
      expect(warning).toMatchObject({ level: 40, unsent: 2, unknown: 1 });
      expect(logs.join('\n')).not.toContain('FORGE01');
      expect(logs.join('\n')).not.toContain(read.id);
    } finally {
      await hq.endAsync();
      await sync.stop();
    }

    // Old enough for the approved window, but not acknowledged: retention keeps it and its images.
    const run = runRetention({ db: unit.db, dataDir, now: read.ts + 40 * DAY, actor: 'ada' });
    expect(run).toMatchObject({ ran: true, purged: 0, keptUnacknowledged: 1 });
    const kept = unit.reads.get(read.id);
    expect(kept?.plate).toBe('FORGE01');
    expect(existsSync(path.join(dataDir, kept!.cropPath!))).toBe(true);
    expect(existsSync(path.join(dataDir, kept!.overviewPath!))).toBe(true);
    unit.db.close();
  });
});
