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
import { defaultConsoleConfig, defaultHotlistsConfig } from '../src/hotlist/config.js';
import { AuditLog } from '../src/policy/audit.js';
import { UserDirectory } from '../src/policy/users.js';
import { policySchema } from '../src/policy/config.js';
import { images, makeRead } from './helpers/hotlist-fixtures.js';
import { launchChromium, signIn } from './helpers/chromium.js';
import { tempDir } from './helpers/tmp.js';

// The console worked from the keyboard, and its side panel while reads keep arriving: the console
// server over HTTP on 127.0.0.1, and the page in Chromium.

const dir = tempDir('console-keyboard-');
const OLLY = 'olly secret 42';
let db: Db;
let reads: ReadStore;
let parts: HotlistParts;
let browser: Browser;
let page: Page;
let url: string;

const save = async (plate: string, state: string | null = 'NY') =>
  reads.save(makeRead(plate, state), await images(plate));

beforeAll(async () => {
  db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
  reads = new ReadStore(db, dir);
  const auditLog = new AuditLog(db);
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
    ['plate,state,list_type,reference,reason', 'KXT4821,NY,stolen-vehicle,NCIC V-4821,Stolen overnight'].join(
      '\r\n',
    ),
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
