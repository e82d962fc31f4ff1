import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
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
import { launchChromium, signIn } from './helpers/chromium.js';
import { tempDir } from './helpers/tmp.js';

// The console as it is used in a car: worked from the keyboard while reads keep arriving, on a
// computer whose wall clock is stepped under it. The console server over HTTP on 127.0.0.1, and
// the page in Chromium.

const dir = tempDir('console-in-use-');
const OLLY = 'olly secret 42';
let db: Db;
let reads: ReadStore;
let auditLog: AuditLog;
let parts: HotlistParts;
let browser: Browser;
let page: Page;
let url: string;

const hitOf = (readId: string) =>
  db.prepare(`SELECT * FROM hits WHERE read_id = ?`).get(readId) as { id: string; status: string };
const entryShown = (plate: string) =>
  page.waitForFunction((p) => document.getElementById('hit-entry')?.textContent === p, plate);
const enabled = (id: string, timeout = 10_000) =>
  page.waitForFunction((b) => !(document.getElementById(b) as HTMLButtonElement).disabled, id, { timeout });
async function clearAlerts(): Promise<void> {
  for (const h of parts.hits.open()) parts.hits.reject(h.id, 'misread', null, 'olly');
  await page.locator('#no-alert').waitFor({ state: 'visible' });
}
const save = async (plate: string, state: string | null = 'NY') =>
  reads.save(makeRead(plate, state), await images(plate));

beforeAll(async () => {
  db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
  reads = new ReadStore(db, dir);
  auditLog = new AuditLog(db);
  const users = new UserDirectory(db, { ...policySchema.parse({}), passwordCostLog2: 12 }, auditLog);
  users.bootstrapAdmin('admin.ray', 'admin secret 1', '2026-01-05');
  const admin = users.signIn('admin.ray', 'admin secret 1');
  users.addUser(admin, { name: 'olly', role: 'officer', secret: OLLY, trained: '2026-02-01' });
  parts = buildHotlist(
    {
      db,
      reads,
      log: silentLogger(),
      config: { hotlists: defaultHotlistsConfig(), console: { ...defaultConsoleConfig(), port: 0 } },
    },
    { audit: auditLog, users, now: () => Date.now() },
  );
  writeFileSync(
    path.join(dir, 'ncic.csv'),
    [
      'plate,state,list_type,reference,reason',
      'KXT4821,NY,stolen-vehicle,NCIC V-4821,Stolen overnight',
      'WAI5555,NY,stolen-vehicle,NCIC V-5555,Stolen from a car park',
      'STP2020,NY,stolen-vehicle,NCIC V-2020,Stolen from a driveway',
      'VER3030,NY,stolen-vehicle,NCIC V-3030,Stolen overnight',
      'ALR6060,NY,stolen-vehicle,NCIC V-6060,Stolen from a driveway',
      'LOW1234,NY,suspended-registration,DMV R-5521,Registration suspended',
      'AMB3307,NY,amber-alert,AMBER NY-2026-114,Child abduction',
    ].join('\r\n'),
  );
  await importHotlist(parts.store, {
    file: path.join(dir, 'ncic.csv'),
    listId: 'ncic',
    actor: 'admin.ray',
    audit: auditLog,
  });
  for (const s of parts.services) await s.start();
  url = parts.console.url;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // The page's clock is Playwright's (running at the real rate), so that a test can step its wall
  // clock as NTP or the GPS steps the car computer's.
  await page.clock.install();
  await page.goto(url);
  await signIn(page, 'olly', OLLY);
});

afterAll(async () => {
  await browser?.close();
  for (const s of [...(parts?.services ?? [])].reverse()) await s.stop();
  db?.close();
});

describe('the watch list in the side panel', () => {
  it("a watch's Stop watching reached with Tab still works after a read arrives", async () => {
    const added = await page.evaluate(async () => {
      const res = await fetch('/api/watch', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          plate: 'WAT1234',
          state: 'NY',
          reason: 'Seen near the school',
          hours: 12,
          priority: 'medium',
        }),
      });
      return res.status;
    });
    expect(added).toBe(200);
    const stop = page.locator('#watching li button', { hasText: 'Stop watching' });
    await stop.waitFor();
    // Keyboard only: the officer tabs to the button; a car passes (every read updates the console,
    // and so does the unit's 15-second heartbeat) before they press Enter.
    await stop.focus();
    await save('ABC1234');
    await page.waitForFunction(() => document.querySelector('#feed li .fp')?.textContent === 'ABC1234');
    await page.keyboard.press('Enter');
    await page.locator('#watching-none').waitFor({ state: 'visible', timeout: 5_000 });
    expect(parts.store.activeEntriesOf('local', Date.now())).toEqual([]);
  });
});

describe('verifying', () => {
  it('the verified alert stays on screen in words for the stop, until Done', async () => {
    await clearAlerts();
    const read = await save('VER3030');
    await entryShown('VER3030');
    for (const [key, button] of [
      ['p', 'confirm-plate'],
      ['s', 'confirm-state'],
      ['v', 'verify'],
    ] as const) {
      await enabled(button);
      await page.keyboard.press(key);
    }
    await expect.poll(() => hitOf(read.id).status).toBe('verified');
    // What the officer needs for the stop: which vehicle, why it is listed, the reference to
    // confirm the hit by; not only "No active alerts", as if nothing had happened.
    await page.locator('#verified').waitFor({ state: 'visible', timeout: 5_000 });
    expect(await page.locator('#no-alert').isVisible()).toBe(true);
    const card = await page.locator('#verified').innerText();
    for (const text of ['Verified: VER3030 NY', 'Stolen vehicle', 'Stolen overnight', 'NCIC V-3030'])
      expect(card).toContain(text);
    // Its pictures are not asked for again: the hit is no longer open.
    expect(await page.locator('#verified img').count()).toBe(0);
    await page.keyboard.press('Escape');
    await page.locator('#verified').waitFor({ state: 'hidden' });
    expect(await page.locator('#no-alert').isVisible()).toBe(true);
  });
});

describe('the wall clock stepped under the console (NTP or the GPS setting it)', () => {
  it('a step forward neither says NOT LIVE nor counts the alerts down', async () => {
    await clearAlerts();
    await save('KXT4821');
    await save('WAI5555');
    await entryShown('KXT4821');
    await page.locator('#waiting-list li', { hasText: 'WAI5555' }).waitFor();
    await enabled('confirm-plate');
    // 15 minutes to expiry: the waiting hit counts down from there.
    const waiting = () => page.locator('#waiting-list li').innerText();
    expect(await waiting()).toMatch(/expires in 1[45]:\d\d/);
    await page.clock.setSystemTime((await page.evaluate(() => Date.now())) + 20 * 60_000);
    // The page's timers (its live check, every 5 s; the countdown, every second) come round.
    await page.clock.runFor(6_000);
    expect(await page.locator('#not-live').isHidden()).toBe(true);
    expect(await page.locator('#confirm-plate').isDisabled()).toBe(false);
    expect(await waiting()).toMatch(/expires in 1[34]:\d\d/);
    await clearAlerts();
  });

  it('a step back does not hold the keys of a new alert for the size of the step', async () => {
    await clearAlerts();
    const read = await save('STP2020');
    await entryShown('STP2020'); // on screen: P, S, V and R wait 1.5 s from now
    await page.clock.setSystemTime((await page.evaluate(() => Date.now())) - 20 * 60_000);
    await enabled('confirm-plate');
    await page.keyboard.press('p');
    await page.waitForFunction(
      () => document.getElementById('confirm-plate')!.getAttribute('aria-pressed') === 'true',
    );
    expect(parts.hits.get(hitOf(read.id).id)!.plateConfirmedBy).toBe('olly');
    await clearAlerts();
  });
});

describe('missed hits in the side panel', () => {
  it("a missed hit's long reason takes three lines, the whole of it in its tooltip", async () => {
    await clearAlerts();
    const reason = 'BOLO: armed, approach with caution; '.repeat(40).slice(0, REASON_MAX_CHARS);
    addManualEntry(parts.store, auditLog, 'olly', {
      plate: 'MIS8080',
      state: 'NY',
      reason,
      expiresAt: Date.now() + 3_600_000,
      priority: 2,
    });
    const { id } = hitOf((await save('MIS8080')).id);
    db.prepare(`UPDATE hits SET expires_at = ? WHERE id = ?`).run(Date.now() - 1, id);
    parts.hits.expireDue();
    const row = page.locator('#missed-list li', { hasText: 'MIS8080' });
    await row.waitFor();
    const why = row.locator('span', { hasText: 'BOLO: armed' });
    // Not a column of some fifty lines pushing the recent reads and the watch list out of sight.
    const lineHeight = await why.evaluate((e) => parseFloat(getComputedStyle(e).lineHeight));
    expect(lineHeight).toBeGreaterThan(0);
    expect((await why.boundingBox())!.height).toBeLessThanOrEqual(3 * lineHeight + 1);
    expect(await why.getAttribute('title')).toBe(reason);
    expect(await row.locator('button', { hasText: 'Acknowledge' }).isVisible()).toBe(true);
    await row.locator('button', { hasText: 'Acknowledge' }).click();
    await row.waitFor({ state: 'detached' });
  });
});

describe('the watch form', () => {
  it('an alert coming on screen puts what the officer was typing aside; W brings it back', async () => {
    await clearAlerts();
    await page.keyboard.press('w');
    await page.locator('#watch-form').waitFor({ state: 'visible' });
    await page.locator('#watch-plate').fill('DRF4545');
    await page.locator('#watch-reason').fill('Seen leaving the bank at speed, two occupants');
    await save('ALR6060'); // the alert takes the screen: nothing may cover it
    await entryShown('ALR6060');
    expect(await page.locator('#watch-form').isHidden()).toBe(true);
    await clearAlerts(); // dealt with
    await page.keyboard.press('w');
    await page.locator('#watch-form').waitFor({ state: 'visible' });
    expect([
      await page.locator('#watch-plate').inputValue(),
      await page.locator('#watch-reason').inputValue(),
    ]).toEqual(['DRF4545', 'Seen leaving the bank at speed, two occupants']);
    // Cancelled, it starts afresh.
    await page.keyboard.press('Escape');
    await page.keyboard.press('w');
    await page.locator('#watch-form').waitFor({ state: 'visible' });
    expect(await page.locator('#watch-plate').inputValue()).toBe('');
    await page.keyboard.press('Escape');
  });
});

describe('keys right after Esc', () => {
  it('W pressed before the page has drawn the closed form opens it again, not typed into it', async () => {
    await clearAlerts();
    await page.keyboard.press('w');
    await page.locator('#watch-form').waitFor({ state: 'visible' });
    // Both keys in one task, as a quick officer's (or a loaded unit's) can come: no rendering in
    // between, so nothing but the page itself takes the focus out of the form it hid.
    const reopened = await page.evaluate(() => {
      const key = (k: string) =>
        (document.activeElement ?? document.body).dispatchEvent(
          new KeyboardEvent('keydown', { key: k, bubbles: true }),
        );
      key('Escape');
      key('w');
      return !(document.getElementById('watch-form') as HTMLFormElement).hidden;
    });
    expect(reopened).toBe(true);
    await page.keyboard.press('Escape');
  });
});

describe('the reject form', () => {
  it('a more urgent alert that closes it keeps the reason and text; R on the first alert brings them back', async () => {
    await clearAlerts();
    const low = await save('LOW1234');
    await entryShown('LOW1234');
    await enabled('reject');
    await page.keyboard.press('r');
    await page.locator('#reject-form').waitFor({ state: 'visible' });
    await page.keyboard.press('6'); // other
    const why = 'Plate is a dealer trade plate, not the listed registration';
    await page.locator('#reject-text').fill(why);
    const amber = await save('AMB3307'); // takes the screen, and the form with it
    await entryShown('AMB3307');
    expect(await page.locator('#reject-form').isHidden()).toBe(true);
    parts.hits.reject(hitOf(amber.id).id, 'misread', null, 'olly'); // dealt with
    await entryShown('LOW1234');
    await enabled('reject');
    await page.keyboard.press('r');
    await page.locator('#reject-form').waitFor({ state: 'visible' });
    expect([
      await page.locator('input[name="reason"]:checked').getAttribute('value'),
      await page.locator('#reject-text').inputValue(),
    ]).toEqual(['other', why]);
    await page.locator('#reject-form button[type="submit"]').click();
    await expect.poll(() => hitOf(low.id).status).toBe('rejected');
    expect(parts.hits.get(hitOf(low.id).id)!.rejectText).toBe(why);
  });
});

describe('signed out under the officer', () => {
  it('a session ended elsewhere shows the sign-in form saying why', async () => {
    await clearAlerts();
    // The same officer signs out in another tab (the same cookie): this page's session is gone.
    expect((await page.context().request.post(`${url}api/signout`)).status()).toBe(200);
    await save('ZZZ0001'); // the next update finds the session ended
    await page.locator('#signin').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.locator('#signin-error').innerText()).toBe(
      'Signed out: sign in first (no live session: signed out, expired, or ended by an admin changing the account)',
    );
    await signIn(page, 'olly', OLLY);
    expect(await page.locator('#signin-error').innerText()).toBe('');
  });
});

// Last: it stops the unit's console.
describe('the unit not answering', () => {
  it('signing in says the unit did not answer, not the browser\'s "Failed to fetch"', async () => {
    await clearAlerts();
    await page.locator('#signout').click();
    await page.locator('#signin').waitFor({ state: 'visible' });
    await parts.console.stop(); // the daemon stopped (an update, a crash) while the page stayed open
    await page.locator('#signin-name').fill('olly');
    await page.locator('#signin-secret').fill(OLLY);
    await page.locator('#signin-form button').click();
    await page.waitForFunction(() => document.getElementById('signin-error')!.textContent !== '');
    expect(await page.locator('#signin-error').innerText()).toBe(
      'The unit did not answer (its LPR service may be stopped or restarting): try again in a moment.',
    );
  });
});
