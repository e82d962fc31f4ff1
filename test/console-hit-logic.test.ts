import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../src/store/database.js';
import { allMigrations } from '../src/store/all-migrations.js';
import { ReadStore } from '../src/store/reads.js';
import { silentLogger } from '../src/log.js';
import { buildHotlist, type HotlistParts } from '../src/hotlist/services.js';
import { importHotlist } from '../src/hotlist/import.js';
import { defaultConsoleConfig, defaultHotlistsConfig } from '../src/hotlist/config.js';
import { AuditLog } from '../src/policy/audit.js';
import { UserDirectory } from '../src/policy/users.js';
import { policySchema } from '../src/policy/config.js';
import { HitLog } from '../src/alerts/hits.js';
import { images, makeRead, overviewJpeg } from './helpers/hotlist-fixtures.js';
import { consoleCall, consoleEvents, consoleSignIn } from './helpers/console-http.js';

// What an officer at the console, and an auditor afterwards, see of a hit's logic: which sighting
// of a listed car alerts, whether a hit survives its entry leaving the list, and whose
// confirmations a verification stands on. Real SQLite on disk, the real console over HTTP.

let dir: string;
let db: Db;
let reads: ReadStore;
let audit: AuditLog;
let parts: HotlistParts;
let url: string;
/** The unit's clock (wall and steady alike): a test moves it to age a read or an entry. */
let t: number;

type Json = Record<string, unknown>;
type Current = Json & { id: string; status: string; retroactive: boolean; read: Json; entry: Json };

async function load(file: string, csv: string, opts: { mode?: 'replace' | 'delta'; version?: string } = {}) {
  writeFileSync(path.join(dir, file), csv.replaceAll('\n', '\r\n'));
  return importHotlist(parts.store, {
    file: path.join(dir, file),
    listId: 'ncic',
    actor: 'admin.ray',
    audit,
    generatedAt: t,
    now: () => t,
    ...opts,
  });
}

/** A read of the plate with its crop and overview (or without a crop), stored now. */
async function sighting(plate: string, state: string | null, opts: { crop?: boolean } = {}) {
  const imgs = await images(plate);
  return reads.save(
    makeRead(plate, state, { ts: t }),
    opts.crop === false ? { crop: null, overview: await overviewJpeg(plate) } : imgs,
  );
}

const hitsOf = (readId: string) =>
  db.prepare(`SELECT id, status, duplicate_of FROM hits WHERE read_id = ?`).all(readId) as {
    id: string;
    status: string;
    duplicate_of: string | null;
  }[];

async function state(token: string) {
  const s = (await consoleCall(url, token, 'GET', '/api/state')).body;
  return s as Json & { current: Current | null; queue: Json[]; withdrawn: Json[] };
}

/**
 * The officer's console as the page works it: the pictures fetched and looked at for a second
 * (a confirmation sooner than that is refused, src/alerts/shown.ts), then each act.
 */
async function showPictures(token: string, id: string) {
  for (const p of ['crop', 'overview']) {
    const res = await fetch(new URL(`/api/hits/${id}/${p}`, url), {
      headers: { cookie: `lpr_console=${token}` },
    });
    await res.arrayBuffer();
  }
  await new Promise((r) => setTimeout(r, 1_050));
}
const act = (token: string, id: string, what: string, body?: unknown) =>
  consoleCall(url, token, 'POST', `/api/hits/${id}/${what}`, body);
const dispositions = () =>
  audit.list({ type: 'hit.disposition', limit: 1000 }).map((r) => ({
    hitId: r.details.hitId,
    outcome: r.details.outcome,
    ...(r.details.withdrawnReason ? { withdrawnReason: r.details.withdrawnReason } : {}),
    ...(r.details.supersededBy ? { supersededBy: r.details.supersededBy } : {}),
  }));

let officerA: string;
let officerB: string;

beforeEach(async () => {
  t = Date.now();
  dir = mkdtempSync(path.join(os.tmpdir(), 'console-hit-logic-'));
  db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
  reads = new ReadStore(db, dir);
  audit = new AuditLog(db, () => t);
  const users = new UserDirectory(db, { ...policySchema.parse({}), passwordCostLog2: 14 }, audit);
  users.bootstrapAdmin('admin.ray', 'admin secret 1', '2026-01-05');
  const admin = users.signIn('admin.ray', 'admin secret 1');
  for (const name of ['ofc.a', 'ofc.b'])
    users.addUser(admin, { name, role: 'officer', secret: `${name} secret 42`, trained: '2026-02-01' });
  parts = buildHotlist(
    {
      db,
      reads,
      log: silentLogger(),
      config: { hotlists: defaultHotlistsConfig(), console: { ...defaultConsoleConfig(), port: 0 } },
    },
    { audit, users, now: () => t },
  );
  await load(
    'ncic.csv',
    [
      'plate,state,list_type,reference,reason,expires',
      'KXT4821,NY,stolen-vehicle,NCIC V-4821,Stolen overnight,',
      'AMB3307,NY,amber-alert,AMBER NY-114,Child abduction,',
      // Valid for ten minutes more: the warrant behind it is being served elsewhere.
      `EXP5150,NY,stolen-plate,NCIC P-5150,Plate reported stolen,${new Date(t + 10 * 60_000).toISOString()}`,
    ].join('\n'),
    { version: 'ncic-1' },
  );
  for (const s of parts.services) await s.start();
  url = parts.console.url;
  officerA = await consoleSignIn(url, 'ofc.a', 'ofc.a secret 42');
  officerB = await consoleSignIn(url, 'ofc.b', 'ofc.b secret 42');
});

afterEach(async () => {
  for (const s of [...parts.services].reverse()) await s.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('which sighting of a listed car alerts', () => {
  it('a near miss the officer rejected does not hide the listed car passing next; a repeat of a verified car stays quiet', async () => {
    await sighting('KXT4828', 'NY'); // another car, one character off the listed KXT4821
    let s = await state(officerA);
    expect(s.current).toMatchObject({ rule: 'differences', read: { plate: 'KXT4828' } });
    expect((await act(officerA, s.current!.id, 'reject', { reason: 'vehicle does not match' })).status).toBe(
      200,
    );

    t += 60_000;
    const listed = await sighting('KXT4821', 'NY'); // the stolen car itself
    expect(hitsOf(listed.id).map((h) => h.status)).toEqual(['raised']);
    s = await state(officerA);
    expect(s.current).toMatchObject({ rule: 'exact', read: { plate: 'KXT4821' }, status: 'raised' });

    // Verified on its pictures; the same car read again a minute later is the repeat the
    // duplicate window is for: recorded, no alert.
    const id = s.current!.id;
    await showPictures(officerA, id);
    for (const what of ['plate', 'state'])
      expect((await act(officerA, id, 'confirm', { what })).status).toBe(200);
    expect((await act(officerA, id, 'verify')).status).toBe(200);
    t += 60_000;
    const again = await sighting('KXT4821', 'NY');
    expect(hitsOf(again.id)).toEqual([expect.objectContaining({ status: 'suppressed', duplicate_of: id })]);
    expect((await state(officerA)).current).toBeNull();
  });

  it('an open near miss does not hide the listed car either: each waits on the console with its own picture', async () => {
    await sighting('KXT4828', 'NY');
    const nearMiss = (await state(officerA)).current!;
    await act(officerA, nearMiss.id, 'seen');
    t += 30_000;
    const listed = await sighting('KXT4821', 'NY');
    expect(hitsOf(listed.id).map((h) => h.status)).toEqual(['raised']);
    const s = await state(officerA);
    expect(s.current!.id).toBe(nearMiss.id);
    expect(s.queue).toEqual([expect.objectContaining({ plate: 'KXT4821' })]);
    // The same reading of the near miss again, while the officer has it on screen: a repeat.
    t += 30_000;
    const repeat = await sighting('KXT4828', 'NY');
    expect(hitsOf(repeat.id)).toEqual([
      expect.objectContaining({ status: 'suppressed', duplicate_of: nearMiss.id }),
    ]);
  });

  it('a clear read of the car alerts after a hit without a plate picture was rejected, or replaces it while still open', async () => {
    // Rejected first ("plate not visible": nothing could be confirmed on it), then read clearly.
    await sighting('KXT4821', 'NY', { crop: false });
    const blind = (await state(officerA)).current!;
    expect(blind.read).toMatchObject({ hasCrop: false });
    expect((await act(officerA, blind.id, 'reject', { reason: 'plate not visible' })).status).toBe(200);
    t += 60_000;
    const clear = await sighting('KXT4821', 'NY');
    expect(hitsOf(clear.id).map((h) => h.status)).toEqual(['raised']);
    expect((await state(officerA)).current).toMatchObject({ read: { hasCrop: true, plate: 'KXT4821' } });

    // The other order: the clear read comes while the blind one is still on screen.
    const amberBlind = await sighting('AMB3307', 'NY', { crop: false });
    const amberHit = hitsOf(amberBlind.id)[0]!.id;
    await act(officerA, amberHit, 'seen');
    t += 20_000;
    const amberClear = await sighting('AMB3307', 'NY');
    const [replacement] = hitsOf(amberClear.id);
    expect(replacement!.status).toBe('raised');
    const s = await state(officerA);
    expect(s.current).toMatchObject({ id: replacement!.id, read: { hasCrop: true } });
    expect(parts.hits.get(amberHit)).toMatchObject({ status: 'superseded', supersededBy: replacement!.id });
    expect(dispositions()).toContainEqual({
      hitId: amberHit,
      outcome: 'superseded',
      supersededBy: replacement!.id,
    });
    // And it can be verified, which the blind one never could.
    await showPictures(officerA, replacement!.id);
    for (const what of ['plate', 'state'])
      expect((await act(officerA, replacement!.id, 'confirm', { what })).status).toBe(200);
    expect((await act(officerA, replacement!.id, 'verify')).status).toBe(200);
  });

  it('the car passing now replaces the retroactive alert of where it was 40 minutes ago', async () => {
    const old = await sighting('NEW7777', 'NY');
    t += 40 * 60_000; // a delta from HQ then lists it as stolen
    await load('add.csv', 'plate,state,list_type,action\nNEW7777,NY,stolen-vehicle,add\n', { mode: 'delta' });
    parts.matching.tick();
    let s = await state(officerA);
    expect(s.current).toMatchObject({ retroactive: true, read: { ts: old.ts } });
    const retro = s.current!.id;
    await act(officerA, retro, 'seen');

    t += 60_000;
    const live = await sighting('NEW7777', 'NY');
    const [liveHit] = hitsOf(live.id);
    expect(liveHit!.status).toBe('raised');
    s = await state(officerA);
    expect(s.current).toMatchObject({ id: liveHit!.id, retroactive: false, read: { ts: t } });
    expect(s.queue).toEqual([]);
    expect(parts.hits.get(retro)).toMatchObject({ status: 'superseded', supersededBy: liveHit!.id });
    expect(dispositions()).toContainEqual({ hitId: retro, outcome: 'superseded', supersededBy: liveHit!.id });
    expect(audit.list({ type: 'hit.raised', limit: 100 }).at(-1)!.details).toMatchObject({
      hitId: liveHit!.id,
      supersedes: retro,
    });
    expect((await act(officerA, retro, 'verify')).body.error).toMatch(/superseded by a newer sighting/);
  });
});

describe('a read suppressed behind a hit the officer then rejects', () => {
  it('the latest such read alerts at once; one older than the hit expiry, or behind a reject as "duplicate", does not', async () => {
    const first = await sighting('KXT4821', 'NY');
    const rejected = (await state(officerA)).current!;
    expect(rejected.read).toMatchObject({ ts: first.ts });
    await act(officerA, rejected.id, 'seen');
    // The car passes twice more while the officer works the first read: repeats, no alert.
    t += 30_000;
    const second = await sighting('KXT4821', 'NY');
    t += 30_000;
    const third = await sighting('KXT4821', 'NY');
    for (const r of [second, third])
      expect(hitsOf(r.id)).toEqual([
        expect.objectContaining({ status: 'suppressed', duplicate_of: rejected.id }),
      ]);

    // The first read's picture shows no plate: rejected. The car was read again meanwhile: the
    // latest of those reads alerts now, not at the car's next pass.
    t += 30_000;
    const stream = await consoleEvents(url, officerA);
    try {
      expect((await act(officerA, rejected.id, 'reject', { reason: 'plate not visible' })).status).toBe(200);
      const [again] = hitsOf(third.id);
      expect(again).toMatchObject({ status: 'raised', duplicate_of: null });
      expect(hitsOf(second.id)).toEqual([expect.objectContaining({ status: 'suppressed' })]);
      const s = await state(officerA);
      expect(s.current).toMatchObject({ id: again!.id, status: 'raised', read: { ts: third.ts } });
      expect(s.queue).toEqual([]);
      // Raised now: its deadline counts from the reject, and the console was told (with a tone).
      expect(parts.hits.get(again!.id)).toMatchObject({ raisedAt: t, expiresAt: t + 15 * 60_000 });
      await expect
        .poll(() => stream.states.some((st) => (st.current as Json | null)?.id === again!.id))
        .toBe(true);
    } finally {
      stream.close();
    }
    expect(
      parts.hits.events(hitsOf(third.id)[0]!.id).map((e) => [e.action, e.fromStatus, e.toStatus]),
    ).toEqual([
      ['suppressed', null, 'suppressed'],
      ['raised', 'suppressed', 'raised'],
    ]);
    expect(parts.hits.events(hitsOf(third.id)[0]!.id).at(-1)!.details).toMatchObject({
      afterRejectOf: rejected.id,
    });
    expect(audit.list({ type: 'hit.raised', limit: 100 }).at(-1)!.details).toMatchObject({
      hitId: hitsOf(third.id)[0]!.id,
      readId: third.id,
      afterRejectOf: rejected.id,
    });
    expect(audit.verify().ok).toBe(true);

    // Rejected as a duplicate: the officer has the car in hand under another alert.
    const amber = await sighting('AMB3307', 'NY');
    const amberHit = hitsOf(amber.id)[0]!.id;
    t += 20_000;
    const amberAgain = await sighting('AMB3307', 'NY');
    expect(hitsOf(amberAgain.id)[0]).toMatchObject({ status: 'suppressed', duplicate_of: amberHit });
    expect((await act(officerA, amberHit, 'reject', { reason: 'duplicate' })).status).toBe(200);
    expect(hitsOf(amberAgain.id)[0]!.status).toBe('suppressed');

    // A repeat recorded more than hitExpiryMinutes (15) ago: a hit raised for it then would have
    // expired by now, so it is no alert now either.
    await load('late.csv', 'plate,state,list_type,action\nLAT2424,NY,stolen-vehicle,add\n', {
      mode: 'delta',
    });
    parts.matching.tick();
    const stolen = await sighting('LAT2424', 'NY');
    const stolenHit = hitsOf(stolen.id)[0]!.id;
    t += 20_000;
    const stolenAgain = await sighting('LAT2424', 'NY');
    expect(hitsOf(stolenAgain.id)[0]).toMatchObject({ status: 'suppressed', duplicate_of: stolenHit });
    t += 14 * 60_000;
    await showPictures(officerA, stolenHit);
    // Worked just before its deadline: the confirmation gives it 2 minutes more.
    expect((await act(officerA, stolenHit, 'confirm', { what: 'plate' })).status).toBe(200);
    t += 90_000; // the repeat is now 15.5 minutes old
    expect((await act(officerA, stolenHit, 'reject', { reason: 'misread' })).status).toBe(200);
    expect(hitsOf(stolenAgain.id)[0]!.status).toBe('suppressed');
  });
});

describe('a list update that matches several recent reads of one car', () => {
  it('alerts on the newest read (where the car was last seen), the earlier ones its sightings', async () => {
    const imgs = await images('NEW7777');
    /** A read of the car now, by one camera at one place. */
    const save = (cameraId: string, lat: number) =>
      reads.save(
        makeRead('NEW7777', 'NY', { ts: t, cameraId, gps: { lat, lon: -74.0, time: t, mode: 3, hdop: 0.9 } }),
        imgs,
      );
    const oldest = await save('front', 40.7);
    t += 2 * 60_000;
    const middle = await save('rear', 40.71);
    t += 3 * 60_000;
    const newest = await save('front', 40.72);
    t += 10 * 60_000; // then a delta from HQ lists it as stolen
    await load('add.csv', 'plate,state,list_type,action\nNEW7777,NY,stolen-vehicle,add\n', { mode: 'delta' });
    parts.matching.tick();

    const s = await state(officerA);
    expect(s.current).toMatchObject({ retroactive: true, read: { ts: newest.ts, gps: { lat: 40.72 } } });
    expect(s.queue).toEqual([]);
    const hit = s.current!.id;
    for (const r of [middle, oldest])
      expect(hitsOf(r.id)).toEqual([expect.objectContaining({ status: 'suppressed', duplicate_of: hit })]);
    // The earlier sightings go with the alert, the latest first: when, which camera, where.
    expect(s.current!.sightings).toEqual([
      { ts: middle.ts, cameraId: 'rear', gps: { lat: 40.71, lon: -74.0 } },
      { ts: oldest.ts, cameraId: 'front', gps: { lat: 40.7, lon: -74.0 } },
    ]);

    // Rejected: the earlier sightings, listed with it, do not alert in its place (only a read made
    // after the rejected one would: the car seen again).
    expect((await act(officerA, hit, 'reject', { reason: 'plate not visible' })).status).toBe(200);
    expect((await state(officerA)).current).toBeNull();
    for (const r of [middle, oldest]) expect(hitsOf(r.id)[0]!.status).toBe('suppressed');
  });

  it('the car passing now takes the alert with every earlier sighting: the replaced alert’s read and those listed under it', async () => {
    const imgs = await images('NEW7777');
    const save = (cameraId: string, lat: number) =>
      reads.save(
        makeRead('NEW7777', 'NY', { ts: t, cameraId, gps: { lat, lon: -74.0, time: t, mode: 3, hdop: 0.9 } }),
        imgs,
      );
    const oldest = await save('front', 40.7);
    t += 2 * 60_000;
    const middle = await save('rear', 40.71);
    t += 3 * 60_000;
    const newest = await save('front', 40.72);
    t += 10 * 60_000;
    await load('add.csv', 'plate,state,list_type,action\nNEW7777,NY,stolen-vehicle,add\n', { mode: 'delta' });
    parts.matching.tick();
    let s = await state(officerA);
    const retro = s.current!.id;
    expect(s.current).toMatchObject({ retroactive: true, read: { ts: newest.ts } });
    expect(s.current!.sightings).toHaveLength(2);
    await act(officerA, retro, 'seen');

    // The car in front of the camera now: its live alert replaces the retroactive one on screen.
    t += 60_000;
    const live = await save('rear', 40.73);
    const [liveHit] = hitsOf(live.id);
    s = await state(officerA);
    expect(s.current).toMatchObject({ id: liveHit!.id, retroactive: false, read: { ts: live.ts } });
    expect(parts.hits.get(retro)).toMatchObject({ status: 'superseded', supersededBy: liveHit!.id });
    // Where the car was seen before is still on the alert, the latest first: the replaced
    // alert's own read (where it was last seen), then the sightings listed under it.
    const before = [
      { ts: newest.ts, cameraId: 'front', gps: { lat: 40.72, lon: -74.0 } },
      { ts: middle.ts, cameraId: 'rear', gps: { lat: 40.71, lon: -74.0 } },
      { ts: oldest.ts, cameraId: 'front', gps: { lat: 40.7, lon: -74.0 } },
    ];
    expect(s.current!.sightings).toEqual(before);

    // A pass while the live alert is open is its repeat, listed first; the earlier ones stay.
    t += 30_000;
    const again = await save('front', 40.74);
    expect(hitsOf(again.id)).toEqual([
      expect.objectContaining({ status: 'suppressed', duplicate_of: liveHit!.id }),
    ]);
    s = await state(officerA);
    expect(s.current!.sightings).toEqual([
      { ts: again.ts, cameraId: 'front', gps: { lat: 40.74, lon: -74.0 } },
      ...before,
    ]);
    // Nothing stored about the earlier sightings changed: they stay repeats of the hit they were
    // recorded behind (the audit trail and a reject's lifting of suppression go by that).
    for (const r of [middle, oldest])
      expect(hitsOf(r.id)).toEqual([expect.objectContaining({ status: 'suppressed', duplicate_of: retro })]);
  });
});

describe('a hit whose entry leaves the list (policy IV.C.1)', () => {
  it('cannot be confirmed or verified once a new version of the list no longer has it: withdrawn, audited, on the console', async () => {
    await sighting('KXT4821', 'NY');
    const id = (await state(officerA)).current!.id;
    await showPictures(officerA, id);
    expect((await act(officerA, id, 'confirm', { what: 'plate' })).status).toBe(200);
    const stream = await consoleEvents(url, officerA);
    try {
      // HQ's next version no longer lists it (the car was recovered); the periodic check has not run.
      await load('ncic2.csv', 'plate,state,list_type\nAMB3307,NY,amber-alert\n', { version: 'ncic-2' });
      const confirm = await act(officerA, id, 'confirm', { what: 'state' });
      expect(confirm.status).toBe(409);
      expect(confirm.body.error).toMatch(
        /withdrawn: entry KXT4821 NY \(stolen-vehicle\) was removed from list ncic in version ncic-2/,
      );
      const verify = await act(officerA, id, 'verify');
      expect(verify.status).toBe(409);
      expect(verify.body.error).toMatch(/already withdrawn: .*ncic-2; no stop on this alert/);

      expect(parts.hits.get(id)).toMatchObject({ status: 'withdrawn', decidedBy: null });
      expect(dispositions()).toEqual([
        { hitId: id, outcome: 'withdrawn', withdrawnReason: expect.stringContaining('in version ncic-2') },
      ]);
      expect(parts.hits.events(id).at(-1)).toMatchObject({ action: 'withdrawn', actor: 'system' });
      const s = await state(officerA);
      expect(s.current).toBeNull();
      expect(s.withdrawn).toEqual([
        expect.objectContaining({ id, plate: 'KXT4821', withdrawnReason: expect.stringContaining('ncic-2') }),
      ]);
      await expect.poll(() => stream.states.some((st) => (st.withdrawn as Json[]).length === 1)).toBe(true);
      expect(audit.verify().ok).toBe(true);
    } finally {
      stream.close();
    }
  });

  it('is withdrawn as soon as the unit notices the change, before anyone acts on it; an expired entry too', async () => {
    const amber = await sighting('AMB3307', 'NY');
    const stolen = await sighting('EXP5150', 'NY');
    const [amberHit, stolenHit] = [hitsOf(amber.id)[0]!.id, hitsOf(stolen.id)[0]!.id];
    await load('rm.csv', 'plate,state,list_type,action\nAMB3307,NY,amber-alert,remove\n', {
      mode: 'delta',
      version: 'ncic-1a',
    });
    parts.matching.tick();
    expect(parts.hits.get(amberHit)).toMatchObject({
      status: 'withdrawn',
      withdrawnReason: 'entry AMB3307 NY (amber-alert) was removed from list ncic in version ncic-1a',
    });
    expect(parts.hits.get(stolenHit)!.status).toBe('raised');

    t += 11 * 60_000; // past the entry's own expiry, still inside the hit's 15 minutes
    await showPictures(officerA, stolenHit);
    const confirm = await act(officerA, stolenHit, 'confirm', { what: 'plate' });
    expect(confirm.status).toBe(409);
    expect(confirm.body.error).toMatch(/entry EXP5150 NY \(stolen-plate\) on list ncic expired at /);
    expect((await state(officerA)).withdrawn).toHaveLength(2);
  });
});

describe("each officer's own confirmations", () => {
  it("a partner confirming the same hit takes nothing from the first officer's confirmations", async () => {
    await sighting('KXT4821', 'NY');
    const id = (await state(officerA)).current!.id;
    await showPictures(officerA, id);
    await showPictures(officerB, id);
    for (const what of ['plate', 'state'])
      expect((await act(officerA, id, 'confirm', { what })).status).toBe(200);
    expect((await act(officerB, id, 'confirm', { what: 'plate' })).status).toBe(200);

    // Each console shows its own officer's confirmations.
    expect((await state(officerA)).current).toMatchObject({ plateConfirmed: true, stateConfirmed: true });
    expect((await state(officerB)).current).toMatchObject({ plateConfirmed: true, stateConfirmed: false });
    const early = await act(officerB, id, 'verify');
    expect(early.status).toBe(409);
    expect(early.body.error).toMatch(
      /state not confirmed by ofc\.b \(confirmed by ofc\.a: confirm them yourself\)/,
    );

    expect((await act(officerA, id, 'verify')).status).toBe(200);
    expect(parts.hits.get(id)).toMatchObject({
      status: 'verified',
      decidedBy: 'ofc.a',
      plateConfirmedBy: 'ofc.a',
      stateConfirmedBy: 'ofc.a',
    });
    expect(parts.hits.events(id).map((e) => `${e.action}:${e.actor}`)).toEqual([
      'raised:system',
      'confirm-plate:ofc.a',
      'confirm-state:ofc.a',
      'confirm-plate:ofc.b',
      'verified:ofc.a',
    ]);
    expect(audit.list({ type: 'hit.confirm-plate', limit: 100 }).map((r) => r.actor)).toEqual([
      'ofc.a',
      'ofc.b',
    ]);
    expect(audit.verify().ok).toBe(true);
  });

  it('confirmations given before the upgrade are kept per officer', () => {
    const file = path.join(dir, 'old.db');
    const old = openDatabase(
      file,
      // A unit from before alerts migration 3 had none of the later ones either.
      allMigrations.filter(
        (m) => !(m.module === 'alerts' && m.version >= 3) && !(m.module === 'sync' && m.version >= 5),
      ),
    );
    const read = new ReadStore(old, dir).save(makeRead('KXT4821', 'NY', { ts: t }), {
      crop: null,
      overview: null,
    });
    // As the unit before it stored them: the hit's columns held only the latest confirmation.
    old
      .prepare(
        `INSERT INTO hits (id, seq, read_id, entry_id, entry_key, entry, list_id, list_version, list_generated_at,
           list_type, priority, read_plate, read_state, matched_text, via, rule, differences, state_not_read,
           retroactive, status, raised_at, expires_at, plate_confirmed_by, state_confirmed_by)
         VALUES ('h1', 1, ?, 1, 'ncic|KXT4821|NY|stolen-vehicle', ?, 'ncic', 'v1', ?, 'stolen-vehicle', 2,
           'KXT4821', 'NY', 'KXT4821', 'best', 'exact', '[]', 0, 0, 'seen', ?, ?, 'ofc.b', 'ofc.a')`,
      )
      .run(
        read.id,
        JSON.stringify({ plate: 'KXT4821', state: 'NY', listType: 'stolen-vehicle' }),
        t,
        t,
        t + 900_000,
      );
    const event = old.prepare(
      `INSERT INTO hit_events (hit_id, ts, actor, action, from_status, to_status) VALUES ('h1', ?, ?, ?, 'seen', 'seen')`,
    );
    event.run(t + 1, 'ofc.a', 'confirm-plate');
    event.run(t + 2, 'ofc.a', 'confirm-state');
    event.run(t + 3, 'ofc.b', 'confirm-plate');
    old.close();

    const upgraded = openDatabase(file, allMigrations);
    try {
      const log = new HitLog(upgraded, defaultHotlistsConfig(), new AuditLog(upgraded, () => t), () => t);
      expect(log.get('h1')!.confirmations).toEqual([
        { officer: 'ofc.a', what: 'plate', at: t + 1 },
        { officer: 'ofc.a', what: 'state', at: t + 2 },
        { officer: 'ofc.b', what: 'plate', at: t + 3 },
      ]);
      expect(log.verify('h1', 'ofc.a').status).toBe('verified');
    } finally {
      upgraded.close();
    }
  });
});
