import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
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
import { listQueryLog, ReadQueries } from '../src/policy/query.js';
import { images, makeRead } from './helpers/hotlist-fixtures.js';
import { consoleCall, consoleEvents, consoleSignIn } from './helpers/console-http.js';
import { tempDir } from './helpers/tmp.js';

// The console's feed is the live view of reads as the unit makes them. Reads stored before the
// daemon started are not shown there: looking at them is a lookup of stored read data, which
// needs a purpose and goes to the query log (policy III.B). Hits still open from before a
// restart are another matter: they are alerts the officer must still verify.

const dir = tempDir('console-feed-');
const SECRET = 'olly secret 42';

interface RunningUnit {
  db: Db;
  reads: ReadStore;
  audit: AuditLog;
  parts: HotlistParts;
}
let running: RunningUnit | null = null;

/** Opens the data dir and starts matching and the console on it, as the daemon does at start. */
async function startUnit(): Promise<RunningUnit> {
  const db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
  const reads = new ReadStore(db, dir);
  const audit = new AuditLog(db);
  const users = new UserDirectory(db, { ...policySchema.parse({}), passwordCostLog2: 14 }, audit);
  const parts = buildHotlist(
    {
      db,
      reads,
      log: silentLogger(),
      config: { hotlists: defaultHotlistsConfig(), console: { ...defaultConsoleConfig(), port: 0 } },
    },
    { audit, users, queries: new ReadQueries(db, audit), now: () => Date.now() },
  );
  for (const s of parts.services) await s.start();
  running = { db, reads, audit, parts };
  return running;
}

async function stopUnit(unit: RunningUnit): Promise<void> {
  for (const s of [...unit.parts.services].reverse()) await s.stop();
  unit.db.close();
  running = null;
}

afterAll(async () => {
  if (running) await stopUnit(running);
});

const feedPlates = (state: Record<string, unknown>) =>
  (state.feed as { plate: string }[]).map((r) => r.plate);

describe('the console feed across a restart', () => {
  it('shows only reads made since the daemon started; a hit left open before the restart still works', async () => {
    // First run: users, a list, a few reads and a hit nobody dealt with before the unit stopped.
    const first = await startUnit();
    const users = new UserDirectory(
      first.db,
      { ...policySchema.parse({}), passwordCostLog2: 14 },
      first.audit,
    );
    users.bootstrapAdmin('admin.ray', 'admin secret 1', '2026-01-05');
    users.addUser(users.signIn('admin.ray', 'admin secret 1'), {
      name: 'olly',
      role: 'officer',
      secret: SECRET,
      trained: '2026-02-01',
    });
    writeFileSync(
      path.join(dir, 'ncic.csv'),
      'plate,state,list_type,reference\r\nKXT4821,NY,stolen-vehicle,NCIC V-4821\r\n',
    );
    await importHotlist(first.parts.store, {
      file: path.join(dir, 'ncic.csv'),
      listId: 'ncic',
      actor: 'admin.ray',
      audit: first.audit,
    });
    for (const plate of ['HJK2210', 'GMT5567', 'KXT4821', 'PLR0093'])
      await first.reads.save(makeRead(plate, 'NY'), await images(plate));
    const before = await consoleSignIn(first.parts.console.url, 'olly', SECRET);
    const live = await consoleCall(first.parts.console.url, before, 'GET', '/api/state');
    expect(feedPlates(live.body)).toEqual(['PLR0093', 'KXT4821', 'GMT5567', 'HJK2210']);
    await stopUnit(first);

    // Restarted on the same data dir: nothing from the store in the feed, on either channel.
    const unit = await startUnit();
    const url = unit.parts.console.url;
    const token = await consoleSignIn(url, 'olly', SECRET);
    const state = await consoleCall(url, token, 'GET', '/api/state');
    expect(state.status).toBe(200);
    expect(feedPlates(state.body)).toEqual([]);
    const stream = await consoleEvents(url, token);
    expect(feedPlates(stream.states[0]!)).toEqual([]);

    // The open hit is the alert on screen, with its read, as before the restart.
    const current = state.body.current as {
      id: string;
      entry: { plate: string };
      read: { plate: string; hasCrop: boolean; hasOverview: boolean };
    };
    expect(current.entry.plate).toBe('KXT4821');
    expect(current.read).toMatchObject({ plate: 'KXT4821', hasCrop: true, hasOverview: true });

    // Reads made now are the feed, as they are made.
    await unit.reads.save(makeRead('NEW5555', 'NY'), await images('NEW5555'));
    await expect.poll(() => feedPlates(stream.states.at(-1)!), { timeout: 5_000 }).toEqual(['NEW5555']);
    expect(feedPlates((await consoleCall(url, token, 'GET', '/api/state')).body)).toEqual(['NEW5555']);
    stream.close();

    // And the officer works the hit from before the restart to the end (looking at its pictures
    // for a second first: a confirmation sooner than that is refused, src/alerts/shown.ts).
    for (const [method, p] of [
      ['POST', 'seen'],
      ['GET', 'crop'],
      ['GET', 'overview'],
    ] as const)
      expect((await consoleCall(url, token, method, `/api/hits/${current.id}/${p}`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_050));
    for (const [method, p, body] of [
      ['POST', 'confirm', { what: 'plate' }],
      ['POST', 'confirm', { what: 'state' }],
      ['POST', 'verify', undefined],
    ] as const)
      expect((await consoleCall(url, token, method, `/api/hits/${current.id}/${p}`, body)).status).toBe(200);
    expect(unit.parts.hits.get(current.id)!.status).toBe('verified');
    expect(unit.audit.list({ type: 'hit.disposition', actor: 'olly' }).map((r) => r.details.outcome)).toEqual(
      ['verified'],
    );
    // Nothing here was a search of stored reads.
    expect(listQueryLog(unit.db)).toEqual([]);
  });
});
