import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
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
import { Outbox } from '../src/sync/outbox.js';
import { recordSources } from '../src/sync/adapters.js';
import { dispositionBodySchema } from '../src/sync/schemas.js';
import { images, makeRead } from './helpers/hotlist-fixtures.js';
import { expectText, launchChromium, signIn } from './helpers/chromium.js';

// A hit nobody verified in time must not vanish: the console says it was missed (and whether any
// console ever showed it) until an officer acknowledges it, and HQ learns the same. Nor may one
// an officer is working expire under them, or one expire without a sound.

const SHOTS = process.env.CONSOLE_SCREENSHOTS ?? path.join(os.tmpdir(), 'lpr-console-shots');
/** 12 s (checked every 2 s): time to confirm one alert's plate on a loaded machine, short enough to wait for. */
const EXPIRY_MINUTES = 0.2;
const EXPIRY_MS = EXPIRY_MINUTES * 60_000;
/** 9 s more after each act on an alert; at most 24 s (twice the expiry) after it was raised. */
const GRACE_MINUTES = 0.15;

let dir: string;
let db: Db;
let reads: ReadStore;
let parts: HotlistParts;
let auditLog: AuditLog;
let browser: Browser;
let page: Page;

const hitOf = (readId: string) =>
  db.prepare(`SELECT * FROM hits WHERE read_id = ?`).get(readId) as {
    id: string;
    status: string;
    raised_at: number;
    expiry_acked_by: string | null;
  };
/** How many tones the page has played, and the last (console.js sets both as it plays one). */
const tones = (p: Page) =>
  p.evaluate((): [number, string | null] => [
    Number(document.body.dataset.toneCount ?? 0),
    document.body.dataset.lastTone ?? null,
  ]);

/** When the unit's latest look for hits past their deadline began (every 2 s, and as a hit is raised). */
let lastExpiryCheck = 0;
/** Waits until the unit has looked for hits past their deadline since `t`: one due by `t` would be expired by now. */
async function checkedSince(t: number): Promise<void> {
  await expect.poll(() => lastExpiryCheck, { timeout: 15_000, interval: 50 }).toBeGreaterThan(t);
}

/** The officer confirms the plate and the state of the alert on screen and verifies it, by keyboard. */
async function confirmAndVerify(): Promise<void> {
  for (const key of ['p', 's', 'v']) {
    const button = { p: 'confirm-plate', s: 'confirm-state', v: 'verify' }[key]!;
    await page.waitForFunction((id) => !(document.getElementById(id) as HTMLButtonElement).disabled, button);
    await page.keyboard.press(key);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'console-expiry-'));
  mkdirSync(SHOTS, { recursive: true });
  db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
  reads = new ReadStore(db, dir);
  auditLog = new AuditLog(db);
  const users = new UserDirectory(db, { ...policySchema.parse({}), passwordCostLog2: 14 }, auditLog);
  users.bootstrapAdmin('admin.ray', 'admin secret 1', '2026-01-05');
  users.addUser(users.signIn('admin.ray', 'admin secret 1'), {
    name: 'ofc.diaz',
    role: 'officer',
    secret: 'correct horse 42',
    trained: '2026-02-01',
  });
  parts = buildHotlist(
    {
      db,
      reads,
      log: silentLogger(),
      config: {
        hotlists: {
          ...defaultHotlistsConfig(),
          hitExpiryMinutes: EXPIRY_MINUTES,
          hitGraceMinutes: GRACE_MINUTES,
        },
        console: { ...defaultConsoleConfig(), port: 0 },
      },
    },
    // One clock for wall and deadlines: the tests expire a hit by moving its stored deadline.
    { audit: auditLog, users, now: () => Date.now() },
  );
  // Noted, not changed: when each look for hits past their deadline began (see checkedSince).
  const expireDue = parts.hits.expireDue.bind(parts.hits);
  parts.hits.expireDue = () => {
    const at = Date.now();
    const expired = expireDue();
    lastExpiryCheck = at;
    return expired;
  };
  writeFileSync(
    path.join(dir, 'ncic.csv'),
    [
      'plate,state,list_type,reference,reason',
      'AMB3307,NY,amber-alert,AMBER NY-2026-114,Child abduction',
      'LOW1234,NY,suspended-registration,DMV R-5521,Registration suspended (insurance)',
      'WRK5150,NY,stolen-vehicle,NCIC V-5150,Stolen overnight',
      'TWO2222,NY,stolen-plate,NCIC P-2222,Plates stolen',
      'BCK4040,NY,stolen-vehicle,NCIC V-4040,Stolen from a driveway',
      'AMB7070,NY,amber-alert,AMBER NY-2026-170,Child abduction',
      'TWO2222,,ncic,NCIC W-2222,Wanted: any state',
      'AMB9090,NY,amber-alert,AMBER NY-2026-190,Child abduction',
      'QUE6060,NY,stolen-vehicle,NCIC V-6060,Stolen from a car park',
    ].join('\r\n'),
  );
  await importHotlist(parts.store, {
    file: path.join(dir, 'ncic.csv'),
    listId: 'ncic',
    actor: 'admin.ray',
    audit: auditLog,
  });
  for (const s of parts.services) await s.start();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
});

afterAll(async () => {
  await browser?.close();
  for (const s of [...(parts?.services ?? [])].reverse()) await s.stop();
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hits that expire unverified, in Chromium', () => {
  it('the console says which hits expired, whether they were ever shown, and keeps them until acknowledged', async () => {
    // No console signed in (the officer is out of the car): this hit is never shown to anyone.
    await page.goto(parts.console.url);
    const low = await reads.save(makeRead('LOW1234', 'NY'), await images('LOW1234'));
    await expect.poll(() => hitOf(low.id).status, { timeout: 30_000, interval: 250 }).toBe('expired');
    await signIn(page, 'ofc.diaz', 'correct horse 42');
    await page.locator('#no-alert').waitFor({ state: 'visible' });
    await expectText(page, '#missed-text', /^MISSED: 1 hit expired before verification \(1 never shown\)/);

    // An alert on screen, half confirmed.
    const amber = await reads.save(makeRead('AMB3307', 'NY'), await images('AMB3307'));
    await page.waitForFunction(() => document.getElementById('hit-entry')?.textContent === 'AMB3307');
    await page.waitForFunction(
      () => !(document.getElementById('confirm-plate') as HTMLButtonElement).disabled,
    );
    await page.keyboard.press('p');
    await page.waitForFunction(
      () => document.getElementById('confirm-plate')!.getAttribute('aria-pressed') === 'true',
    );

    // Nobody verifies in time: the alert leaves the screen, and the console says so.
    await page.locator('#no-alert').waitFor({ state: 'visible', timeout: 30_000 });
    expect(hitOf(amber.id).status).toBe('expired');
    await expectText(page, '#missed-text', /^MISSED: 2 hits/);
    expect(await page.locator('#missed-text').innerText()).toMatch(
      /^MISSED: 2 hits expired before verification \(1 never shown\), latest AMB3307 amber alert at .+\. No stop on them\.$/,
    );
    const rows = page.locator('#missed-list li');
    expect(await rows.count()).toBe(2);
    const amberRow = rows.filter({ hasText: 'AMB3307' });
    const lowRow = rows.filter({ hasText: 'LOW1234' });
    expect(await amberRow.innerText()).toMatch(/high · AMBER alert · list ncic · AMBER NY-2026-114/);
    expect(await amberRow.innerText()).toMatch(/Shown, not verified\s+Child abduction/);
    expect(await lowRow.innerText()).toMatch(/NEVER SHOWN on a console/);
    // What was missed, never how to act on it: one button, Acknowledge; the API refuses a stop.
    expect(await amberRow.locator('button').allInnerTexts()).toEqual(['Acknowledge']);
    const refused = await page.evaluate(async (id) => {
      const post = (path: string, body?: unknown) =>
        fetch(`/api/hits/${id}/${path}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body ?? {}),
        }).then((r) => r.status);
      return [await post('confirm', { what: 'state' }), await post('verify')];
    }, hitOf(amber.id).id);
    expect(refused).toEqual([409, 409]);
    await page.screenshot({ path: path.join(SHOTS, 'console-missed-day.png') });

    // On the smallest in-car screen the banner is on screen, and Review leads to the list.
    await page.setViewportSize({ width: 800, height: 600 });
    const banner = await page.locator('#missed-banner').boundingBox();
    expect(banner!.y + banner!.height).toBeLessThanOrEqual(600);
    await page.locator('#missed-review').click();
    // Its first Acknowledge is there to be touched, not behind anything or scrolled away.
    await page.waitForFunction(() => {
      const button = document.querySelector('#missed-list button')!;
      const r = button.getBoundingClientRect();
      return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === button;
    });
    await page.screenshot({ path: path.join(SHOTS, 'console-missed-800.png') });
    await page.setViewportSize({ width: 1280, height: 800 });

    // The hit log, the audit chain and the outbox to HQ record each expiry and whether it was seen.
    for (const [read, neverShown] of [
      [amber, false],
      [low, true],
    ] as const) {
      const expiry = parts.hits.events(hitOf(read.id).id).find((e) => e.action === 'expired')!;
      expect(expiry.details.neverShown).toBe(neverShown);
    }
    const dispositions = auditLog
      .list({ type: 'hit.disposition' })
      .map((r) => [r.details.hitId, r.details.outcome, r.details.neverShown]);
    expect(dispositions).toEqual(
      expect.arrayContaining([
        [hitOf(amber.id).id, 'expired', false],
        [hitOf(low.id).id, 'expired', true],
      ]),
    );
    const box = new Outbox(db, 'car-1', recordSources(db));
    box.collect();
    const toHq = box
      .due(1000)
      .filter((d) => d.kind === 'disposition')
      .map((d) => dispositionBodySchema.parse(box.load(d)!.body))
      .filter((b) => b.action === 'expired')
      .map((b) => [b.hitId, b.details.neverShown]);
    expect(toHq).toEqual(
      expect.arrayContaining([
        [hitOf(amber.id).id, false],
        [hitOf(low.id).id, true],
      ]),
    );

    // Acknowledged one by one, under the officer's name; the banner goes with the last.
    await lowRow.getByText('Acknowledge').click();
    await expectText(page, '#missed-text', /^MISSED: 1 hit expired before verification, latest AMB3307/);
    await amberRow.getByText('Acknowledge').click();
    await page.locator('#missed-banner').waitFor({ state: 'hidden' });
    expect(await page.locator('#missed').isHidden()).toBe(true);
    expect([hitOf(amber.id), hitOf(low.id)].map((h) => [h.status, h.expiry_acked_by])).toEqual([
      ['expired', 'ofc.diaz'],
      ['expired', 'ofc.diaz'],
    ]);
    expect(auditLog.list({ type: 'hit.expiry-acknowledged' }).map((r) => r.actor)).toEqual([
      'ofc.diaz',
      'ofc.diaz',
    ]);
    expect(auditLog.verify().ok).toBe(true);
  });

  it('an officer who confirms the plate just before the deadline can still confirm the state and verify after it', async () => {
    const read = await reads.save(makeRead('WRK5150', 'NY'), await images('WRK5150'));
    await page.waitForFunction(() => document.getElementById('hit-entry')?.textContent === 'WRK5150');
    await page.waitForFunction(
      () => !(document.getElementById('confirm-plate') as HTMLButtonElement).disabled,
    );
    // The alert counts down its last minutes (here all 12 s of them); the officer is still
    // checking the plate when only seconds are left, and confirms it.
    // (About 5 s before the deadline: time for the key press to reach the unit on a loaded machine.)
    await expectText(page, '#hit-expires', /^Alert expires in 0:0[4-5]$/, 30_000);
    await page.keyboard.press('p');
    await page.waitForFunction(
      () => document.getElementById('confirm-plate')!.getAttribute('aria-pressed') === 'true',
    );
    // That gave them time: 9 s from the confirmation (without it, 0:05 at most).
    await expectText(page, '#hit-expires', /^Alert expires in 0:0[6-9]$/);
    await page.screenshot({ path: path.join(SHOTS, 'console-expires-in.png') });

    // Past the first deadline, and past the unit's next check of it (every 2 s): still theirs.
    const { raised_at: raisedAt } = hitOf(read.id);
    await checkedSince(raisedAt + EXPIRY_MS);
    expect(hitOf(read.id).status).toBe('seen');
    expect(await page.locator('#hit-entry').innerText()).toBe('WRK5150');
    await page.keyboard.press('s');
    await page.waitForFunction(() => !(document.getElementById('verify') as HTMLButtonElement).disabled);
    await page.keyboard.press('v');
    await page.locator('#no-alert').waitFor({ state: 'visible' });
    expect(hitOf(read.id).status).toBe('verified');
    expect(Date.now()).toBeGreaterThan(raisedAt + EXPIRY_MS);
    expect(parts.hits.events(hitOf(read.id).id).map((e) => e.action)).toEqual([
      'raised',
      'seen',
      'confirm-plate',
      'confirm-state',
      'verified',
    ]);
    expect(await page.locator('#missed-banner').isHidden()).toBe(true);
  });

  it('an alert back on screen after a more urgent one was dealt with gets time to be worked', async () => {
    const waiting = await reads.save(makeRead('BCK4040', 'NY'), await images('BCK4040'));
    await page.waitForFunction(() => document.getElementById('hit-entry')?.textContent === 'BCK4040');
    // An AMBER alert takes the screen; the officer deals with it until the first is nearly due.
    await reads.save(makeRead('AMB7070', 'NY'), await images('AMB7070'));
    await page.waitForFunction(() => document.getElementById('hit-entry')?.textContent === 'AMB7070');
    // (5 s before: time to verify it on a loaded machine. Shown again, the first gets 9 s from
    // then, so its new deadline is still some seconds past the first, and past a check of the unit.)
    const { raised_at: raisedAt } = hitOf(waiting.id);
    await page.waitForTimeout(Math.max(0, raisedAt + EXPIRY_MS - 5_000 - Date.now()));
    await confirmAndVerify();

    // The first is back.
    await page.waitForFunction(() => document.getElementById('hit-entry')?.textContent === 'BCK4040');
    // On the smallest in-car screen the countdown and the buttons are all on screen.
    await page.setViewportSize({ width: 800, height: 600 });
    await page.locator('#hit-expires').waitFor({ state: 'visible' });
    for (const id of ['hit-expires', 'confirm-plate', 'reject']) {
      const box = (await page.locator(`#${id}`).boundingBox())!;
      expect(box.y + box.height).toBeLessThanOrEqual(600);
    }
    await page.screenshot({ path: path.join(SHOTS, 'console-expires-in-800.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
    // It stays past its first deadline and the unit's next check of it.
    await checkedSince(raisedAt + EXPIRY_MS);
    expect(hitOf(waiting.id).status).toBe('seen');
    expect(await page.locator('#hit-entry').innerText()).toBe('BCK4040');
    await expectText(page, '#hit-expires', /^Alert expires in 0:0\d$/);
    await page.locator('#reject').click();
    await page.keyboard.press('1'); // misread
    await page.locator('#reject-form button[type="submit"]').click();
    await page.locator('#no-alert').waitFor({ state: 'visible' });
    expect(hitOf(waiting.id).status).toBe('rejected');
    // Shown again is in its record, with the deadline it gave.
    const seen = parts.hits.events(hitOf(waiting.id).id).filter((e) => e.action === 'seen');
    expect(seen.map((e) => e.fromStatus)).toEqual(['raised', 'seen']);
    expect(seen[1]!.details.expiresAt).toBeGreaterThan(raisedAt + EXPIRY_MS);
  });

  it('a hit waiting behind the alert counts down in the side panel, marked urgent in its last minute', async () => {
    // An AMBER alert on screen, held there (its deadline moved out of the way) ...
    const amber = await reads.save(makeRead('AMB9090', 'NY'), await images('AMB9090'));
    await page.waitForFunction(() => document.getElementById('hit-entry')?.textContent === 'AMB9090');
    await expect.poll(() => hitOf(amber.id).status, { timeout: 15_000, interval: 200 }).toBe('seen');
    const due = db.prepare(`UPDATE hits SET expires_at = ? WHERE id = ?`);
    due.run(Date.now() + 10 * 60_000, hitOf(amber.id).id);
    // ... and a stolen vehicle waiting behind it, never shown: 12 s to go, so urgent at once.
    const queued = await reads.save(makeRead('QUE6060', 'NY'), await images('QUE6060'));
    const queuedId = hitOf(queued.id).id;
    const row = page.locator(`#waiting-list li[data-hit-id="${queuedId}"]`);
    /** The queued hit's countdown and its class, read together (the list is redrawn every second). */
    const countdown = () => row.locator('.left').evaluate((el) => [el.textContent, el.className]);
    await expect
      .poll(countdown, { timeout: 15_000, interval: 200 })
      .toEqual([expect.stringMatching(/^⚠ expires in 0:(0[1-9]|1[0-2])$/), 'left urgent']);
    expect(await row.innerText()).toMatch(/^QUE6060\s+NY\s+medium · Stolen vehicle\s+⚠ expires in/);
    await page.screenshot({ path: path.join(SHOTS, 'console-waiting-urgent.png') });
    // It counts down.
    const seconds = async () => Number(/(\d+):(\d\d)$/.exec((await countdown())[0]!)?.[2] ?? 0);
    const first = await seconds();
    await expect.poll(seconds, { timeout: 5_000, interval: 200 }).toBeLessThan(first);

    // Over a minute to go it is not marked; it is once under a minute. (75 s: the page has 15 s to
    // get the new deadline and show it while it is still over a minute.)
    due.run(Date.now() + 75_000, queuedId);
    await reads.save(makeRead('TTT9002', 'NY'), { crop: null, overview: null }); // an update to the console
    await expect
      .poll(countdown, { timeout: 15_000, interval: 200 })
      .toEqual([expect.stringMatching(/^expires in 1:(0\d|1[0-5])$/), 'left']);
    await expect
      .poll(countdown, { timeout: 30_000, interval: 200 })
      .toEqual([expect.stringMatching(/^⚠ expires in 0:5\d$/), 'left urgent']);

    // Expired, it leaves the list for the missed hits, with their tone, as a queued hit always has.
    due.run(Date.now(), queuedId);
    await page.locator('#waiting').waitFor({ state: 'hidden', timeout: 10_000 });
    expect(parts.hits.get(queuedId)!.status).toBe('expired');
    await expectText(
      page,
      '#missed-text',
      /^MISSED: 1 hit expired before verification \(1 never shown\), latest QUE6060/,
    );
    await page.waitForFunction(() => document.body.dataset.lastTone === 'expired');
    expect(await page.locator('#hit-entry').innerText()).toBe('AMB9090');

    // Clean up for what follows: the missed hit acknowledged, the AMBER alert verified.
    await page.locator('#missed-list li', { hasText: 'QUE6060' }).getByText('Acknowledge').click();
    await page.locator('#missed-banner').waitFor({ state: 'hidden' });
    await confirmAndVerify();
    await page.locator('#no-alert').waitFor({ state: 'visible' });
    expect(hitOf(amber.id).status).toBe('verified');
  });

  it('hits expiring together sound one short tone, not with low tones muted, and not again after a reload', async () => {
    // A partner's console beside this one, with low tones muted.
    const quiet = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await quiet.goto(parts.console.url);
      await signIn(quiet, 'ofc.diaz', 'correct horse 42');
      await quiet.locator('#mute').click();
      await quiet.locator('#no-alert').waitFor({ state: 'visible' });
      const [before] = await tones(page);

      // One read, two lists: two alerts arrive together (one tone), and nobody answers them.
      const read = await reads.save(makeRead('TWO2222', 'NY'), await images('TWO2222'));
      await page.waitForFunction(() => document.getElementById('hit-entry')?.textContent === 'TWO2222');
      await page.waitForFunction(() => document.body.dataset.lastTone === 'medium');
      await quiet.waitForFunction(() => document.body.dataset.lastTone === 'medium');
      const both = () =>
        (db.prepare(`SELECT status FROM hits WHERE read_id = ?`).all(read.id) as { status: string }[]).map(
          (h) => h.status,
        );
      expect(both()).toHaveLength(2);
      await expect.poll(both, { timeout: 30_000, interval: 250 }).toEqual(['expired', 'expired']);

      // They expire at one check of the unit: the banner comes with one short falling tone.
      await expectText(
        page,
        '#missed-text',
        /^MISSED: 2 hits expired before verification \(1 never shown\), latest TWO2222/,
      );
      await page.waitForFunction(() => document.body.dataset.lastTone === 'expired');
      await page.waitForTimeout(1000); // longer than tones are gathered for
      expect(await tones(page)).toEqual([before + 2, 'expired']); // the alerts' tone, then this one
      // Muted with the low tones: the banner says it, silently.
      await expectText(quiet, '#missed-text', /^MISSED: 2 hits/);
      await quiet.waitForTimeout(1000);
      expect(await tones(quiet)).toEqual([1, 'medium']);

      // A reload shows the same missed hits without sounding them again.
      await page.reload();
      await expectText(
        page,
        '#missed-text',
        /^MISSED: 2 hits expired before verification \(1 never shown\), latest TWO2222/,
      );
      await page.waitForTimeout(1000);
      expect(await tones(page)).toEqual([0, null]);
    } finally {
      await quiet.close();
    }
  });

  it('the banner counts every missed hit never shown, and a new read leaves the Acknowledge buttons alone', async () => {
    // A clean start: what earlier tests left missed is acknowledged.
    for (const h of parts.hits.missed(1000).hits) parts.hits.acknowledgeExpired(h.id, 'ofc.diaz');
    // The console closed while 25 hits come and go: the first 8 nobody was shown, the other 17
    // an officer had on screen (elsewhere). More than the console lists (20) expire unanswered.
    await page.goto('about:blank');
    // Any two differ in at least 4 places (a Reed-Solomon code over 5 letters): a read of one
    // is no near match for another, so each read raises one hit.
    const plates = Array.from({ length: 25 }, (_, i) => {
      const [x, y] = [Math.floor(i / 5), i % 5];
      return [x, y, x + y, x + 2 * y, x + 3 * y].map((v) => 'ACEHK'[v % 5]).join('') + '77';
    });
    writeFileSync(
      path.join(dir, 'mis.csv'),
      ['plate,state,list_type,reference', ...plates.map((p) => `${p},NY,stolen-plate,NCIC ${p}`)].join(
        '\r\n',
      ),
    );
    await importHotlist(parts.store, {
      file: path.join(dir, 'mis.csv'),
      listId: 'mis',
      actor: 'admin.ray',
      audit: auditLog,
    });
    const ids: string[] = [];
    for (const plate of plates) {
      const read = await reads.save(makeRead(plate, 'NY'), { crop: null, overview: null });
      const raised = db.prepare(`SELECT id, status FROM hits WHERE read_id = ?`).all(read.id);
      expect(raised).toEqual([{ id: expect.any(String), status: 'raised' }]);
      ids.push(hitOf(read.id).id);
    }
    for (const id of ids.slice(8)) parts.hits.markSeen(id, 'ofc.diaz');
    // The never-shown ones expire first: the console lists the latest expiries, so only 3 of them.
    const expire = async (batch: string[]) => {
      const due = db.prepare(`UPDATE hits SET expires_at = ? WHERE id = ?`);
      for (const id of batch) due.run(Date.now(), id);
      await expect
        .poll(() => batch.filter((id) => parts.hits.get(id)!.status !== 'expired'), {
          timeout: 10_000,
          interval: 100,
        })
        .toEqual([]);
    };
    await expire(ids.slice(0, 8));
    await expire(ids.slice(8));

    await page.goto(parts.console.url);
    await expectText(
      page,
      '#missed-text',
      new RegExp(
        `^MISSED: 25 hits expired before verification \\(8 never shown\\), latest ${plates[24]} stolen plate`,
      ),
    );
    expect(await page.locator('#missed-list li').count()).toBe(20);
    expect(await page.locator('#missed-list li', { hasText: 'NEVER SHOWN' }).count()).toBe(3);
    expect(await page.locator('#missed-more').innerText()).toBe('and 5 more (acknowledge these to see them)');

    // Review puts the officer on the first Acknowledge; a read arriving (the car drives on) does
    // not swap that button for another under their finger, nor take the focus from it.
    await page.locator('#missed-review').click();
    const first = await page.locator('#missed-list button').first().elementHandle();
    expect(await first!.evaluate((b) => document.activeElement === b)).toBe(true);
    await reads.save(makeRead('TTT9001', 'NY'), { crop: null, overview: null });
    await page.waitForFunction(() => document.getElementById('feed')!.textContent!.includes('TTT9001'));
    expect(await first!.evaluate((b) => [b.isConnected, document.activeElement === b])).toEqual([true, true]);
    // It still works: Enter acknowledges the hit it is for, and the banner counts down.
    await page.keyboard.press('Enter');
    await expectText(page, '#missed-text', /^MISSED: 24 hits expired before verification \(8 never shown\)/);
    expect(parts.hits.get(ids[24]!)!.expiryAckedBy).toBe('ofc.diaz');
  });
});
