import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { openDatabase, type Db } from '../src/store/database.js';
import { allMigrations } from '../src/store/all-migrations.js';
import { ReadStore } from '../src/store/reads.js';
import { silentLogger } from '../src/log.js';
import { buildHotlist, type HotlistParts } from '../src/hotlist/services.js';
import { importHotlist } from '../src/hotlist/import.js';
import { defaultConsoleConfig, defaultHotlistsConfig } from '../src/hotlist/config.js';
import { images, makeRead } from './helpers/hotlist-fixtures.js';
import { AuditLog } from '../src/policy/audit.js';
import { UserDirectory } from '../src/policy/users.js';
import { policySchema } from '../src/policy/config.js';
import { listQueryLog, ReadQueries } from '../src/policy/query.js';
import { expectText, launchChromium } from './helpers/chromium.js';

// Screenshots land here so a person can look at the console (day and night themes).
const SHOTS = process.env.CONSOLE_SCREENSHOTS ?? path.join(os.tmpdir(), 'lpr-console-shots');
/** A hotlist reason longer than the alert has room for on a small screen; its end is marked. */
const LONG_REASON =
  'Vehicle taken at gunpoint from a fuel station on Route 9 by two men who left in it northbound. '.repeat(
    10,
  ) + 'END OF REASON: do not approach alone.';

let dir: string;
let db: Db;
let reads: ReadStore;
let parts: HotlistParts;
let browser: Browser;
let page: Page;
let url: string;
let auditLog: AuditLog;
const auditTypes = (type: string, actor: string) =>
  auditLog.list({ limit: 10_000 }).filter((r) => r.type === type && r.actor === actor);

/** R, once it takes effect: for 1.5 s after an alert comes on screen it waits, as P, S and V do. */
async function pressReject(): Promise<void> {
  await page.waitForFunction(() => !(document.getElementById('reject') as HTMLButtonElement).disabled);
  await page.keyboard.press('r');
}

async function saveRead(plate: string, state: string | null, shownState = 'NEW YORK') {
  return reads.save(makeRead(plate, state), await images(plate, shownState));
}

function hitsFor(readId: string) {
  return db.prepare(`SELECT * FROM hits WHERE read_id = ?`).all(readId) as {
    id: string;
    status: string;
    reject_reason: string | null;
    reject_text: string | null;
    duplicate_of: string | null;
  }[];
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'console-e2e-'));
  mkdirSync(SHOTS, { recursive: true });
  db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
  reads = new ReadStore(db, dir);
  auditLog = new AuditLog(db);
  const audit = auditLog;
  // Real policy users: passwords hashed with scrypt, sessions stored as token hashes.
  const users = new UserDirectory(db, { ...policySchema.parse({}), passwordCostLog2: 14 }, auditLog);
  users.bootstrapAdmin('admin.ray', 'admin secret 1', '2026-01-05');
  const admin = users.signIn('admin.ray', 'admin secret 1');
  users.addUser(admin, {
    name: 'ofc.diaz',
    role: 'officer',
    secret: 'correct horse 42',
    trained: '2026-02-01',
  });
  users.addUser(admin, {
    name: 'ofc.lee', // initial training long ago, no in-service training since (policy VII)
    role: 'officer',
    secret: 'overdue horse 9',
    trained: '2025-01-01',
  });
  users.addUser(admin, {
    name: 'tech.kim',
    role: 'technician',
    secret: 'wrench wrench 7',
    trained: '2026-02-01',
  });
  parts = buildHotlist(
    {
      db,
      reads,
      log: silentLogger(),
      config: { hotlists: defaultHotlistsConfig(), console: { ...defaultConsoleConfig(), port: 0 } },
    },
    {
      audit,
      users,
      queries: new ReadQueries(db, auditLog),
      now: () => Date.now(), // one clock for wall and deadlines: a test expires a hit by its stored deadline
      unitStatus: () => ({
        cameras: [{ id: 'front', ok: true }],
        gps: { ok: null, detail: 'not configured' },
        sync: { ok: false, detail: 'offline, 12 queued' },
      }),
    },
  );
  const csv = [
    'plate,state,list_type,reference,vehicle,reason,priority',
    'KXT4821,NY,stolen-vehicle,NCIC V123456789,2019 Honda Accord grey,Stolen 2026-11-20 Brooklyn,',
    'AMB3307,NY,amber-alert,AMBER NY-2026-114,Blue Ford Escape,Child abduction: approach with caution,',
    'LOW1234,NY,suspended-registration,DMV R-5521,Black Nissan Altima,Registration suspended (insurance),',
    'REJ9001,NY,stolen-plate,NCIC P-778,,Plate reported stolen,',
    'NOP4420,NY,stolen-plate,NCIC P-812,,Plate reported stolen,',
    'SIG1001,NY,stolen-plate,NCIC P-905,,Plate reported stolen,',
    'OFF0001,NY,stolen-vehicle,NCIC V-311,,Stolen,',
    'ALT5150,NY,stolen-plate,NCIC P-990,,Plate reported stolen,',
    `LNG2024,NY,stolen-vehicle,NCIC V-424,,${LONG_REASON},`,
    'SHR1001,NY,stolen-plate,NCIC P-1001,,Plate reported stolen,',
    'BNR3030,NY,stolen-vehicle,NCIC V-3030,,Stolen from a car park,',
    'EXP0001,NY,suspended-registration,DMV R-0001,,Registration suspended (insurance),',
  ].join('\r\n');
  writeFileSync(path.join(dir, 'ncic.csv'), csv);
  await importHotlist(parts.store, {
    file: path.join(dir, 'ncic.csv'),
    listId: 'ncic',
    actor: 'admin.ray',
    audit,
  });
  // A list nobody has refreshed for 30 hours (policy IV.C.1: over the 24-hour limit).
  writeFileSync(path.join(dir, 'dmv.csv'), 'plate,state,list_type\r\nOLD7777,NY,suspended-registration\r\n');
  await importHotlist(parts.store, {
    file: path.join(dir, 'dmv.csv'),
    listId: 'dmv',
    actor: 'admin.ray',
    audit,
    generatedAt: Date.now() - 30 * 3_600_000,
  });
  for (const s of parts.services) await s.start();
  url = parts.console.url;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // A few reads made before the officer signs in: the feed shows those made since the unit started.
  for (const p of ['HJK2210', 'GMT5567', 'PLR0093']) await saveRead(p, 'NY');
});

afterAll(async () => {
  await browser?.close();
  for (const s of [...(parts?.services ?? [])].reverse()) await s.stop();
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('officer console in Chromium', () => {
  it('refuses a technician and a wrong password, signs an officer in', async () => {
    await page.goto(url);
    await page.locator('#signin-name').fill('tech.kim');
    await page.locator('#signin-secret').fill('wrench wrench 7');
    await page.locator('#signin-form button').click();
    await expectText(page, '#signin-error', /for officers/);
    await page.locator('#signin-name').fill('ofc.diaz');
    await page.locator('#signin-secret').fill('nope');
    await page.locator('#signin-form button').click();
    await expectText(page, '#signin-error', /unknown user or wrong password/);
    expect(auditTypes('signin.failure', 'ofc.diaz')).toHaveLength(1);
    await page.locator('#signin-secret').fill('correct horse 42');
    await page.locator('#signin-form button').click();
    await page.locator('#no-alert').waitFor({ state: 'visible' });
    expect(await page.locator('.fouo').innerText()).toMatch(/FOR OFFICIAL USE ONLY/);
    // The feed of earlier reads is fetched after sign-in: wait for it rather than race it.
    await page
      .waitForFunction(() => document.querySelectorAll('#feed li').length >= 3, undefined, {
        timeout: 10_000,
      })
      .catch(() => undefined);
    expect(await page.locator('#feed li').count()).toBe(3);
    // The status bar: what works (green), what does not (red), what this unit has none of (grey).
    const bar = await page
      .locator('#status span')
      .evaluateAll((spans) => spans.map((s) => `${s.className}: ${s.textContent ?? ''}`));
    expect(bar).toEqual([
      'ok: Cameras: front ok',
      'unk: GPS: not configured',
      'bad: List dmv: 30.0 h old (over 24 h)',
      expect.stringMatching(/^ok: List ncic: \d+ min old$/),
      'bad: Sync: offline, 12 queued',
    ]);
    await page.screenshot({ path: path.join(SHOTS, 'console-idle-day.png') });
  });

  it('shows an alert for a matching read; Verify stays disabled until plate AND state are confirmed', async () => {
    const read = await saveRead('KXT4821', 'NY');
    await page.locator('#hit').waitFor({ state: 'visible' });
    expect(await page.locator('#hit-type').innerText()).toBe('Stolen vehicle');
    expect(await page.locator('#hit-entry').innerText()).toBe('KXT4821');
    expect(await page.locator('#hit-ref').innerText()).toContain('NCIC V123456789');
    expect(await page.locator('#hit-vehicle').innerText()).toContain('Honda Accord');
    // The crop is served from the image store and displayed.
    await page.waitForFunction(
      () => (document.getElementById('hit-crop') as HTMLImageElement).naturalWidth > 0,
    );
    // One tone for the hits that arrive together, once they have (300 ms).
    await page.waitForFunction(() => document.body.dataset.lastTone === 'medium');
    await page.screenshot({ path: path.join(SHOTS, 'console-alert-day.png') });
    await page.locator('#theme').click();
    await page.screenshot({ path: path.join(SHOTS, 'console-alert-night.png') });
    await page.locator('#theme').click();

    // Policy IV.C.2: confirmed while seeing the pictures. Another session of the same officer
    // that was never sent them (a script, a second tab that did not load) is refused.
    const [raised] = hitsFor(read.id);
    const elsewhere = await browser.newContext();
    try {
      const api = elsewhere.request;
      const signin = await api.post(`${url}api/signin`, {
        data: { name: 'ofc.diaz', secret: 'correct horse 42' },
      });
      expect(signin.status()).toBe(200);
      const blind = await api.post(`${url}api/hits/${raised!.id}/confirm`, { data: { what: 'plate' } });
      expect(blind.status()).toBe(409);
      expect(((await blind.json()) as { error: string }).error).toMatch(
        /the plate crop and the overview image of this hit have not been shown on this console yet/,
      );
      expect((await api.get(`${url}api/hits/${raised!.id}/crop`)).status()).toBe(200);
      const halfSeen = await api.post(`${url}api/hits/${raised!.id}/confirm`, { data: { what: 'plate' } });
      expect(((await halfSeen.json()) as { error: string }).error).toMatch(
        /^the overview image of this hit has not/,
      );
    } finally {
      await elsewhere.close();
    }
    expect(hitsFor(read.id)[0]!.status).toBe('seen'); // nothing was confirmed

    const verify = page.locator('#verify');
    expect(await verify.isDisabled()).toBe(true);
    // P and S wait until the pictures are on screen.
    await page.waitForFunction(
      () => !(document.getElementById('confirm-plate') as HTMLButtonElement).disabled,
    );
    await page.keyboard.press('p'); // keyboard: confirm plate
    await page.waitForFunction(
      () => document.getElementById('confirm-plate')!.getAttribute('aria-pressed') === 'true',
    );
    expect(await verify.isDisabled()).toBe(true);
    // The API refuses too, not only the button.
    const [hit] = hitsFor(read.id);
    const refused = await page.evaluate(
      async (id) => (await fetch(`/api/hits/${id}/verify`, { method: 'POST' })).status,
      hit!.id,
    );
    expect(refused).toBe(409);
    await page.locator('#confirm-state').click();
    await page.waitForFunction(() => !(document.getElementById('verify') as HTMLButtonElement).disabled);
    await verify.click();
    await page.locator('#no-alert').waitFor({ state: 'visible' });
    const row = hitsFor(read.id)[0]!;
    expect(row.status).toBe('verified');
    const actions = parts.hits.events(row.id).map((e) => `${e.action}:${e.actor}`);
    expect(actions).toEqual([
      'raised:system',
      'seen:ofc.diaz',
      'confirm-plate:ofc.diaz',
      'confirm-state:ofc.diaz',
      'verified:ofc.diaz',
    ]);
    expect(auditTypes('hit.disposition', 'ofc.diaz').map((r) => r.details.outcome)).toEqual(['verified']);
    expect(auditLog.verify().ok).toBe(true);
  });

  it('a repeat of the same plate within the window is recorded but does not alert', async () => {
    const tone = await page.locator('body').getAttribute('data-last-tone');
    await page.evaluate(() => document.body.removeAttribute('data-last-tone'));
    const read = await saveRead('KXT4821', 'NY');
    const rows = hitsFor(read.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('suppressed');
    expect(rows[0]!.duplicate_of).not.toBeNull();
    // The read reaches the feed, and still no alert or tone.
    await page.waitForFunction(() => document.querySelector('#feed li .fp')?.textContent === 'KXT4821');
    expect(await page.locator('#no-alert').isVisible()).toBe(true);
    await page.waitForTimeout(400); // longer than tones are gathered for
    expect(await page.locator('body').getAttribute('data-last-tone')).toBeNull();
    expect(tone).toBe('medium');
  });

  it('a rejection records its reason', async () => {
    const read = await saveRead('REJ9001', 'NY');
    await page.locator('#hit').waitFor({ state: 'visible' });
    await pressReject();
    await page.locator('#reject-form').waitFor({ state: 'visible' });
    await page.screenshot({ path: path.join(SHOTS, 'console-reject-day.png') });
    // "other" without text is refused with a message.
    const reasons = defaultHotlistsConfig().rejectionReasons;
    await page.keyboard.press(String(reasons.indexOf('other') + 1));
    await page.locator('#reject-form button[type=submit]').click();
    await expectText(page, '#reject-error', /needs a text/);
    await page.locator(`#reject-reasons input[value="wrong state"]`).check();
    await page.locator('#reject-form button[type=submit]').click();
    await page.locator('#no-alert').waitFor({ state: 'visible' });
    const row = hitsFor(read.id)[0]!;
    expect(row.status).toBe('rejected');
    expect(row.reject_reason).toBe('wrong state');
  });

  it('after signing in again the alert on screen can still be confirmed (its pictures are fetched again)', async () => {
    const read = await saveRead('SIG1001', 'NY');
    await page.waitForFunction(() => document.getElementById('hit-entry')?.textContent === 'SIG1001');
    await page.waitForFunction(
      () => !(document.getElementById('confirm-plate') as HTMLButtonElement).disabled,
    );
    await page.locator('#signout').click();
    await page.locator('#signin').waitFor({ state: 'visible' });
    expect(await page.locator('#signin-name').inputValue()).toBe(''); // the next officer's form is empty
    await page.locator('#signin-name').fill('ofc.diaz');
    await page.locator('#signin-secret').fill('correct horse 42');
    await page.locator('#signin-form button').click();
    await page.waitForFunction(() => document.getElementById('hit-entry')?.textContent === 'SIG1001');
    await page.waitForFunction(
      () => !(document.getElementById('confirm-plate') as HTMLButtonElement).disabled,
    );
    await page.keyboard.press('p');
    await page.waitForFunction(
      () => document.getElementById('confirm-plate')!.getAttribute('aria-pressed') === 'true',
    );
    expect(parts.hits.events(hitsFor(read.id)[0]!.id).map((e) => e.action)).toContain('confirm-plate');
    await pressReject();
    await page.locator(`#reject-reasons input[value="misread"]`).check();
    await page.locator('#reject-form button[type=submit]').click();
    await page.locator('#no-alert').waitFor({ state: 'visible' });
  });

  it('a read stored without a plate picture cannot be confirmed, only rejected', async () => {
    const read = await reads.save(makeRead('NOP4420', 'NY'), { crop: null, overview: null });
    await page.waitForFunction(() => document.getElementById('hit-entry')?.textContent === 'NOP4420');
    expect(await page.locator('#confirm-plate').isDisabled()).toBe(true);
    expect(await page.locator('#confirm-state').isDisabled()).toBe(true);
    const [hit] = hitsFor(read.id);
    const answer = await page.evaluate(async (id) => {
      const res = await fetch(`/api/hits/${id}/confirm`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ what: 'plate' }),
      });
      return { status: res.status, body: (await res.json()) as { error: string } };
    }, hit!.id);
    expect(answer.status).toBe(409);
    expect(answer.body.error).toMatch(/no plate picture was stored with this read/);
    await pressReject();
    await page.locator(`#reject-reasons input[value="plate not visible"]`).check();
    await page.locator('#reject-form button[type=submit]').click();
    await page.locator('#no-alert').waitFor({ state: 'visible' });
    expect(hitsFor(read.id)[0]!.status).toBe('rejected');
  });

  it('a high-priority hit pre-empts a low-priority one on screen', async () => {
    await saveRead('LOW1234', 'NY');
    await page.waitForFunction(
      () => document.getElementById('hit-type')?.textContent === 'Suspended/revoked registration',
    );
    expect(await page.locator('#hit-priority').innerText()).toMatch(/low/i);
    await saveRead('AMB3307', null); // state not read: plate-only hit, flagged
    await page.waitForFunction(() => document.getElementById('hit-type')?.textContent === 'AMBER alert');
    await page.waitForFunction(() => document.body.dataset.lastTone === 'high');
    expect(await page.locator('#hit-queue').innerText()).toBe('1 more waiting');
    expect(await page.locator('#hit-state-warning').isVisible()).toBe(true);
    await page.locator('#theme').click();
    await page.screenshot({ path: path.join(SHOTS, 'console-amber-night.png') });
    await page.locator('#theme').click();
    await page.locator('#confirm-plate').click();
    await page.locator('#confirm-state').click();
    await page.waitForFunction(() => !(document.getElementById('verify') as HTMLButtonElement).disabled);
    await page.keyboard.press('v');
    // The low-priority alert comes back once the urgent one is dealt with.
    await page.waitForFunction(
      () => document.getElementById('hit-type')?.textContent === 'Suspended/revoked registration',
    );
  });

  it('a hit on an alternative reading shows what the unit read, the differing character marked', async () => {
    // The unit read ALT5157; its second-best reading ALT5150 is on the list.
    const read = await reads.save(
      makeRead('ALT5157', 'NY', {
        box: [420, 330, 140, 50], // where overviewJpeg draws the plate
        candidates: [
          { plate: 'ALT5157', confidence: 0.9 },
          { plate: 'ALT5150', confidence: 0.06 },
        ],
      }),
      await images('ALT5157'),
    );
    await page.waitForFunction(() => document.getElementById('hit-entry')?.textContent === 'ALT5150');
    expect(await page.locator('#hit-read').innerText()).toBe('ALT5157');
    expect(await page.locator('#hit-read span.diff').allInnerTexts()).toEqual(['7']);
    expect(await page.locator('#hit-rule').innerText()).toBe(
      'Exact match on the alternative reading ALT5150, not on what the unit read (ALT5157).',
    );
    // The plate is outlined on the overview, over the image (which stays as the camera took it).
    await page.locator('#hit-overview-mark').waitFor({ state: 'visible' });
    const { mark, image } = await page.evaluate(() => {
      const rect = (id: string) => document.getElementById(id)!.getBoundingClientRect().toJSON() as DOMRect;
      return { mark: rect('hit-overview-mark'), image: rect('hit-overview') };
    });
    const scale = Math.min(image.width / 960, image.height / 540);
    const imageLeft = image.x + (image.width - 960 * scale) / 2;
    const imageTop = image.y + (image.height - 540 * scale) / 2;
    expect(mark.x + mark.width / 2).toBeCloseTo(imageLeft + (420 + 70) * scale, 0);
    expect(mark.y + mark.height / 2).toBeCloseTo(imageTop + (330 + 25) * scale, 0);
    expect(mark.width).toBeGreaterThan(140 * scale);
    expect(mark.width).toBeLessThan(140 * scale + 10);
    await page.screenshot({ path: path.join(SHOTS, 'console-alternative-day.png') });

    // On the smaller screens of in-car computers both plates still show whole, and the buttons
    // that act on the alert are on screen without scrolling.
    for (const [width, height] of [
      [1024, 768],
      [800, 600],
    ] as const) {
      await page.setViewportSize({ width, height });
      const layout = await page.evaluate(() => {
        const panel = document.getElementById('alert')!.getBoundingClientRect();
        const plate = (id: string) => {
          const el = document.getElementById(id)!;
          const r = el.getBoundingClientRect();
          return {
            clipped: el.scrollWidth > el.clientWidth,
            inPanel: r.left >= panel.left && r.right <= panel.right,
          };
        };
        const onScreen = (id: string) => {
          const r = document.getElementById(id)!.getBoundingClientRect();
          return r.top >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
        };
        return {
          read: plate('hit-read'),
          entry: plate('hit-entry'),
          buttons: ['confirm-plate', 'confirm-state', 'verify', 'reject'].map(onScreen),
        };
      });
      expect(layout, `${width} x ${height}`).toEqual({
        read: { clipped: false, inPanel: true },
        entry: { clipped: false, inPanel: true },
        buttons: [true, true, true, true],
      });
      await page.screenshot({ path: path.join(SHOTS, `console-alternative-${width}.png`) });
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await pressReject();
    await page.locator(`#reject-reasons input[value="misread"]`).check();
    await page.locator('#reject-form button[type=submit]').click();
    // The low-priority alert from before comes back.
    await page.waitForFunction(() => document.getElementById('hit-entry')?.textContent === 'LOW1234');
    expect(hitsFor(read.id)[0]!.status).toBe('rejected');
  });

  it('an officer watches for plates from the console: new reads of them alert; earlier ones only through a logged inquiry', async () => {
    // Clear the low-priority alert left from before.
    await pressReject();
    await page.locator(`#reject-reasons input[value="misread"]`).check();
    await page.locator('#reject-form button[type=submit]').click();
    await page.locator('#no-alert').waitFor({ state: 'visible' });
    const earlier = await saveRead('RET4560', 'NY'); // read before anyone watched for it
    const passedBy = await saveRead('WAT123', 'NJ'); // likewise

    await page.keyboard.press('w');
    await page.locator('#watch-plate').fill('wat 123');
    await page.locator('#watch-state').fill('XX');
    await page.locator('#watch-reason').fill('BOLO: hit and run, dispatch 14:02');
    await page.locator('#watch-form button[type=submit]').click();
    await expectText(page, '#watch-error', /state: state "XX" is not a USPS code/);
    await page.locator('#watch-state').fill('');
    await page.locator('#watch-hours').selectOption('4');
    await page.locator('#watch-form button[type=submit]').click();
    await page.locator('#watch-form').waitFor({ state: 'hidden' });
    await page.waitForFunction(() => document.querySelector('#watching li .fp')?.textContent === 'WAT123');
    expect(await page.locator('#watching li').first().innerText()).toMatch(
      /WAT123\s+any state\s+until .* · BOLO: hit and run, dispatch 14:02 · ofc\.diaz/,
    );
    // Watching it again renews the watch: the form stays open and says whose watch it was and
    // what it is now, rather than closing as if a plate had been added.
    await page.keyboard.press('w');
    await page.locator('#watch-plate').fill('WAT123');
    await page.locator('#watch-reason').fill('BOLO: hit and run, dispatch 14:02');
    await page.locator('#watch-hours').selectOption('12');
    await page.locator('#watch-form button[type=submit]').click();
    await expectText(
      page,
      '#watch-error',
      /^WAT123 any state was already watched \(ofc\.diaz, until .+, medium priority: BOLO: hit and run, dispatch 14:02\)\. Renewed, now: ofc\.diaz, until .+, medium priority: BOLO: hit and run, dispatch 14:02\.$/,
    );
    expect(await page.locator('#watch-form').isVisible()).toBe(true);
    await page.locator('#watch-cancel').click();
    expect(await page.locator('#watching li', { hasText: 'WAT123' }).count()).toBe(1);
    // Stored reads were not searched for it: that would be an inquiry the officer did not make.
    expect(hitsFor(passedBy.id)).toEqual([]);
    expect(listQueryLog(db)).toEqual([]);

    // A read of it raises an alert that names the officer's reason; the alert is not left under
    // a form the officer happened to have open.
    await page.keyboard.press('w');
    await page.locator('#watch-plate').fill('half typed');
    const read = await saveRead('WAT123', 'NJ');
    await page.waitForFunction(() => document.getElementById('hit-entry')?.textContent === 'WAT123');
    expect(await page.locator('#watch-form').isHidden()).toBe(true);
    expect(await page.locator('#hit-type').innerText()).toBe('Manual local entry');
    // Medium unless the officer chose otherwise: two beeps, which muting low tones leaves alone.
    expect(await page.locator('#hit-priority').innerText()).toMatch(/medium/i);
    expect(await page.locator('#hit-reason').innerText()).toBe('BOLO: hit and run, dispatch 14:02');
    expect(hitsFor(read.id)).toHaveLength(1);

    // Searching the last hour's reads as well is an LPR inquiry: purpose, case number and the
    // officer's attestation, or nothing is added; then it is logged and raises a retroactive alert.
    await pressReject();
    await page.locator(`#reject-reasons input[value="vehicle does not match"]`).check();
    await page.locator('#reject-form button[type=submit]').click();
    await page.locator('#no-alert').waitFor({ state: 'visible' });
    await page.locator('#watch').click();
    await page.locator('#watch-plate').fill('RET4560');
    await page.locator('#watch-state').fill('ny');
    await page.locator('#watch-reason').fill('Seen leaving a burglary');
    await page.locator('#watch-priority').selectOption('high');
    await page.locator('#watch-lookback').check();
    await page.locator('#watch-purpose').selectOption('investigation-vehicle');
    await page.locator('#watch-case').fill('26-0117');
    await page.locator('#watch-form button[type=submit]').click();
    await expectText(
      page,
      '#watch-error',
      /lookBack\.attested: confirm the search is not based solely on protected/,
    );
    expect(await page.locator('#watching li', { hasText: 'RET4560' }).count()).toBe(0);
    await page.locator('#watch-attest').check();
    await page.locator('#watch-form button[type=submit]').click();
    await page.waitForFunction(() => document.getElementById('hit-entry')?.textContent === 'RET4560');
    expect(await page.locator('#hit-priority').innerText()).toMatch(/high/i);
    expect(await page.locator('#hit-retro').isVisible()).toBe(true);
    expect(hitsFor(earlier.id)).toHaveLength(1);
    expect(listQueryLog(db)).toEqual([
      expect.objectContaining({
        requester: 'ofc.diaz',
        purpose: 'investigation-vehicle',
        caseNumber: '26-0117',
        attested: true,
        outcome: 'ok',
        criteria: { plate: 'RET4560', from: expect.any(Number) },
        resultIds: [earlier.id],
      }),
    ]);

    // "Found" takes the plate off the list; every change is audited under the officer's name.
    await page.locator('#watching li', { hasText: 'WAT123' }).getByText('Found').click();
    await page.waitForFunction(() =>
      [...document.querySelectorAll('#watching li .fp')].every((e) => e.textContent !== 'WAT123'),
    );
    expect(
      auditTypes('hotlist.change', 'ofc.diaz').map((r) => [
        r.details.action,
        r.details.plate,
        r.details.reason,
      ]),
    ).toEqual([
      ['add', 'WAT123', 'BOLO: hit and run, dispatch 14:02'],
      ['renew', 'WAT123', 'BOLO: hit and run, dispatch 14:02'],
      ['add', 'RET4560', 'Seen leaving a burglary'],
      ['remove', 'WAT123', 'found'],
    ]);
    expect(auditLog.verify().ok).toBe(true);
  });

  it('tells an officer whose in-service training is overdue, for as long as they are signed in', async () => {
    expect(await page.locator('#user-warnings').isHidden()).toBe(true); // ofc.diaz is up to date
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const lee = await context.newPage();
      await lee.goto(url);
      await lee.locator('#signin-name').fill('ofc.lee');
      await lee.locator('#signin-secret').fill('overdue horse 9');
      await lee.locator('#signin-form button').click();
      await lee.locator('#user-warnings').waitFor({ state: 'visible' });
      expect(await lee.locator('#user-warnings').innerText()).toBe(
        'In-service LPR training overdue since 2026-01-01.',
      );
      await lee.reload(); // still there on the next page load of the same session
      await lee.locator('#user-warnings').waitFor({ state: 'visible' });
    } finally {
      await context.close();
    }
  });

  it('refuses unknown hits, forged sessions, other origins and paths outside the API', async () => {
    const status = await page.evaluate(async () => {
      const unknown = (
        await fetch('/api/hits/00000000-0000-4000-8000-000000000000/verify', { method: 'POST' })
      ).status;
      const notUuid = (await fetch('/api/hits/..%2F..%2Fetc%2Fpasswd/crop')).status;
      return { unknown, notUuid };
    });
    expect(status).toEqual({ unknown: 404, notUuid: 400 });
    const forged = await fetch(new URL('/api/state', url), {
      headers: { cookie: 'lpr_console=' + 'A'.repeat(43) },
    });
    expect(forged.status).toBe(401);
    const cookies = await page.context().cookies();
    const token = cookies.find((c) => c.name === 'lpr_console')!.value;
    const cross = await fetch(new URL('/api/hits/00000000-0000-4000-8000-000000000000/seen', url), {
      method: 'POST',
      headers: { cookie: `lpr_console=${token}`, origin: 'http://evil.example' },
    });
    expect(cross.status).toBe(403);
    // fetch cannot set Host; a DNS-rebinding page would arrive with its own name there.
    const rebind = await new Promise<number>((resolve, reject) => {
      const req = http.get(
        new URL('/api/state', url),
        { headers: { cookie: `lpr_console=${token}`, host: 'evil.example' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
    });
    expect(rebind).toBe(421);
  });

  it('a long reason under the sticky buttons is announced ("More below") until scrolled into view', async () => {
    // Clear what earlier tests left on screen.
    while (await page.locator('#hit').isVisible()) {
      const id = await page.locator('#hit').getAttribute('data-hit-id');
      await pressReject();
      await page.locator(`#reject-reasons input[value="misread"]`).check();
      await page.locator('#reject-form button[type=submit]').click();
      await page.waitForFunction(
        (shown) =>
          document.getElementById('hit')!.hidden || document.getElementById('hit')!.dataset.hitId !== shown,
        id,
      );
    }
    await page.setViewportSize({ width: 800, height: 600 });
    // Where the reason ends compared with the top of the buttons, and whether its end can be seen.
    const reasonEnd = () =>
      page.evaluate(() => {
        const reason = document.getElementById('hit-reason')!.getBoundingClientRect();
        const buttons = document.getElementById('hit-actions')!.getBoundingClientRect();
        return {
          underButtons: reason.bottom > buttons.top,
          onScreen: reason.bottom <= window.innerHeight,
          cue: !document.getElementById('more-below')!.hidden,
        };
      });

    const long = await saveRead('LNG2024', 'NY');
    await page.waitForFunction(() => document.getElementById('hit-entry')?.textContent === 'LNG2024');
    await expectText(page, '#hit-reason', /END OF REASON/);
    expect(await reasonEnd()).toMatchObject({ underButtons: true, cue: true });
    expect(await page.locator('#more-below').innerText()).toBe('More below ▼');
    await page.screenshot({ path: path.join(SHOTS, 'console-long-reason-800.png') });
    // Scrolled as an officer would (wheel or finger over the alert): the end shows, the cue goes.
    const panel = (await page.locator('#alert').boundingBox())!;
    await page.mouse.move(panel.x + panel.width / 2, panel.y + 40);
    for (let i = 0; i < 10 && (await reasonEnd()).cue; i++) {
      await page.mouse.wheel(0, 200);
      await page.waitForTimeout(100);
    }
    expect(await reasonEnd()).toEqual({ underButtons: false, onScreen: true, cue: false });
    await page.screenshot({ path: path.join(SHOTS, 'console-long-reason-800-end.png') });
    await pressReject();
    await page.locator(`#reject-reasons input[value="misread"]`).check();
    await page.locator('#reject-form button[type=submit]').click();
    await page.locator('#no-alert').waitFor({ state: 'visible' });
    expect(hitsFor(long.id)[0]!.status).toBe('rejected');

    // A short reason that fits above the buttons: no cue.
    await page.setViewportSize({ width: 1024, height: 768 });
    await saveRead('SHR1001', 'NY');
    await page.waitForFunction(() => document.getElementById('hit-entry')?.textContent === 'SHR1001');
    expect(await reasonEnd()).toEqual({ underButtons: false, onScreen: true, cue: false });
    await pressReject();
    await page.locator(`#reject-reasons input[value="misread"]`).check();
    await page.locator('#reject-form button[type=submit]').click();
    await page.locator('#no-alert').waitFor({ state: 'visible' });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('the "More below" cue follows the missed-hits banner coming and going above an alert', async () => {
    await page.setViewportSize({ width: 800, height: 600 });
    // An alert on screen, and a less urgent one queued behind it that nobody will get to.
    await saveRead('BNR3030', 'NY');
    await page.waitForFunction(() => document.getElementById('hit-entry')?.textContent === 'BNR3030');
    const queued = await saveRead('EXP0001', 'NY');
    await expectText(page, '#hit-queue', /^1 more waiting$/);
    await page.waitForFunction(
      () => !(document.getElementById('confirm-plate') as HTMLButtonElement).disabled,
    );
    // How far the alert's end is above the top of its buttons (below them when negative).
    const endAboveButtons = () =>
      page.evaluate(() => ({
        gap:
          document.getElementById('hit-actions')!.getBoundingClientRect().top -
          document.getElementById('hit-body')!.getBoundingClientRect().bottom,
        cue: !document.getElementById('more-below')!.hidden,
        banner: !document.getElementById('missed-banner')!.hidden,
      }));
    // From the top of the alert (the panel may still be scrolled from before): its end is hidden.
    await page.evaluate(() => document.querySelector('.main')!.scrollTo(0, 0));
    await page.waitForFunction(() => !document.getElementById('more-below')!.hidden);
    expect(await endAboveButtons()).toMatchObject({ cue: true, banner: false });
    // The officer scrolls until the alert's end just shows above the buttons: the cue goes.
    const { gap } = await endAboveButtons();
    await page.evaluate((by) => document.querySelector('.main')!.scrollBy(0, by), 20 - gap);
    await page.waitForFunction(() => document.getElementById('more-below')!.hidden);
    expect((await endAboveButtons()).gap).toBeGreaterThan(0);

    // The queued hit expires: the banner comes above, pushing the alert's end under the buttons,
    // with no scroll or resize to say so. The cue comes with it, not at the next update.
    const hit = hitsFor(queued.id)[0]!;
    db.prepare(`UPDATE hits SET expires_at = ? WHERE id = ?`).run(Date.now(), hit.id);
    await page.locator('#missed-banner').waitFor({ state: 'visible', timeout: 10_000 });
    const withBanner = await endAboveButtons();
    expect(withBanner.gap).toBeLessThan(0);
    expect(withBanner.cue).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, 'console-banner-more-below-800.png') });

    // Acknowledged: the banner goes, the end shows above the buttons again, and so does the cue.
    const status = await page.evaluate(
      (id) => fetch(`/api/hits/${id}/acknowledge`, { method: 'POST' }).then((r) => r.status),
      hit.id,
    );
    expect(status).toBe(200);
    await page.locator('#missed-banner').waitFor({ state: 'hidden' });
    expect(await endAboveButtons()).toMatchObject({ cue: false, banner: false });
    expect((await endAboveButtons()).gap).toBeGreaterThan(0);

    await pressReject();
    await page.locator(`#reject-reasons input[value="misread"]`).check();
    await page.locator('#reject-form button[type=submit]').click();
    await page.locator('#no-alert').waitFor({ state: 'visible' });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('tells the officer at once when the console has lost the unit, and takes the buttons away', async () => {
    await saveRead('OFF0001', 'NY'); // an alert on screen when the unit goes away
    await page.locator('#hit').waitFor({ state: 'visible' });
    await parts.console.stop(); // the daemon stopped, or the cable to the unit came out
    await page.locator('#not-live').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.locator('#not-live').innerText()).toMatch(
      /^NOT LIVE since .*: this console has lost the unit/,
    );
    for (const id of ['#confirm-plate', '#confirm-state', '#verify', '#reject'])
      expect(await page.locator(id).isDisabled()).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, 'console-not-live.png') });
  });
});
