import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HitLog } from '../src/alerts/hits.js';
import { defaultHotlistsConfig } from '../src/hotlist/config.js';
import { importHotlist } from '../src/hotlist/import.js';
import { Equivalence } from '../src/hotlist/normalise.js';
import { HotlistService } from '../src/hotlist/service.js';
import { HotlistStore } from '../src/hotlist/store.js';
import { silentLogger } from '../src/log.js';
import { AuditLog } from '../src/policy/audit.js';
import { policySchema } from '../src/policy/config.js';
import { LegalHolds } from '../src/policy/holds.js';
import { approveRetention, runRetention } from '../src/policy/retention.js';
import { UserDirectory } from '../src/policy/users.js';
import { allMigrations } from '../src/store/all-migrations.js';
import { openDatabase, type Db } from '../src/store/database.js';
import { ReadStore } from '../src/store/reads.js';
import { recordSources } from '../src/sync/adapters.js';
import { Outbox } from '../src/sync/outbox.js';
import { readSource } from '../src/sync/sources.js';
import { makeRead } from './helpers/hotlist-fixtures.js';

const DAY = 86_400_000;
const config = { ...defaultHotlistsConfig(), duplicateWindowMinutes: 10, hitExpiryMinutes: 5 };

let dir: string;
let db: Db;
let reads: ReadStore;
let hits: HitLog;
let service: HotlistService;
let audit: AuditLog;
let now: number;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'retention-hits-'));
  db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
  now = Date.now() - 40 * DAY; // the hits below were raised and decided 40 days ago
  audit = new AuditLog(db);
  reads = new ReadStore(db, dir, () => now);
  const store = new HotlistStore(db, new Equivalence(config.equivalence));
  hits = new HitLog(db, config, audit, () => now);
  const file = path.join(dir, 'ncic.csv');
  writeFileSync(
    file,
    'plate,state,list_type\nVER0001,NY,stolen-vehicle\nHLD0001,NY,stolen-vehicle\nUNA0001,NY,stolen-vehicle\nREJ0001,NY,stolen-vehicle\n',
  );
  await importHotlist(store, { file, listId: 'ncic', actor: 'admin.ray', audit, generatedAt: now });
  service = new HotlistService({
    db,
    reads,
    store,
    hits,
    config,
    audit,
    log: silentLogger(),
    now: () => now,
    tickMs: 60_000,
  });
  await service.start();
});
afterEach(async () => {
  await service.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A read of `plate` now (on the test clock), and the hit the service raised on it. */
function sighting(plate: string) {
  const read = reads.save(makeRead(plate, 'NY', { ts: now }), {
    crop: Buffer.from('crop'),
    overview: Buffer.from('overview'),
  });
  const hit = hits.open().find((h) => h.readId === read.id)!;
  expect(hit).toBeDefined();
  return { read, hitId: hit.id };
}

const rowCount = (sql: string, id: string) => db.prepare(sql).pluck().get(id) as number;

describe('retention of closed hits and their reads (policy VI.B, VI.C, VI.D)', () => {
  it('purges a rejected misread HQ holds, with its read; keeps verified, held and unacknowledged hits and their reads', () => {
    const users = new UserDirectory(db, policySchema.parse({ passwordCostLog2: 14 }), audit);
    users.bootstrapAdmin('ada', 'admin-pass-1', '2026-01-01');
    const ada = users.signIn('ada', 'admin-pass-1');

    const verified = sighting('VER0001');
    hits.confirm(verified.hitId, 'plate', 'ofc.diaz');
    hits.confirm(verified.hitId, 'state', 'ofc.diaz');
    hits.verify(verified.hitId, 'ofc.diaz');
    const held = sighting('HLD0001');
    hits.reject(held.hitId, 'misread', null, 'ofc.diaz');
    const unacked = sighting('UNA0001');
    hits.reject(unacked.hitId, 'misread', null, 'ofc.diaz');
    // The newest hit and events of the unit: purging them must not hand their numbers out again.
    const misread = sighting('REJ0001');
    hits.confirm(misread.hitId, 'plate', 'ofc.diaz');
    hits.reject(misread.hitId, 'misread', null, 'ofc.diaz');
    new LegalHolds(db, audit).set(ada, {
      targetKind: 'hit',
      targetId: held.hitId,
      caseNumber: 'C-12',
      reason: 'complaint about the stop',
    });

    // Everything goes to HQ and is acknowledged, but the rejection of one hit.
    const box = new Outbox(db, 'car-12', [
      // The overviews go too: a read whose overview HQ never received is kept a year
      // (policy-retention-overview.test.ts), which is not what this test is about.
      readSource(db, reads, { sendOverview: true }),
      ...recordSources(db),
    ]);
    box.collect();
    const sent = box.due(10_000);
    box.markSent(sent.map((s) => s.msgId));
    const lost = sent.find((s) => {
      const body = s.kind === 'disposition' ? box.load(s)!.body : undefined;
      return body?.hitId === unacked.hitId && body.action === 'rejected';
    })!;
    expect(lost).toBeDefined();
    box.ack(sent.filter((s) => s !== lost).map((s) => s.msgId));

    approveRetention(db, ada, 30);
    const r = runRetention({ db, dataDir: dir, actor: 'ada' });
    expect(r).toMatchObject({
      hitsPurged: 1,
      hitsKeptVerified: 1,
      hitsKeptHeld: 1,
      hitsKeptUnacknowledged: 1,
      hitsKeptOpen: 0,
      purged: 1,
      keptReferenced: 3,
      imagesDeleted: 2,
    });

    // The misread is gone: read, images, hit, its events and confirmations.
    expect(reads.get(misread.read.id)).toBeUndefined();
    expect(existsSync(path.join(dir, misread.read.cropPath!))).toBe(false);
    expect(hits.get(misread.hitId)).toBeUndefined();
    expect(rowCount('SELECT COUNT(*) FROM hit_events WHERE hit_id = ?', misread.hitId)).toBe(0);
    expect(rowCount('SELECT COUNT(*) FROM hit_confirmations WHERE hit_id = ?', misread.hitId)).toBe(0);
    // The others stay, with their reads and their history.
    for (const kept of [verified, held, unacked]) {
      expect(reads.get(kept.read.id)?.plate).toBe(kept.read.plate);
      expect(hits.get(kept.hitId)).toBeDefined();
      expect(rowCount('SELECT COUNT(*) FROM hit_events WHERE hit_id = ?', kept.hitId)).toBeGreaterThan(1);
    }
    expect(audit.list({ type: 'retention.run' }).at(-1)!.details).toMatchObject({
      purged: 1,
      hitsPurged: 1,
      hitsKeptVerified: 1,
      hitsKeptHeld: 1,
      hitsKeptUnacknowledged: 1,
    });
    expect(audit.verify().ok).toBe(true);

    // A hit raised afterwards gets a number of its own, and goes to HQ.
    now = Date.now();
    const again = sighting('REJ0001');
    box.collect();
    const next = box.due(10_000).map((d) => `${d.kind}:${d.sourceId}`);
    expect(next).toContain(`hit:${again.hitId}`);
    expect(next.filter((k) => k.startsWith('disposition:'))).toHaveLength(1);
  });
});
