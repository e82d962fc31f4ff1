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
// console ever showed it) until an officer acknowledges it, and HQ learns the same.

const SHOTS = process.env.CONSOLE_SCREENSHOTS ?? path.join(os.tmpdir(), 'lpr-console-shots');
/** 9 s (checked every 2 s): time to confirm one alert's plate on a loaded machine, short enough to wait for. */
const EXPIRY_MINUTES = 0.15;

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
    expiry_acked_by: string | null;
  };

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
        hotlists: { ...defaultHotlistsConfig(), hitExpiryMinutes: EXPIRY_MINUTES },
        console: { ...defaultConsoleConfig(), port: 0 },
      },
    },
    { audit: auditLog, users },
  );
  writeFileSync(
    path.join(dir, 'ncic.csv'),
    [
      'plate,state,list_type,reference,reason',
      'AMB3307,NY,amber-alert,AMBER NY-2026-114,Child abduction',
      'LOW1234,NY,suspended-registration,DMV R-5521,Registration suspended (insurance)',
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
    await expect.poll(() => hitOf(low.id).status, { timeout: 20_000, interval: 250 }).toBe('expired');
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
    await page.locator('#no-alert').waitFor({ state: 'visible', timeout: 20_000 });
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
    expect(await amberRow.innerText()).toMatch(/Shown, not verified · Child abduction/);
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
      .due(1000, Date.now())
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
});
