import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../src/store/database.js';
import { allMigrations } from '../src/store/all-migrations.js';
import { ReadStore } from '../src/store/reads.js';
import { silentLogger } from '../src/log.js';
import { HotlistStore } from '../src/hotlist/store.js';
import { Equivalence } from '../src/hotlist/normalise.js';
import { HotlistService } from '../src/hotlist/service.js';
import { HitLog, HitError } from '../src/alerts/hits.js';
import { importHotlist } from '../src/hotlist/import.js';
import { addManualEntry } from '../src/hotlist/manual.js';
import { defaultHotlistsConfig } from '../src/hotlist/config.js';
import { AuditLog } from '../src/policy/audit.js';
import { makeRead } from './helpers/hotlist-fixtures.js';
import { Outbox } from '../src/sync/outbox.js';
import { recordSources } from '../src/sync/adapters.js';
import { dispositionBodySchema } from '../src/sync/schemas.js';
import { buildAuditReport } from '../src/policy/report.js';
import { Matcher } from '../src/hotlist/match.js';

let dir: string;
let db: Db;
let reads: ReadStore;
let store: HotlistStore;
let hits: HitLog;
let service: HotlistService;
let audit: AuditLog;
let now: number;

const config = {
  ...defaultHotlistsConfig(),
  duplicateWindowMinutes: 10,
  hitExpiryMinutes: 5,
  recheckWindowMinutes: 60,
  maxAgeHours: 24,
};

async function load(listId: string, csv: string, generatedAt = now) {
  const f = path.join(dir, `${listId}.csv`);
  writeFileSync(f, csv);
  return importHotlist(store, { file: f, listId, actor: 'admin.ray', audit, generatedAt });
}

/** The hotlist service on this test's unit, on the test's clock. */
const serviceOn = (clocks: { steady?: () => number }) =>
  new HotlistService({
    db,
    reads,
    store,
    hits,
    config,
    audit,
    log: silentLogger(),
    now: () => now,
    ...clocks,
    tickMs: 60_000,
  });

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hotlist-service-'));
  db = openDatabase(path.join(dir, 'unit.db'), allMigrations);
  now = Date.UTC(2026, 10, 28, 12);
  audit = new AuditLog(db, () => now);
  reads = new ReadStore(db, dir);
  store = new HotlistStore(db, new Equivalence(config.equivalence));
  hits = new HitLog(db, config, audit, () => now);
  service = serviceOn({});
  await load('ncic', 'plate,state,list_type\nABC1234,NY,stolen-vehicle\n');
  await service.start();
});
afterEach(async () => {
  await service.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const save = (plate: string, state: string | null, ts = now) =>
  reads.save(makeRead(plate, state, { ts }), { crop: null, overview: null });

describe('hotlist service and hit lifecycle (SQLite on disk)', () => {
  it('raises a hit for a saved read, recording list version, rule and differences', () => {
    const r = save('ABC1Z34', 'NY');
    const [hit] = hits.open();
    expect(hit).toMatchObject({
      readId: r.id,
      listId: 'ncic',
      rule: 'equivalent',
      status: 'raised',
      retroactive: false,
    });
    expect(hit!.listVersion).toBe(store.list('ncic')!.version);
    expect(hit!.differences).toEqual([{ position: 5, read: 'Z', entry: '2', kind: 'equivalent' }]);
  });

  it('suppresses the same plate and entry within the window, alerts again after it', () => {
    save('ABC1234', 'NY');
    now += 4 * 60_000; // the first still open (5-minute expiry)
    save('ABC1234', 'NY');
    expect(db.prepare(`SELECT status FROM hits ORDER BY seq`).pluck().all()).toEqual([
      'raised',
      'suppressed',
    ]);
    now += 11 * 60_000;
    save('ABC1234', 'NY');
    expect(db.prepare(`SELECT status FROM hits ORDER BY seq`).pluck().all()).toEqual([
      'expired', // unanswered meanwhile
      'suppressed',
      'raised',
    ]);
  });

  it('verifies only with both confirmations, rejects only with a configured reason, expires unanswered hits', () => {
    save('ABC1234', 'NY');
    const id = hits.open()[0]!.id;
    expect(() => hits.verify(id, 'ofc.diaz')).toThrow(/plate and state not confirmed/);
    hits.confirm(id, 'state', 'ofc.diaz');
    expect(() => hits.verify(id, 'ofc.diaz')).toThrow(/plate not confirmed/);
    // A partner's confirmation does not count for the officer who verifies.
    hits.confirm(id, 'plate', 'ofc.lee');
    expect(() => hits.verify(id, 'ofc.diaz')).toThrow(
      /plate not confirmed by ofc\.diaz \(confirmed by ofc\.lee: confirm them yourself\)/,
    );
    expect(() => hits.reject(id, 'looked odd', null, 'ofc.diaz')).toThrow(HitError);
    hits.confirm(id, 'plate', 'ofc.diaz');
    expect(hits.verify(id, 'ofc.diaz').status).toBe('verified');
    expect(() => hits.reject(id, 'misread', null, 'ofc.diaz')).toThrow(/already verified/);

    now += 60 * 60_000;
    save('ABC1234', 'NY');
    const second = hits.open()[0]!.id;
    now += 6 * 60_000;
    service.tick();
    expect(hits.get(second)!.status).toBe('expired');
    const dispositions = audit.list({ type: 'hit.disposition' }).map((r) => r.details.outcome);
    expect(dispositions).toEqual(['verified', 'expired']);
    expect(audit.verify().ok).toBe(true);
  });

  it('an expired hit says whether any console showed it, goes to HQ so, and stays missed until acknowledged', () => {
    save('ABC1234', 'NY');
    const unseen = hits.open()[0]!.id;
    expect(hits.missed()).toEqual({ total: 0, neverShown: 0, expiredEver: 0, hits: [] });
    now += 60 * 60_000; // past the duplicate window: the same plate alerts again
    save('ABC1234', 'NY'); // (the first, long past its deadline, expires as this one is raised)
    const shown = hits.open().find((h) => h.id !== unseen)!.id;
    hits.markSeen(shown, 'ofc.diaz');
    hits.confirm(shown, 'plate', 'ofc.diaz');
    now += 6 * 60_000;
    service.tick();

    // The hit log and the audit chain: the outcome, and whether anyone was ever told of it.
    expect(hits.events(unseen).at(-1)).toMatchObject({
      action: 'expired',
      toStatus: 'expired',
      details: { neverShown: true, seenBy: null, plateConfirmedBy: null },
    });
    expect(hits.events(shown).at(-1)!.details).toMatchObject({
      neverShown: false,
      seenBy: 'ofc.diaz',
      plateConfirmedBy: 'ofc.diaz',
      stateConfirmedBy: null,
    });
    const expiries = audit
      .list({ type: 'hit.disposition' })
      .map((r) => [r.details.hitId, r.details.outcome, r.details.neverShown]);
    expect(expiries).toEqual([
      [unseen, 'expired', true],
      [shown, 'expired', false],
    ]);

    // The supervisors' audit report counts apart the ones nobody was shown (policy VI.G).
    expect(
      buildAuditReport(db, { from: 0, to: now + 1 }).hitDispositions.map((h) => [h.outcome, h.count]),
    ).toEqual([
      ['expired (never shown)', 1],
      ['expired', 1],
    ]);

    // To HQ as dispositions, valid against the documented schema.
    const box = new Outbox(db, 'car-1', recordSources(db), () => now);
    box.collect();
    const sent = box
      .due(1000)
      .filter((d) => d.kind === 'disposition')
      .map((d) => dispositionBodySchema.parse(box.load(d)!.body))
      .filter((b) => b.action === 'expired');
    expect(sent.map((b) => [b.hitId, b.details.neverShown])).toEqual([
      [unseen, true],
      [shown, false],
    ]);

    // Missed until an officer acknowledges it; acknowledging makes nothing actionable.
    expect(hits.missed().hits.map((h) => h.id)).toEqual([shown, unseen]);
    expect(() => hits.confirm(unseen, 'state', 'ofc.diaz')).toThrow(/already expired/);
    hits.acknowledgeExpired(unseen, 'ofc.diaz');
    expect(hits.get(unseen)).toMatchObject({ status: 'expired', expiryAckedBy: 'ofc.diaz' });
    expect(hits.missed()).toMatchObject({ total: 1, hits: [{ id: shown }] });
    expect(audit.list({ type: 'hit.expiry-acknowledged' }).map((r) => r.actor)).toEqual(['ofc.diaz']);
    expect(audit.list({ type: 'hit.disposition' })).toHaveLength(2); // not a second disposition
    expect(hits.events(unseen).at(-1)).toMatchObject({ action: 'expiry-acknowledged', toStatus: 'expired' });
    expect(audit.verify().ok).toBe(true);
  });

  it('counts every missed hit never shown, not only the ones listed', () => {
    // 25 hits of one plate, each past the duplicate window of the one before: the first 8 nobody
    // was shown, the other 17 an officer had on screen. All expire unanswered.
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      save('ABC1234', 'NY');
      const id = hits.open().find((h) => !ids.includes(h.id))!.id;
      ids.push(id);
      if (i >= 8) hits.markSeen(id, 'ofc.diaz');
      now += 11 * 60_000;
    }
    service.tick();
    expect(hits.open()).toEqual([]);

    // The console lists 20: the latest, of which only 3 were never shown; 8 were, in all.
    const missed = hits.missed(20);
    expect(missed.hits).toHaveLength(20);
    expect(missed.hits.filter((h) => h.seenAt === null)).toHaveLength(3);
    expect(missed).toMatchObject({ total: 25, neverShown: 8 });
    hits.acknowledgeExpired(ids[0]!, 'ofc.diaz');
    hits.acknowledgeExpired(ids[24]!, 'ofc.diaz');
    expect(hits.missed(20)).toMatchObject({ total: 23, neverShown: 7, expiredEver: 25 }); // acknowledged still counted
  });

  it('a hit an officer is working does not expire under them, but not past twice the expiry either', () => {
    const minutes = (m: number) => m * 60_000;
    // Plate confirmed 30 s before the 5-minute deadline: the officer gets 2 minutes from then to
    // compare the state and verify, and can still do both after the first deadline has passed.
    const raisedAt = now;
    save('ABC1234', 'NY');
    const id = hits.open()[0]!.id;
    hits.markSeen(id, 'ofc.diaz'); // shown at once: 2 minutes from now is earlier, nothing moves
    expect(hits.get(id)!.expiresAt).toBe(raisedAt + minutes(5));
    now = raisedAt + minutes(4.5);
    hits.confirm(id, 'plate', 'ofc.diaz');
    expect(hits.get(id)!.expiresAt).toBe(raisedAt + minutes(6.5));
    now = raisedAt + minutes(6);
    service.tick();
    expect(hits.get(id)!.status).toBe('seen');
    hits.confirm(id, 'state', 'ofc.diaz');
    expect(hits.verify(id, 'ofc.diaz').status).toBe('verified');
    // The new deadline is in the record of the act that moved it (and so goes to HQ).
    expect(hits.events(id).map((e) => [e.action, e.details.expiresAt])).toEqual([
      ['raised', undefined],
      ['seen', undefined],
      ['confirm-plate', raisedAt + minutes(6.5)],
      ['confirm-state', raisedAt + minutes(8)],
      ['verified', undefined],
    ]);

    // A hit shown again and again (it keeps coming back on screen) still ends 10 minutes after it
    // was raised: nothing stays open for ever.
    now += minutes(60);
    const start = now;
    save('ABC1234', 'NY');
    const worked = hits.open()[0]!.id;
    expect(hits.latestExpiry(hits.get(worked)!)).toBe(start + minutes(10));
    for (const at of [4, 5.5, 7, 8.5, 9.9]) {
      now = start + minutes(at);
      hits.markSeen(worked, 'ofc.diaz');
      service.tick();
      expect(hits.get(worked)!.status).toBe('seen');
    }
    expect(hits.get(worked)!.expiresAt).toBe(start + minutes(10));
    now = start + minutes(10);
    service.tick();
    expect(hits.get(worked)!.status).toBe('expired');
    // Shown again is recorded only when it moved the deadline (at 9.9 minutes it could not).
    expect(
      hits
        .events(worked)
        .filter((e) => e.action === 'seen')
        .map((e) => [e.fromStatus, (e.details.expiresAt as number | undefined) ?? null]),
    ).toEqual([
      ['raised', start + minutes(6)],
      ['seen', start + minutes(7.5)],
      ['seen', start + minutes(9)],
      ['seen', start + minutes(10)],
    ]);

    // A hit nobody acts on expires on time, as before.
    now += minutes(60);
    save('ABC1234', 'NY');
    const ignored = hits.open()[0]!.id;
    now += minutes(5);
    service.tick();
    expect(hits.get(ignored)!.status).toBe('expired');
  });

  it('a hit past its deadline cannot be confirmed, even before the expiry check has run', () => {
    save('ABC1234', 'NY');
    const id = hits.open()[0]!.id;
    hits.confirm(id, 'plate', 'ofc.diaz');
    now += 5 * 60_000; // its deadline; the service's next check has not run yet
    expect(hits.get(id)!.status).toBe('seen');
    expect(() => hits.confirm(id, 'state', 'ofc.diaz')).toThrow(
      /has expired: read and verify the vehicle again/,
    );
    expect(() => hits.verify(id, 'ofc.diaz')).toThrow(/has expired/);
    hits.markSeen(id, 'ofc.diaz'); // shown again too late: no new lease of life
    service.tick();
    expect(hits.get(id)!.status).toBe('expired');
  });

  it('a vehicle seen again after its hit expired alerts again, inside the duplicate window', () => {
    save('ABC1234', 'NY');
    now += 5 * 60_000; // its deadline, before the service's next expiry check has run
    save('ABC1234', 'NY'); // inside the 10-minute window, but nobody verified the first
    expect(db.prepare(`SELECT status FROM hits ORDER BY seq`).pluck().all()).toEqual(['expired', 'raised']);
  });

  it('deadlines run on the steady clock: the wall clock stepped after boot neither expires nor prolongs a hit', async () => {
    await service.stop(); // this test's own hit log raises the hits
    // The unit's wall clock and its steady (monotonic) clock, moved apart as NTP or the GPS would.
    let steady = 0;
    const log = new HitLog(
      db,
      config,
      audit,
      () => now,
      () => steady,
    );
    const raise = () => {
      const read = reads.save(makeRead('ABC1234', 'NY', { ts: now }), { crop: null, overview: null });
      return log.raise(read, service.matcher.match(read, now)[0]!)!;
    };
    const first = raise();
    now += 60 * 60_000; // stepped an hour forward a minute later: the officer still has 4 minutes
    steady += 60_000;
    expect(log.expireDue()).toBe(0);
    // The console counts down from the wall clock as it reads now: 4 minutes, not 56 overdue.
    expect(log.deadlineView(log.get(first.id)!)).toEqual({
      expiresAt: now + 4 * 60_000,
      latestExpiresAt: now + 9 * 60_000,
    });
    log.confirm(first.id, 'plate', 'ofc.diaz');
    log.confirm(first.id, 'state', 'ofc.diaz');
    expect(log.verify(first.id, 'ofc.diaz').status).toBe('verified');

    now += 60 * 60_000;
    const second = raise();
    now -= 60 * 60_000; // stepped an hour back: the hit still expires 5 minutes after it was raised
    steady += 5 * 60_000;
    expect(log.expireDue()).toBe(1);
    expect(log.get(second.id)!.status).toBe('expired');
  });

  it('an extended deadline is stored in whole milliseconds on the real clocks, as HQ expects', async () => {
    await service.stop();
    // 6 s to expiry: a stalled machine cannot let it lapse before it is marked seen.
    const log = new HitLog(db, { ...config, hitExpiryMinutes: 0.1, hitGraceMinutes: 1 }, audit);
    const read = reads.save(makeRead('ABC1234', 'NY'), { crop: null, overview: null });
    const hit = log.raise(read, service.matcher.match(read)[0]!)!;
    await new Promise((r) => setTimeout(r, 30));
    const seen = log.markSeen(hit.id, 'ofc.diaz');
    expect(seen.expiresAt).toBeGreaterThan(hit.expiresAt);
    expect(db.prepare('SELECT typeof(expires_at) FROM hits WHERE id = ?').pluck().get(hit.id)).toBe(
      'integer',
    );
    expect(Number.isInteger(log.deadlineView(seen).expiresAt)).toBe(true);
  });

  it('only an expired hit can be acknowledged as missed', () => {
    save('ABC1234', 'NY');
    const id = hits.open()[0]!.id;
    expect(() => hits.acknowledgeExpired(id, 'ofc.diaz')).toThrow(/is raised, not expired/);
  });

  it('re-checks recent reads when a list arrives and raises retroactive hits', async () => {
    // The window counts from when a read was stored: 90 minutes before the list is outside it.
    const old = save('WNT0001', 'PA');
    now += 70 * 60_000;
    const recent = save('WNT0001', 'PA');
    now += 20 * 60_000;
    expect(hits.open()).toHaveLength(0);
    await load('wanted', 'plate,state,list_type\nWNT0001,PA,wanted-person\n');
    service.tick();
    const open = hits.open();
    expect(open.map((h) => [h.readId, h.retroactive, h.listId])).toEqual([[recent.id, true, 'wanted']]);
    expect(open.some((h) => h.readId === old.id)).toBe(false);
    // A second look finds nothing new.
    service.tick();
    expect(hits.open()).toHaveLength(1);
  });

  it('re-checks recent reads when an entry is added to a list already there (a delta)', async () => {
    service.tick(); // "ncic" is known from here on
    const recent = save('DLT0001', 'NJ', now - 20 * 60_000);
    expect(hits.open()).toHaveLength(0);
    // Same list, same active version id: only its contents changed.
    const delta = path.join(dir, 'delta.csv');
    writeFileSync(delta, 'plate,state,list_type\nDLT0001,NJ,stolen-vehicle\n');
    await importHotlist(store, {
      file: delta,
      listId: 'ncic',
      mode: 'delta',
      actor: 'admin.ray',
      audit,
      generatedAt: now,
    });
    service.tick();
    expect(hits.open().map((h) => [h.readId, h.retroactive, h.listId])).toEqual([[recent.id, true, 'ncic']]);
  });

  it("does not search stored reads for the unit's own manual entries (that is an inquiry: policy VI.E)", () => {
    const recent = save('MAN0001', 'NJ', now - 20 * 60_000);
    addManualEntry(store, audit, 'ofc.diaz', { plate: 'MAN0001', state: null, reason: 'BOLO' });
    service.tick();
    expect(hits.open()).toEqual([]);
    // New reads of it do alert.
    const later = save('MAN0001', 'NJ', now);
    expect(hits.open().map((h) => [h.readId, h.retroactive, h.listId])).toEqual([[later.id, false, 'local']]);
    expect(recent.id).not.toBe(later.id);
    // A day and more later the agency's list is stale; the unit's own entries are not.
    now += 30 * 3_600_000;
    expect(service.currency().map((l) => [l.id, l.stale])).toEqual([
      ['local', false],
      ['ncic', true],
    ]);
  });

  it('warns once per version when a list is older than the limit', async () => {
    await load('old', 'plate,state,list_type\nOLD0001,NY,ncic\n', now - 30 * 3_600_000);
    service.tick();
    service.tick();
    expect(audit.list({ type: 'hotlist.stale' }).map((r) => r.details.list)).toEqual(['old']);
    expect(service.currency().find((l) => l.id === 'old')).toMatchObject({ stale: true });
    expect(service.currency().find((l) => l.id === 'ncic')).toMatchObject({ stale: false });
  });

  it('a list replacement leaves earlier hits and their list version intact', async () => {
    save('ABC1234', 'NY');
    const v1 = store.list('ncic')!.version;
    now += 1000;
    await load('ncic', 'plate,state,list_type\nXYZ9999,NY,stolen-vehicle\n');
    expect(hits.recent()[0]).toMatchObject({
      listVersion: v1,
      entry: expect.objectContaining({ plate: 'ABC1234' }),
    });
    expect(service.matcher.match({ plate: 'ABC1234', state: 'NY' })).toEqual([]);
  });
});

describe('the re-check window when the wall clock is stepped (SQLite on disk)', () => {
  // The unit's steady (monotonic) clock, apart from the wall clock `now` that NTP or the GPS steps.
  let steady = 0;
  let stepped: HotlistService;
  const start = async () => {
    await service.stop();
    steady = 0;
    stepped = serviceOn({ steady: () => steady });
    await stepped.start();
  };
  afterEach(() => stepped.stop());
  const hitReads = (listId: string) =>
    hits
      .open()
      .filter((h) => h.listId === listId && h.retroactive)
      .map((h) => h.readId)
      .sort();
  const wanted = (...plates: string[]) =>
    ['plate,state,list_type', ...plates.map((p) => `${p},NY,stolen-vehicle`)].join('\n') + '\n';

  it('a read made minutes before the GPS set the clock hours forward is re-checked when the list arrives', async () => {
    await start();
    steady += 10 * 60_000;
    now += 10 * 60_000;
    const passed = save('STL0001', 'NY'); // a stolen car passes, 10 minutes after boot
    steady += 5 * 60_000;
    now += 5 * 60_000 + 3 * 3_600_000; // 5 minutes later the GPS sets the clock 3 hours forward
    await load('stolen', wanted('STL0001'));
    stepped.tick();
    expect(hitReads('stolen')).toEqual([passed.id]);
  });

  it('a step back brings no old reads into the window, from before the start or since', async () => {
    const before = save('KDT3150', 'NY', now - 30 * 60_000); // stored by the previous run
    const older = save('WMB8826', 'NY', now - 2 * 3_600_000);
    await start();
    const since = save('HPL4471', 'NY');
    // 10 minutes on, NTP sets the clock 3 hours back: 40 and 10 minutes old are in the window,
    // 2 hours 10 minutes old is not, whatever the wall clock now says.
    steady += 10 * 60_000;
    now += 10 * 60_000 - 3 * 3_600_000;
    await load('a', wanted('KDT3150', 'WMB8826', 'HPL4471'));
    stepped.tick();
    expect(hitReads('a')).toEqual([before.id, since.id].sort());
    expect(hitReads('a')).not.toContain(older.id);
    // An hour on and set back 3 hours again: every one of them is now older than the window.
    steady += 60 * 60_000;
    now += 60 * 60_000 - 3 * 3_600_000;
    await load('b', wanted('KDT3150', 'WMB8826', 'HPL4471'));
    stepped.tick();
    expect(hitReads('b')).toEqual([]);
  });

  it('the window is exact to its slice, and what it keeps in memory stays bounded', async () => {
    await start();
    const saved: { id: string; at: number }[] = [];
    for (let i = 0; i < 180; i++) {
      saved.push({ id: save('EDG0001', 'NY').id, at: steady });
      steady += 60_000;
      now += 60_000;
    }
    const marks = (stepped as unknown as { marks: unknown[] }).marks.length;
    expect(marks).toBeLessThanOrEqual(62);
    await load('edge', wanted('EDG0001'));
    stepped.tick();
    // Each read re-checked leaves a hit row (raised, or suppressed as a repeat): exactly the last
    // hour's, the newest first (it is the one that alerts).
    const rechecked = db
      .prepare(`SELECT read_id FROM hits WHERE list_id = 'edge' ORDER BY seq`)
      .pluck()
      .all();
    const inWindow = saved.filter((r) => r.at >= steady - 60 * 60_000).map((r) => r.id);
    expect(inWindow).toHaveLength(60);
    expect(rechecked).toEqual(inWindow.reverse());
  });
});

describe('upgrading a unit to missed-hit notices (alerts migration 2)', () => {
  it('hits that expired before the upgrade are not put before the officer as missed; later ones are', async () => {
    const file = path.join(dir, 'old.db');
    const old = openDatabase(
      file,
      allMigrations.filter((m) => !(m.module === 'alerts' && m.version === 2)),
    );
    const oldReads = new ReadStore(old, dir);
    const oldStore = new HotlistStore(old, new Equivalence(config.equivalence));
    const oldAudit = new AuditLog(old, () => now);
    writeFileSync(
      path.join(dir, 'l.csv'),
      'plate,state,list_type\nABC1234,NY,stolen-vehicle\nXYZ9876,NY,stolen-vehicle\n',
    );
    await importHotlist(oldStore, {
      file: path.join(dir, 'l.csv'),
      listId: 'l',
      actor: 'admin.ray',
      audit: oldAudit,
      generatedAt: now,
    });
    const oldHits = new HitLog(old, config, oldAudit, () => now);
    const raise = (plate: string) => {
      const read = oldReads.save(makeRead(plate, 'NY', { ts: now }), { crop: null, overview: null });
      return oldHits.raise(read, new Matcher(oldStore, config).match(read, now)[0]!)!.id;
    };
    const before = raise('ABC1234');
    now += 6 * 60_000;
    oldHits.expireDue();
    const open = raise('XYZ9876'); // still open when the unit is upgraded
    old.close();

    const upgraded = openDatabase(file, allMigrations);
    try {
      const log = new HitLog(upgraded, config, new AuditLog(upgraded, () => now), () => now);
      expect(log.get(before)).toMatchObject({ status: 'expired', expiryAckedBy: 'system' });
      expect(log.missed()).toMatchObject({ total: 0, neverShown: 0, expiredEver: 1, hits: [] });
      now += 6 * 60_000;
      log.expireDue();
      expect(log.missed().hits.map((h) => h.id)).toEqual([open]);
    } finally {
      upgraded.close();
    }
  });
});
