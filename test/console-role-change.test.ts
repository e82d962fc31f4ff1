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
import { ReadQueries } from '../src/policy/query.js';
import { images, makeRead } from './helpers/hotlist-fixtures.js';
import { launchChromium, signIn } from './helpers/chromium.js';
import { consoleCall, consoleEvents, consoleSignIn } from './helpers/console-http.js';
import { tempDir } from './helpers/tmp.js';

// Only officers work the console (policy IV.C.2; roles kept apart, III.D and VI.A). A role is
// checked at sign-in, and must still hold for every request and every push of a session: an
// officer an admin (or headquarters' roster) made a technician mid-shift verifies nothing more.

const dir = tempDir('console-role-');
let db: Db;
let reads: ReadStore;
let auditLog: AuditLog;
let users: UserDirectory;
let parts: HotlistParts;
let browser: Browser;
let page: Page;
let url: string;

const hitOf = (readId: string) =>
  db.prepare(`SELECT id, status FROM hits WHERE read_id = ?`).get(readId) as { id: string; status: string };
const auditOf = (type: string, actor: string) =>
  auditLog.list({ limit: 10_000 }).filter((r) => r.type === type && r.actor === actor);

/** Waits until the stream has ended or `ms` passed; true when it ended. */
async function endsWithin(stream: { ended: boolean }, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!stream.ended && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  return stream.ended;
}

beforeAll(async () => {
  db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
  reads = new ReadStore(db, dir);
  auditLog = new AuditLog(db);
  users = new UserDirectory(db, { ...policySchema.parse({}), passwordCostLog2: 14 }, auditLog);
  users.bootstrapAdmin('admin.ray', 'admin secret 1', '2026-01-05');
  const admin = users.signIn('admin.ray', 'admin secret 1');
  for (const name of ['olly', 'oona'])
    users.addUser(admin, { name, role: 'officer', secret: `${name} secret 42`, trained: '2026-02-01' });
  parts = buildHotlist(
    {
      db,
      reads,
      log: silentLogger(),
      config: { hotlists: defaultHotlistsConfig(), console: { ...defaultConsoleConfig(), port: 0 } },
    },
    { audit: auditLog, users, queries: new ReadQueries(db, auditLog), now: () => Date.now() },
  );
  writeFileSync(
    path.join(dir, 'ncic.csv'),
    [
      'plate,state,list_type,reference,reason',
      'KXT4821,NY,stolen-vehicle,NCIC V-4821,Stolen overnight',
      'RNB5093,NY,stolen-vehicle,NCIC V-5093,Stolen overnight',
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
});

afterAll(async () => {
  await browser?.close();
  for (const s of [...(parts?.services ?? [])].reverse()) await s.stop();
  db?.close();
});

describe('console sessions of a user whose role changes', () => {
  it('an officer an admin demotes is signed out: the open console, its event stream and every call on the cookie are refused; nothing is recorded', async () => {
    await page.goto(url);
    await signIn(page, 'olly', 'olly secret 42');
    const [cookie] = (await page.context().cookies()).filter((c) => c.name === 'lpr_console');
    const stream = await consoleEvents(url, cookie!.value);

    // An alert on screen, its pictures shown and its plate confirmed by olly.
    const read = await reads.save(makeRead('KXT4821', 'NY'), await images('KXT4821'));
    await page.waitForFunction(() => document.getElementById('hit-entry')?.textContent === 'KXT4821');
    await page.waitForFunction(
      () => !(document.getElementById('confirm-plate') as HTMLButtonElement).disabled,
    );
    await page.keyboard.press('p');
    await page.waitForFunction(
      () => document.getElementById('confirm-plate')!.getAttribute('aria-pressed') === 'true',
    );
    const hit = hitOf(read.id);

    // `lpr-edge users set-role olly --role technician`, from another process on the same database.
    const cli = new UserDirectory(db, { ...policySchema.parse({}), passwordCostLog2: 14 }, auditLog);
    cli.setRole(cli.signIn('admin.ray', 'admin secret 1'), 'olly', 'technician');
    const pushesBefore = stream.states.length;

    // The same cookie, straight at the API (what the page would send): nothing is answered.
    const call = (method: 'GET' | 'POST', p: string, body?: unknown) =>
      consoleCall(url, cookie!.value, method, p, body);
    const answers = [
      await call('GET', `/api/hits/${hit.id}/crop`),
      await call('GET', `/api/hits/${hit.id}/overview`),
      await call('GET', '/api/state'),
      await call('POST', `/api/hits/${hit.id}/confirm`, { what: 'state' }),
      await call('POST', `/api/hits/${hit.id}/verify`),
      await call('POST', '/api/watch', { plate: 'WAT1234', state: null, reason: 'BOLO', hours: 4 }),
    ];
    for (const a of answers) {
      expect(a.status).toBe(401);
      expect(a.body.error).toMatch(/^sign in first/);
    }
    expect(hitOf(read.id).status).toBe('seen');
    expect(parts.hits.events(hit.id).map((e) => `${e.action}:${e.actor}`)).toEqual([
      'raised:system',
      'seen:olly',
      'confirm-plate:olly',
    ]);
    expect(auditOf('hit.disposition', 'olly')).toEqual([]);
    expect(auditOf('hotlist.change', 'olly')).toEqual([]);

    // The next update (a read made) goes to no one: the stream is ended, the page asks for a sign-in.
    await reads.save(makeRead('HJK2210', 'NY'), await images('HJK2210'));
    expect(await endsWithin(stream, 5_000)).toBe(true);
    expect(stream.states.length).toBe(pushesBefore);
    await page.locator('#signin').waitFor({ state: 'visible', timeout: 10_000 });

    // And signing in again is refused, as for any technician.
    await signInRefused('olly', 'olly secret 42', /^the console is for officers; olly is technician$/);
  });

  it('a role changed by a roster from headquarters while signed in: the next push or call ends the session, says why and is audited', async () => {
    // Two sessions of oona's: one holding the event stream, one calling the API.
    const streaming = await consoleSignIn(url, 'oona', 'oona secret 42');
    const calling = await consoleSignIn(url, 'oona', 'oona secret 42');
    const stream = await consoleEvents(url, streaming);
    const read = await reads.save(makeRead('RNB5093', 'NY'), await images('RNB5093'));
    const hit = hitOf(read.id);
    await expect.poll(() => stream.states.length, { timeout: 5_000 }).toBeGreaterThan(1);

    // A signed roster changes her role without ending her sessions (the directory's roster path).
    users.applyRoster([{ name: 'oona', role: 'technician' }], 'hq-test');
    const pushesBefore = stream.states.length;
    await reads.save(makeRead('GMT5567', 'NY'), await images('GMT5567'));
    expect(await endsWithin(stream, 5_000)).toBe(true);
    expect(stream.states.length).toBe(pushesBefore);

    const refused = await consoleCall(url, calling, 'POST', `/api/hits/${hit.id}/verify`);
    expect(refused).toEqual({
      status: 403,
      body: { error: 'signed out: the console is for officers; oona is technician' },
    });
    // Refused once with the reason; after that the session is simply gone.
    const after = await consoleCall(url, calling, 'GET', `/api/hits/${hit.id}/crop`);
    expect(after.status).toBe(401);
    expect(hitOf(read.id).status).toBe('raised');
    expect(auditOf('hit.disposition', 'oona')).toEqual([]);
    expect(auditOf('console.refused', 'oona').map((r) => r.details)).toEqual([
      { reason: 'role', role: 'technician', session: 'ended' },
      { reason: 'role', role: 'technician', session: 'ended' },
    ]);
    expect(auditLog.verify().ok).toBe(true);
  });
});

async function signInRefused(name: string, secret: string, message: RegExp): Promise<void> {
  const res = await fetch(new URL('/api/signin', url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, secret }),
  });
  expect(res.status).toBe(403);
  expect(((await res.json()) as { error: string }).error).toMatch(message);
}
