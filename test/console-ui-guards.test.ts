import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { openDatabase, type Db } from '../src/store/database.js';
import { allMigrations } from '../src/store/all-migrations.js';
import { ReadStore } from '../src/store/reads.js';
import { silentLogger } from '../src/log.js';
import { buildHotlist, type HotlistParts } from '../src/hotlist/services.js';
import { importHotlist } from '../src/hotlist/import.js';
import { addManualEntry } from '../src/hotlist/manual.js';
import { REASON_MAX_CHARS } from '../src/hotlist/types.js';
import { defaultConsoleConfig, defaultHotlistsConfig } from '../src/hotlist/config.js';
import { AuditLog } from '../src/policy/audit.js';
import { UserDirectory } from '../src/policy/users.js';
import { policySchema } from '../src/policy/config.js';
import { images, makeRead } from './helpers/hotlist-fixtures.js';
import { expectText, launchChromium, signIn } from './helpers/chromium.js';
import { consoleCall, consoleSignIn } from './helpers/console-http.js';
import { tempDir } from './helpers/tmp.js';

// What stands between an officer's key press and the alert it lands on, and what the console
// serves and shows around it: the console server over HTTP on 127.0.0.1, and the page in Chromium.

const dir = tempDir('console-guards-');
const OLLY = 'olly secret 42';
const OONA = 'oona secret 42';
let db: Db;
let reads: ReadStore;
let auditLog: AuditLog;
let parts: HotlistParts;
let browser: Browser;
let page: Page;
let url: string;

const hitOf = (readId: string) =>
  db.prepare(`SELECT * FROM hits WHERE read_id = ?`).get(readId) as {
    id: string;
    status: string;
    plate_confirmed_by: string | null;
    state_confirmed_by: string | null;
  };
const save = async (plate: string) => reads.save(makeRead(plate, 'NY'), await images(plate));
const enabled = (id: string) =>
  page.waitForFunction((b) => !(document.getElementById(b) as HTMLButtonElement).disabled, id);
const entryShown = (plate: string) =>
  page.waitForFunction((p) => document.getElementById('hit-entry')?.textContent === p, plate);
/** Each test on the page starts with no alert: the open ones are rejected as another console would. */
async function clearAlerts(): Promise<void> {
  for (const h of parts.hits.open()) parts.hits.reject(h.id, 'misread', null, 'oona');
  await page.locator('#no-alert').waitFor({ state: 'visible' });
}

beforeAll(async () => {
  db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
  reads = new ReadStore(db, dir);
  auditLog = new AuditLog(db);
  const users = new UserDirectory(db, { ...policySchema.parse({}), passwordCostLog2: 12 }, auditLog);
  users.bootstrapAdmin('admin.ray', 'admin secret 1', '2026-01-05');
  const admin = users.signIn('admin.ray', 'admin secret 1');
  users.addUser(admin, { name: 'olly', role: 'officer', secret: OLLY, trained: '2026-02-01' });
  users.addUser(admin, { name: 'oona', role: 'officer', secret: OONA, trained: '2026-02-01' });
  parts = buildHotlist(
    {
      db,
      reads,
      log: silentLogger(),
      config: {
        // A 90-minute look-back window (the watch form says so), and lists may be 100 h old.
        hotlists: { ...defaultHotlistsConfig(), recheckWindowMinutes: 90, maxAgeHours: 100 },
        console: { ...defaultConsoleConfig(), port: 0 },
      },
    },
    // One clock for wall and deadlines: a test expires a hit by its stored deadline.
    { audit: auditLog, users, now: () => Date.now() },
  );
  writeFileSync(
    path.join(dir, 'ncic.csv'),
    [
      'plate,state,list_type,reference,reason',
      'KXT4821,NY,stolen-vehicle,NCIC V-4821,Stolen overnight',
      'REJ9001,NY,stolen-plate,NCIC P-9001,Plate reported stolen',
      'EXP0001,NY,stolen-plate,NCIC P-0001,Plate reported stolen',
      'FST1001,NY,stolen-plate,NCIC P-1001,Plate reported stolen',
      'LOW1234,NY,suspended-registration,DMV R-5521,Registration suspended',
      'LIV6060,NY,stolen-vehicle,NCIC V-6060,Stolen from a car park',
      'AMB3307,NY,amber-alert,AMBER NY-2026-114,Child abduction',
      'HND7070,NY,stolen-vehicle,NCIC V-7070,Stolen from a driveway',
      'SEE5050,NY,stolen-vehicle,NCIC V-5050,Stolen from a car park',
      'PIC4040,NY,stolen-vehicle,NCIC V-4040,Stolen at a fuel station',
      'RJK5151,NY,suspended-registration,DMV R-5151,Registration suspended',
      'AMB4408,NY,amber-alert,AMBER NY-2026-120,Child abduction',
    ].join('\r\n'),
  );
  // Three days old (under this unit's 100 h): its age reads "3 days" all through these tests.
  await importHotlist(parts.store, {
    file: path.join(dir, 'ncic.csv'),
    listId: 'ncic',
    actor: 'admin.ray',
    audit: auditLog,
    generatedAt: Date.now() - 72 * 3_600_000,
  });
  for (const s of parts.services) await s.start();
  url = parts.console.url;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // The page's clock is Playwright's, so that one test can stand it still (it runs at the real
  // rate otherwise): on a loaded machine a key could arrive after the hold it is meant to meet.
  await page.clock.install();
});

afterAll(async () => {
  await browser?.close();
  for (const s of [...(parts?.services ?? [])].reverse()) await s.stop();
  db?.close();
});

describe('the console API', () => {
  it('answers a wrong method with 405 and the one it takes, signed in or not', async () => {
    const token = await consoleSignIn(url, 'olly', OLLY);
    const id = '00000000-0000-4000-8000-000000000000';
    const tries: [string, string, string][] = [
      ['HEAD', '/', 'GET'],
      ['GET', '/api/signin', 'POST'],
      ['GET', '/api/signout', 'POST'],
      ['PUT', '/api/watch', 'POST'],
      ['DELETE', `/api/hits/${id}/verify`, 'POST'],
      ['POST', `/api/hits/${id}/crop`, 'GET'],
    ];
    for (const cookie of [undefined, token]) {
      for (const [method, pathname, allow] of tries) {
        const res = await fetch(new URL(pathname, url), {
          method,
          headers: cookie ? { cookie: `lpr_console=${cookie}` } : {},
        });
        expect([method, pathname, res.status, res.headers.get('allow')]).toEqual([
          method,
          pathname,
          405,
          allow,
        ]);
      }
    }
    // Still signed in: GET /api/signout did not sign anyone out.
    expect((await consoleCall(url, token, 'GET', '/api/state')).status).toBe(200);
  });

  it('refuses bodies with keys the API does not take, recording nothing', async () => {
    const token = await consoleSignIn(url, 'olly', OLLY);
    const read = await save('KXT4821');
    const { id } = hitOf(read.id);
    for (const action of ['seen', 'verify', 'acknowledge']) {
      const answer = await consoleCall(url, token, 'POST', `/api/hits/${id}/${action}`, { force: true });
      expect([action, answer.status, answer.body.error]).toEqual([
        action,
        400,
        'body: Unrecognized key: "force"',
      ]);
    }
    expect(parts.hits.events(id).map((e) => e.action)).toEqual(['raised']);
  });

  it('serves the pictures of open hits only: a past hit is looked at through the logged query path', async () => {
    const token = await consoleSignIn(url, 'olly', OLLY);
    const picture = (id: string, kind: string) => consoleCall(url, token, 'GET', `/api/hits/${id}/${kind}`);
    // The KXT4821 hit from before, open: the alert being worked. Then verified, and a repeat of
    // the plate suppressed as a duplicate of it.
    const { id: verified } = db.prepare(`SELECT id FROM hits WHERE entry_key LIKE '%KXT4821%'`).get() as {
      id: string;
    };
    expect((await picture(verified, 'crop')).status).toBe(200);
    parts.hits.confirm(verified, 'plate', 'olly');
    parts.hits.confirm(verified, 'state', 'olly');
    parts.hits.verify(verified, 'olly');
    const suppressed = hitOf((await save('KXT4821')).id).id;
    const rejected = hitOf((await save('REJ9001')).id).id;
    parts.hits.reject(rejected, 'misread', null, 'olly');
    const expired = hitOf((await save('EXP0001')).id).id;
    db.prepare(`UPDATE hits SET expires_at = ? WHERE id = ?`).run(Date.now() - 1, expired);
    parts.hits.expireDue();

    const auditBefore = auditLog.list({ limit: 10_000 }).length;
    for (const [id, status] of [
      [verified, 'verified'],
      [suppressed, 'suppressed'],
      [rejected, 'rejected'],
      [expired, 'expired'],
    ] as const) {
      expect(parts.hits.get(id)!.status).toBe(status);
      for (const kind of ['crop', 'overview']) {
        const answer = await picture(id, kind);
        expect(answer.status).toBe(409);
        expect(answer.body.error).toBe(
          `hit ${id} is ${status}: its pictures are shown only while it is open. Looking at a past hit's pictures is a search of stored reads: make it through the logged query path (lpr-edge query, with a purpose and a case number)`,
        );
      }
    }
    // Nothing was served, so nothing went unlogged.
    expect(auditLog.list({ limit: 10_000 }).length).toBe(auditBefore);
  });

  it('refuses a confirmation less than a second after the pictures were sent to the session', async () => {
    const token = await consoleSignIn(url, 'olly', OLLY);
    const { id } = hitOf((await save('FST1001')).id);
    for (const kind of ['crop', 'overview'])
      expect((await consoleCall(url, token, 'GET', `/api/hits/${id}/${kind}`)).status).toBe(200);
    const early = await consoleCall(url, token, 'POST', `/api/hits/${id}/confirm`, { what: 'plate' });
    expect(early).toEqual({
      status: 409,
      body: {
        error:
          "this alert's pictures reached this console less than a second ago, so nothing was confirmed: look at its plate and state (it may have just replaced the alert you were working), then confirm again",
      },
    });
    expect(parts.hits.get(id)!.plateConfirmedBy).toBeNull();
    await new Promise((r) => setTimeout(r, 1_050));
    expect((await consoleCall(url, token, 'POST', `/api/hits/${id}/confirm`, { what: 'plate' })).status).toBe(
      200,
    );
    parts.hits.reject(id, 'misread', null, 'olly');
  });
});

describe('the console page in Chromium', () => {
  beforeAll(async () => {
    await page.goto(url);
    await signIn(page, 'olly', OLLY);
  });
  it('a key meant for the alert being worked does not confirm a more urgent one that just replaced it', async () => {
    await clearAlerts();
    // What the alert's live region says, each time it changes.
    await page.evaluate(() => {
      const w = window as unknown as { said: string[] };
      w.said = [];
      const region = document.getElementById('alert-announce');
      if (!region) return; // none: nothing is said
      new MutationObserver(() => w.said.push(region.textContent ?? '')).observe(region, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    const low = await save('LOW1234');
    await entryShown('LOW1234');
    await enabled('confirm-plate');
    await page.keyboard.press('p');
    await page.waitForFunction(
      () => document.getElementById('confirm-plate')!.getAttribute('aria-pressed') === 'true',
    );

    // The officer looks from the crop to the plate's state; an AMBER alert takes the screen just
    // before they press S, and a click on "State matches" follows. The page's clock stands still
    // from just before it came (set a little ahead: it cannot be set back), so as far as the page
    // knows both arrive at once.
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1_000);
    let amber;
    try {
      amber = await save('AMB3307');
      await entryShown('AMB3307');
      await page.keyboard.press('s');
      await page.locator('#confirm-state').click({ force: true });
      await page.waitForFunction(() =>
        [...document.querySelectorAll<HTMLImageElement>('#hit-crop, #hit-overview')].every((i) => i.complete),
      );
      await page.waitForTimeout(300); // time for a request the key or click might have made
      expect([hitOf(amber.id).state_confirmed_by, hitOf(low.id).state_confirmed_by]).toEqual([null, null]);
      expect(await page.locator('#hit-hold').innerText()).toBe(
        'New alert: look at it first (P, S, V and R wait a moment)',
      );
    } finally {
      // A moment later (1.5 s by the page's clock, running again) the keys work again, on the
      // alert now on screen.
      await page.clock.resume();
    }
    await enabled('confirm-state');
    expect(await page.locator('#hit-hold').isHidden()).toBe(true);
    await page.keyboard.press('s');
    await page.waitForFunction(
      () => document.getElementById('confirm-state')!.getAttribute('aria-pressed') === 'true',
    );
    expect(hitOf(amber.id).state_confirmed_by).toBe('olly');
    await enabled('confirm-plate');
    await page.keyboard.press('p');
    await enabled('verify');
    await page.keyboard.press('v');
    await entryShown('LOW1234');
    expect(hitOf(amber.id).status).toBe('verified');
    // Each alert coming on screen is said once, in a line; the first is back, not new.
    expect(await page.evaluate(() => (window as unknown as { said: string[] }).said)).toEqual([
      'New alert: low priority, Suspended/revoked registration, plate LOW1234 NY',
      'New alert: high priority, AMBER alert, plate AMB3307 NY',
      'Alert back on screen: low priority, Suspended/revoked registration, plate LOW1234 NY',
    ]);
  });

  it('R is held too: a reject meant for the alert being worked does not open on a more urgent one that just replaced it', async () => {
    await clearAlerts();
    const low = await save('RJK5151');
    await entryShown('RJK5151');
    await enabled('confirm-plate'); // the hold is over, and the pictures are on screen
    expect(await page.locator('#reject').isDisabled()).toBe(false);

    // The officer decides the low alert is a misread and reaches for R (or the Reject button) just
    // as an AMBER alert takes the screen; the page's clock stands still, as in the test above.
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1_000);
    let amber;
    try {
      amber = await save('AMB4408');
      await entryShown('AMB4408');
      await page.keyboard.press('r');
      await page.locator('#reject').click({ force: true });
      await page.keyboard.press('1'); // the first reason, had a form opened
      await page.waitForTimeout(300); // time for a form to open, or a request to be made
      expect(await page.locator('#reject-form').isHidden()).toBe(true);
      expect(await page.locator('#reject').isDisabled()).toBe(true);
      expect(await page.locator('#hit-hold').innerText()).toBe(
        'New alert: look at it first (P, S, V and R wait a moment)',
      );
      expect([hitOf(amber.id).status, hitOf(low.id).status]).not.toContain('rejected');
    } finally {
      await page.clock.resume();
    }
    // A moment later R works again, on the alert now on screen.
    await enabled('reject');
    await page.keyboard.press('r');
    await page.locator('#reject-form').waitFor({ state: 'visible' });
    expect(await page.locator('#reject-form').getAttribute('data-hit-id')).toBe(hitOf(amber.id).id);
    await page.keyboard.press('Escape');
    await page.locator('#reject-form').waitFor({ state: 'hidden' });
    expect(hitOf(amber.id).status).not.toBe('rejected');
  });

  it("a watch alert's list line is not superseded by another officer's watch, only by its own entry being renewed", async () => {
    await clearAlerts();
    const watch = (plate: string, reason: string) =>
      addManualEntry(parts.store, auditLog, 'oona', {
        plate,
        state: 'NY',
        reason,
        expiresAt: Date.now() + 12 * 3_600_000,
        priority: 2,
      });
    watch('WCH3131', 'Seen leaving a burglary');
    const read = await save('WCH3131');
    await entryShown('WCH3131');
    const raisedOn = parts.hits.get(hitOf(read.id).id)!.listVersion;
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

    // Another plate watched for: the local list takes a new version, the alert's entry is as it was.
    watch('OTH2020', 'Driver wanted for questioning');
    parts.matching.tick();
    await save('ZZZ0002'); // any read pushes the state
    await page.waitForFunction(() => document.querySelector('#feed li .fp')?.textContent === 'ZZZ0002');
    expect(parts.store.list('local')!.version).not.toBe(raisedOn);
    const line = (tail = '') => new RegExp(`^local v${escape(raisedOn)} · \\d+ min old${tail}$`);
    expect(await page.locator('#hit-list').innerText()).toMatch(line());
    expect(await page.locator('#hit-list').getAttribute('class')).not.toBe('stale'); // never stale
    expect(hitOf(read.id).status).toMatch(/^(raised|seen)$/);

    // Its own entry renewed (a colleague adds a reason): that the line says.
    addManualEntry(parts.store, auditLog, 'olly', {
      plate: 'WCH3131',
      state: 'NY',
      reason: 'Same car in a hit and run',
      expiresAt: Date.now() + 12 * 3_600_000,
      priority: 2,
    });
    await save('ZZZ0003');
    await expectText(page, '#hit-list', /entry renewed since \(v/);
    expect(await page.locator('#hit-list').innerText()).toMatch(
      line(` · entry renewed since \\(v${escape(parts.store.list('local')!.version)}\\)`),
    );
    expect(hitOf(read.id).status).toMatch(/^(raised|seen)$/);
  });

  it('a list update matching several recent reads of one car alerts on the newest, listing the earlier sightings', async () => {
    await clearAlerts();
    const imgs = await images('SGT8080');
    const earlier = await reads.save(
      makeRead('SGT8080', 'NY', { ts: Date.now() - 120_000, cameraId: 'rear' }),
      imgs,
    );
    const newest = await reads.save(makeRead('SGT8080', 'NY', { ts: Date.now() - 60_000 }), imgs);
    writeFileSync(
      path.join(dir, 'ncic-delta.csv'),
      'plate,state,list_type,action\r\nSGT8080,NY,stolen-vehicle,add\r\n',
    );
    await importHotlist(parts.store, {
      file: path.join(dir, 'ncic-delta.csv'),
      listId: 'ncic',
      actor: 'admin.ray',
      audit: auditLog,
      mode: 'delta',
    });
    parts.matching.tick();
    await entryShown('SGT8080');
    expect(hitOf(newest.id).status).toMatch(/^(raised|seen)$/);
    expect(hitOf(earlier.id).status).toBe('suppressed');
    // Times as the page writes them (its fmtTime: the browser's locale).
    const fmt = (ts: number) =>
      page.evaluate((t) => (window as unknown as { fmtTime: (ms: number) => string }).fmtTime(t), ts);
    await expectText(page, '#hit-time', new RegExp(`^${await fmt(newest.ts)} · camera front$`));
    expect(await page.locator('#hit-sightings-label').isVisible()).toBe(true);
    expect(await page.locator('#hit-sightings').innerText()).toBe(
      `${await fmt(earlier.ts)} · camera rear at 40.71278, -74.00597`,
    );
  });

  it('the car passing now replaces that alert, and its Also read line keeps every earlier sighting', async () => {
    await clearAlerts();
    const imgs = await images('SUP9090');
    const earlier = await reads.save(
      makeRead('SUP9090', 'NY', { ts: Date.now() - 120_000, cameraId: 'rear' }),
      imgs,
    );
    const newest = await reads.save(makeRead('SUP9090', 'NY', { ts: Date.now() - 60_000 }), imgs);
    writeFileSync(
      path.join(dir, 'ncic-delta-sup.csv'),
      'plate,state,list_type,action\r\nSUP9090,NY,stolen-vehicle,add\r\n',
    );
    await importHotlist(parts.store, {
      file: path.join(dir, 'ncic-delta-sup.csv'),
      listId: 'ncic',
      actor: 'admin.ray',
      audit: auditLog,
      mode: 'delta',
    });
    parts.matching.tick();
    await entryShown('SUP9090');
    const fmt = (ts: number) =>
      page.evaluate((t) => (window as unknown as { fmtTime: (ms: number) => string }).fmtTime(t), ts);
    await expectText(page, '#hit-time', new RegExp(`^${await fmt(newest.ts)} · camera front$`));

    // The car in front of the camera now: its alert takes the place of the retroactive one.
    const live = await reads.save(makeRead('SUP9090', 'NY', { ts: Date.now(), cameraId: 'rear' }), imgs);
    await expectText(page, '#hit-time', new RegExp(`^${await fmt(live.ts)} · camera rear$`));
    expect(hitOf(newest.id).status).toBe('superseded');
    // Where the car was seen before stays on the screen: the replaced alert's read, then the
    // sighting listed under it, latest first.
    expect(await page.locator('#hit-sightings-label').isVisible()).toBe(true);
    expect(await page.locator('#hit-sightings').innerText()).toBe(
      `${await fmt(newest.ts)} · camera front at 40.71278, -74.00597; ` +
        `${await fmt(earlier.ts)} · camera rear at 40.71278, -74.00597`,
    );
  });

  it('updates that change nothing about the alert leave it untouched: a screen reader has nothing to read again', async () => {
    await clearAlerts();
    await save('LIV6060');
    await entryShown('LIV6060');
    await enabled('confirm-plate');
    // The only live region in the alert is its one-line announcement.
    expect(
      await page.evaluate(() =>
        [...document.querySelectorAll('#alert [aria-live], #alert[aria-live]')].map((e) => e.id),
      ),
    ).toEqual(['alert-announce']);
    await page.evaluate(() => {
      const w = window as unknown as { changed: string[] };
      w.changed = [];
      new MutationObserver((ms) => {
        for (const m of ms)
          w.changed.push((m.target as Element).id || m.target.parentElement?.id || m.target.nodeName);
      }).observe(document.getElementById('alert')!, { childList: true, characterData: true, subtree: true });
    });
    // Passing cars: each read made pushes the console's state again.
    for (const plate of ['AAA1111', 'BBB2222', 'CCC3333']) {
      await save(plate);
      await page.waitForFunction((p) => document.querySelector('#feed li .fp')?.textContent === p, plate);
    }
    expect(await page.evaluate(() => (window as unknown as { changed: string[] }).changed)).toEqual([]);
  });

  it('an alert that arrives while the page is in the background is marked seen, and held, only once it is in front', async () => {
    await clearAlerts();
    // Headless Chromium always reports its page visible: the browser's signal is stood in for here
    // (the property the page reads, and the event it listens to).
    await page.evaluate(() => {
      let visibility = 'hidden';
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility });
      (window as unknown as { setVisibility: (v: string) => void }).setVisibility = (v) => {
        visibility = v;
        document.dispatchEvent(new Event('visibilitychange'));
      };
    });
    const read = await save('SEE5050');
    await entryShown('SEE5050');
    await page.waitForTimeout(1_000);
    expect(hitOf(read.id).status).toBe('raised');
    expect(parts.hits.events(hitOf(read.id).id).map((e) => e.action)).toEqual(['raised']);

    // In front of the officer: held from now, though its pictures arrived a second ago.
    const held = await page.evaluate(() => {
      (window as unknown as { setVisibility: (v: string) => void }).setVisibility('visible');
      return [
        document.getElementById('hit-hold')!.hidden,
        (document.getElementById('confirm-plate') as HTMLButtonElement).disabled,
      ];
    });
    expect(held).toEqual([false, true]);
    await expect.poll(() => hitOf(read.id).status, { timeout: 5_000 }).toBe('seen');
    await page.evaluate(() => delete (document as unknown as { visibilityState?: string }).visibilityState);
  });

  it("a picture that cannot be shown says why, in the unit's words, and offers Reject", async () => {
    // The crop request is held until its file has gone from the image store (a full disk, a
    // retention run): the page gets the unit's real answer.
    await clearAlerts();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/hits/*/crop*', async (route) => {
      await held;
      await route.continue();
    });
    try {
      const read = await save('PIC4040');
      await entryShown('PIC4040');
      rmSync(reads.imagePath(reads.get(read.id)!.cropPath!));
      release();
      await expectText(page, '#hit-error-text', /crop/, 10_000);
      expect(await page.locator('#hit-error-text').innerText()).toBe(
        'The plate crop could not be shown: crop image is missing. Nothing can be confirmed without it.',
      );
      await enabled('reject');
      expect(await page.locator('#confirm-plate').isDisabled()).toBe(true);
      expect(await page.locator('#confirm-state').isDisabled()).toBe(true);
      await page.locator('#hit-error-reject').click();
      await page.locator('#reject-reasons input[value="plate not visible"]').check();
      await page.locator('#reject-form button[type=submit]').click();
      await page.locator('#no-alert').waitFor({ state: 'visible' });
      expect(hitOf(read.id).status).toBe('rejected');
    } finally {
      await page.unroute('**/api/hits/*/crop*');
    }
  });

  it('the watch form names the look-back window the unit is configured with', async () => {
    await page.keyboard.press('w');
    await page.locator('#watch-form').waitFor({ state: 'visible' });
    expect(await page.locator('#watch-lookback-text').innerText()).toBe(
      'Also search the reads of the last 90 minutes for it',
    );
    await page.keyboard.press('Escape');
    await page.locator('#watch-form').waitFor({ state: 'hidden' });
  });

  it('a watch with a reason as long as allowed takes three lines of the side panel, the whole reason in its tooltip', async () => {
    const reason = 'BOLO: armed, approach with caution; '.repeat(40).slice(0, REASON_MAX_CHARS);
    addManualEntry(parts.store, auditLog, 'oona', {
      plate: 'LNG7777',
      state: 'NY',
      reason,
      expiresAt: Date.now() + 3_600_000,
      priority: 2,
    });
    await save('ZZZ0004'); // any read pushes the state
    const details = page.locator('#watching li', { hasText: 'LNG7777' }).locator('.fm');
    await details.waitFor();
    expect(await details.getAttribute('title')).toContain(reason);
    // Not a column of some fifty lines pushing the rest of the watch list out of sight.
    const lineHeight = await details.evaluate((e) => parseFloat(getComputedStyle(e).lineHeight));
    expect(lineHeight).toBeGreaterThan(0);
    expect((await details.boundingBox())!.height).toBeLessThanOrEqual(3 * lineHeight + 1);
  });

  it("an alert's list line gives the age of the version it was raised on, and says when that was superseded", async () => {
    await clearAlerts();
    writeFileSync(
      path.join(dir, 'dmv-old.csv'),
      'plate,state,list_type\r\nOLD7777,NY,suspended-registration\r\n',
    );
    await importHotlist(parts.store, {
      file: path.join(dir, 'dmv-old.csv'),
      listId: 'dmv',
      actor: 'admin.ray',
      audit: auditLog,
      version: 'old',
      generatedAt: Date.now() - 130 * 3_600_000, // past this unit's 100 hours
    });
    parts.matching.tick();
    await save('OLD7777');
    await entryShown('OLD7777');
    await expectText(page, '#hit-list', /^dmv vold · 5 days old$/);
    // A fresh version of the list arrives while the alert is on screen, its entry still on it.
    writeFileSync(
      path.join(dir, 'dmv-new.csv'),
      'plate,state,list_type\r\nOLD7777,NY,suspended-registration\r\nNEW8888,NY,suspended-registration\r\n',
    );
    await importHotlist(parts.store, {
      file: path.join(dir, 'dmv-new.csv'),
      listId: 'dmv',
      actor: 'admin.ray',
      audit: auditLog,
      mode: 'replace',
      version: 'new',
    });
    parts.matching.tick();
    await save('ZZZ0001'); // any read pushes the state
    await expectText(page, '#hit-list', /superseded/);
    expect(await page.locator('#hit-list').innerText()).toBe('dmv vold · 5 days old · superseded by vnew');
    expect(await page.locator('#hit-list').getAttribute('class')).toBe('stale');
    // Then one without it: the unit withdraws the alert, and the page says so and why.
    writeFileSync(
      path.join(dir, 'dmv-newer.csv'),
      'plate,state,list_type\r\nNEW8888,NY,suspended-registration\r\n',
    );
    await importHotlist(parts.store, {
      file: path.join(dir, 'dmv-newer.csv'),
      listId: 'dmv',
      actor: 'admin.ray',
      audit: auditLog,
      mode: 'replace',
      version: 'newer',
    });
    await page.locator('#withdrawn-banner').waitFor({ state: 'visible', timeout: 20_000 });
    await expectText(
      page,
      '#withdrawn-banner',
      /^ALERT WITHDRAWN: OLD7777 .*removed.*No stop on this alert\.$/,
    );
    await expectText(
      page,
      '#withdrawn-list',
      /OLD7777[\s\S]*WITHDRAWN .*\d\d:\d\d:\d\d( [AP]M)?: entry OLD7777 NY \(suspended-registration\) was removed from list dmv in version newer/,
    );
    await page.locator('#no-alert').waitFor({ state: 'visible' });
  });

  it("hand-over: the next officer sees nothing of the last one's alert, name or confirmations before their own first update", async () => {
    await clearAlerts();
    const read = await save('HND7070');
    await entryShown('HND7070');
    for (const [key, button] of [
      ['p', 'confirm-plate'],
      ['s', 'confirm-state'],
    ]) {
      await enabled(button!);
      await page.keyboard.press(key!);
    }
    await enabled('verify');
    await page.locator('#signout').click();
    await page.locator('#signin').waitFor({ state: 'visible' });
    // A slow in-car link: the next session's event stream answers only once the checks below are made.
    let release!: () => void;
    const slowLink = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/events', async (route) => {
      await slowLink;
      await route.continue();
    });
    try {
      await signIn(page, 'oona', OONA);
      const screen = () =>
        page.evaluate(() => ({
          user: document.getElementById('user')!.textContent,
          alert: !document.getElementById('hit')!.hidden,
          loading: document.getElementById('loading')?.hidden === false,
          pressed: ['confirm-plate', 'confirm-state'].map((id) =>
            document.getElementById(id)!.getAttribute('aria-pressed'),
          ),
          verify: !(document.getElementById('verify') as HTMLButtonElement).disabled,
        }));
      expect(await screen()).toEqual({
        user: '',
        alert: false,
        loading: true,
        pressed: ['false', 'false'],
        verify: false,
      });
      await page.keyboard.press('v');
      await page.waitForTimeout(200);
      expect(hitOf(read.id).status).toBe('seen');
      release();
      // Oona's own view: her name, the alert, nothing of it confirmed by her.
      await expectText(page, '#user', /^oona \(officer\)$/, 10_000);
      await entryShown('HND7070');
      expect(await screen()).toMatchObject({
        alert: true,
        loading: false,
        pressed: ['false', 'false'],
        verify: false,
      });
    } finally {
      await page.unroute('**/api/events');
    }
  });
});
