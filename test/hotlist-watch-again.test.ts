import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { openDatabase, type Db } from '../src/store/database.js';
import { allMigrations } from '../src/store/all-migrations.js';
import { ReadStore } from '../src/store/reads.js';
import { silentLogger } from '../src/log.js';
import { buildHotlist, type HotlistParts } from '../src/hotlist/services.js';
import { defaultConsoleConfig, defaultHotlistsConfig } from '../src/hotlist/config.js';
import { AuditLog } from '../src/policy/audit.js';
import { UserDirectory } from '../src/policy/users.js';
import { policySchema } from '../src/policy/config.js';
import { ReadQueries } from '../src/policy/query.js';
import { REASON_MAX_CHARS } from '../src/hotlist/types.js';
import { images, makeRead } from './helpers/hotlist-fixtures.js';
import { consoleCall, consoleSignIn } from './helpers/console-http.js';
import { tempDir } from './helpers/tmp.js';

// "Watch plate" for a plate already on the unit's watch list: the earlier watch expired, or a
// colleague's is still running. The unit's database on disk, the console's HTTP server on
// 127.0.0.1 and the read store that raises hits, on one clock the test moves forward.

const HOUR = 3_600_000;
const dir = tempDir('hotlist-watch-again-');
let db: Db;
let reads: ReadStore;
let auditLog: AuditLog;
let parts: HotlistParts;
let url: string;
let now = Date.UTC(2026, 10, 28, 12);
let a: string; // ofc.a's session
let b: string; // ofc.b's

const watch = (token: string, body: Record<string, unknown>) =>
  consoleCall(url, token, 'POST', '/api/watch', { state: 'NY', priority: 'medium', ...body });
const watching = async () => (await consoleCall(url, a, 'GET', '/api/state')).body.watching as unknown[];
const changes = () =>
  auditLog
    .list({ limit: 10_000 })
    .filter((r) => r.type === 'hotlist.change')
    .map((r) => ({ actor: r.actor, ...r.details }));

/** The hits a new read of the plate raises (the read store checks it against the lists as it is stored). */
async function hitsOfNewRead(plate: string): Promise<{ priority: number; entry: string }[]> {
  const read = await reads.save(makeRead(plate, 'NY', { ts: now }), await images(plate));
  const select = db.prepare(`SELECT priority, entry FROM hits WHERE read_id = ?`);
  for (let i = 0; i < 40 && select.all(read.id).length === 0; i++)
    await new Promise((r) => setTimeout(r, 25));
  return select.all(read.id) as { priority: number; entry: string }[];
}

beforeAll(async () => {
  db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
  reads = new ReadStore(db, dir);
  auditLog = new AuditLog(db, () => now);
  const users = new UserDirectory(db, { ...policySchema.parse({}), passwordCostLog2: 14 }, auditLog);
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
    { audit: auditLog, users, queries: new ReadQueries(db, auditLog), now: () => now },
  );
  for (const s of parts.services) await s.start();
  url = parts.console.url;
  expect(new URL(url).hostname).toBe('127.0.0.1');
  a = await consoleSignIn(url, 'ofc.a', 'ofc.a secret 42');
  b = await consoleSignIn(url, 'ofc.b', 'ofc.b secret 42');
});

afterAll(async () => {
  for (const s of [...(parts?.services ?? [])].reverse()) await s.stop();
  db?.close();
});

describe('watching a plate that is already on the watch list', () => {
  it("a colleague's running watch is renewed: the later expiry and higher priority win, both reasons stay, and the answer says so", async () => {
    const start = now;
    expect((await watch(a, { plate: 'WAT1234', reason: 'BOLO robbery', hours: 4 })).body).toMatchObject({
      added: true,
      renewed: false,
    });
    const renewed = await watch(b, {
      plate: 'WAT1234',
      reason: 'assault suspect',
      hours: 72,
      priority: 'high',
    });
    expect(renewed.status).toBe(200);
    expect(renewed.body).toEqual({
      added: false,
      renewed: true,
      // Whose watch it was, until when and why: the page shows it instead of closing.
      previous: {
        plate: 'WAT1234',
        state: 'NY',
        reason: 'BOLO robbery',
        enteredBy: 'ofc.a',
        expiresAt: start + 4 * HOUR,
        priority: 'medium',
      },
      watch: {
        plate: 'WAT1234',
        state: 'NY',
        reason: 'BOLO robbery; ofc.b: assault suspect',
        enteredBy: 'ofc.a',
        expiresAt: start + 72 * HOUR,
        priority: 'high',
      },
    });
    expect(await watching()).toEqual([renewed.body.watch]);
    // The audit says what happened: ofc.b renewed ofc.a's watch (no add of a second one).
    expect(changes().slice(-2)).toEqual([
      expect.objectContaining({
        actor: 'ofc.a',
        action: 'add',
        plate: 'WAT1234',
        expiresAt: start + 4 * HOUR,
      }),
      expect.objectContaining({
        actor: 'ofc.b',
        action: 'renew',
        plate: 'WAT1234',
        reason: 'assault suspect',
        before: expect.objectContaining({ enteredBy: 'ofc.a', expiresAt: start + 4 * HOUR, priority: 2 }),
        after: expect.objectContaining({ enteredBy: 'ofc.a', expiresAt: start + 72 * HOUR, priority: 1 }),
      }),
    ]);

    // Past ofc.a's four hours the plate is still watched, and a read of it alerts with both reasons.
    now += 5 * HOUR;
    expect(await watching()).toEqual([renewed.body.watch]);
    const hits = await hitsOfNewRead('WAT1234');
    expect(hits).toHaveLength(1);
    expect(hits[0]!.priority).toBe(1);
    expect(JSON.parse(hits[0]!.entry)).toMatchObject({ reason: 'BOLO robbery; ofc.b: assault suspect' });

    // Asking again for less than the watch already has changes nothing, and records nothing.
    const before = changes().length;
    const again = await watch(a, { plate: 'WAT1234', reason: 'BOLO robbery', hours: 4, priority: 'low' });
    expect(again.body).toMatchObject({ added: false, renewed: false, watch: renewed.body.watch });
    expect(changes()).toHaveLength(before);
  });

  it("the watch form takes a reason as long as any entry's (1000 characters), and refuses a longer one naming the limit", async () => {
    // The alert shows the reason whole, whichever way the entry came: an imported or HQ list's
    // reason is kept to 1000 characters, and the officer may say as much.
    const reason = 'Seen leaving the Main Street robbery, two occupants. '.repeat(20).slice(0, 1000);
    const ok = await watch(a, { plate: 'LNG1000', reason, hours: 4 });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect((ok.body.watch as { reason: string }).reason).toBe(reason);
    const over = await watch(a, { plate: 'LNG1001', reason: `${reason}X`, hours: 4 });
    expect(over.status).toBe(400);
    expect(over.body.error).toMatch(/^reason: at most 1000 characters \(this one has 1001\)/);
    expect(await watching()).not.toContainEqual(expect.objectContaining({ plate: 'LNG1001' }));
  });

  it('renewals keep the merged reason within the length of one reason: the first and the newest stay, the cut marked', async () => {
    const L = REASON_MAX_CHARS;
    // ofc.a's reason, whose watch it is, and ofc.b's, added by a renewal: together too long.
    const first = 'A'.repeat(Math.floor(L * 0.75));
    const second = 'B'.repeat(Math.floor(L * 0.4));
    await watch(a, { plate: 'CAP7777', reason: first, hours: 4 });
    const renewed = await watch(b, { plate: 'CAP7777', reason: second, hours: 12 });
    expect(renewed.body).toMatchObject({ added: false, renewed: true });
    // ofc.b's note is kept whole; ofc.a's reason keeps its beginning and an ellipsis, so the two
    // make exactly the limit.
    const note2 = `ofc.b: ${second}`;
    const merged = `${first.slice(0, L - note2.length - 3)}…; ${note2}`;
    expect(merged).toHaveLength(L);
    expect((renewed.body.watch as { reason: string }).reason).toBe(merged);
    // The audit record of the renewal keeps the reason given, whole.
    expect(changes().at(-1)).toMatchObject({ actor: 'ofc.b', action: 'renew', reason: second });

    // The same reason again is known (it is the newest, kept whole): nothing changes.
    const before = changes().length;
    const again = await watch(b, { plate: 'CAP7777', reason: second, hours: 12 });
    expect(again.body).toMatchObject({ added: false, renewed: false });
    expect(changes()).toHaveLength(before);

    // A third reason: the newest is kept and the reasons before it are cut from their end, so
    // ofc.a's (the beginning) stays and ofc.b's goes first.
    const third = await watch(a, { plate: 'CAP7777', reason: 'plates swapped to LKJ1234', hours: 12 });
    const note = 'ofc.a: plates swapped to LKJ1234';
    const reason = (third.body.watch as { reason: string }).reason;
    expect(reason).toBe(`${merged.slice(0, L - note.length - 3).trimEnd()}…; ${note}`);
    expect(reason.length).toBeLessThanOrEqual(L);
    expect(reason.startsWith(first.slice(0, 60))).toBe(true);

    // A reason of the full length is itself cut (with its "ofc.b: "): 60 characters of the first
    // reason always stay.
    const long = 'x'.repeat(L);
    const fourth = (await watch(b, { plate: 'CAP7777', reason: long, hours: 12 })).body.watch as {
      reason: string;
    };
    expect(fourth.reason).toBe(`${first.slice(0, 59)}…; ofc.b: ${'x'.repeat(L - 70)}…`);
    expect(fourth.reason).toHaveLength(L);

    // And a read of the plate alerts with the reason as the entry holds it.
    const hits = await hitsOfNewRead('CAP7777');
    expect(JSON.parse(hits[0]!.entry)).toMatchObject({ reason: fourth.reason });
  });

  it('a plate whose watch expired is watched afresh, and a new read of it raises a hit', async () => {
    const start = now;
    await watch(a, { plate: 'EXP4242', reason: 'BOLO robbery', hours: 4 });
    now += 5 * HOUR;
    expect(await watching()).not.toContainEqual(expect.objectContaining({ plate: 'EXP4242' }));
    expect(await hitsOfNewRead('EXP4242')).toEqual([]);

    const again = await watch(b, {
      plate: 'EXP4242',
      reason: 'assault suspect',
      hours: 12,
      priority: 'high',
    });
    expect(again.status).toBe(200);
    const fresh = {
      plate: 'EXP4242',
      state: 'NY',
      reason: 'assault suspect',
      enteredBy: 'ofc.b',
      expiresAt: now + 12 * HOUR,
      priority: 'high',
    };
    expect(again.body).toEqual({ added: true, renewed: false, watch: fresh });
    expect((await watching())[0]).toEqual(fresh);
    expect(changes().at(-1)).toEqual(
      expect.objectContaining({
        actor: 'ofc.b',
        action: 'add',
        plate: 'EXP4242',
        expiresAt: now + 12 * HOUR,
        replacedExpired: expect.objectContaining({ enteredBy: 'ofc.a', expiresAt: start + 4 * HOUR }),
      }),
    );
    const hits = await hitsOfNewRead('EXP4242');
    expect(hits).toHaveLength(1);
    expect(JSON.parse(hits[0]!.entry)).toMatchObject({ enteredBy: 'ofc.b', reason: 'assault suspect' });
  });
});
