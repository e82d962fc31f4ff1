import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../src/store/database.js';
import { allMigrations } from '../src/store/all-migrations.js';
import { HotlistStore } from '../src/hotlist/store.js';
import { Equivalence } from '../src/hotlist/normalise.js';
import { Matcher } from '../src/hotlist/match.js';
import { defaultHotlistsConfig } from '../src/hotlist/config.js';
import { DEMO_VEHICLES } from '../src/demo/scene.js';
import { STATES } from '../src/state/states.js';
import { hotlistPort } from '../src/sync/adapters.js';

const BIN = path.resolve('bin/lpr-edge.js');
let dir: string;
const ADMIN_PW = 'admin secret 1';
const OFFICER_PW = 'officer secret 2';

function cli(args: string[], password?: string, newPassword?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args, '--data-dir', dir], {
    encoding: 'utf8',
    env: { ...process.env, LPR_EDGE_PASSWORD: password ?? '', LPR_EDGE_NEW_PASSWORD: newPassword ?? '' },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hotlist-cli-'));
  expect(
    cli(['users', 'bootstrap-admin', 'admin.ray', '--trained', '2026-01-05'], undefined, ADMIN_PW).code,
  ).toBe(0);
  expect(
    cli(
      ['users', 'add', 'ofc.diaz', '--role', 'officer', '--trained', '2026-02-01', '--as', 'admin.ray'],
      ADMIN_PW,
      OFFICER_PW,
    ).code,
  ).toBe(0);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each step spawns the CLI (a fresh Node process): allow for a busy 2-core machine.
describe('lpr-edge hotlist', { timeout: 240_000 }, () => {
  it('imports as an admin only, then reports status and checks plates', () => {
    const f = path.join(dir, 'ncic.csv');
    writeFileSync(
      f,
      'plate,state,list_type,reference\nABC1234,NY,stolen-vehicle,NCIC-1\nKID0001,,amber-alert,A-9\n',
    );
    const refused = cli(['hotlist', 'import', f, '--as', 'ofc.diaz'], OFFICER_PW);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toMatch(/ofc.diaz is an officer; this needs the admin role/);
    const noId = cli(['hotlist', 'import', f]);
    expect(noId.err).toMatch(/needs an identity: add --as NAME/);
    const ok = cli(
      [
        'hotlist',
        'import',
        f,
        '--as',
        'admin.ray',
        '--generated-at',
        new Date(Date.now() - 30 * 3600_000).toISOString(),
      ],
      ADMIN_PW,
    );
    expect(ok.err).toBe('');
    expect(ok.out).toMatch(/imported ncic version .*2 rows, 2 added/);

    const status = cli(['hotlist', 'status', '--json']);
    const s = JSON.parse(status.out) as {
      lists: { id: string; entryCount: number; stale: boolean; ageHours: number }[];
    };
    expect(s.lists).toEqual([
      expect.objectContaining({ id: 'ncic', entryCount: 2, stale: true, ageHours: 30 }),
    ]);
    expect(cli(['hotlist', 'status']).out).toMatch(/ncic\tmixed\t.*\t2\t.*STALE \(over 24 h\)/);

    const hit = cli(['hotlist', 'check', 'abc-1284', '--state', 'NY', '--json']);
    expect(hit.code).toBe(0);
    expect(JSON.parse(hit.out)).toEqual([
      expect.objectContaining({
        plate: 'ABC1234',
        rule: 'differences',
        differences: [{ position: 6, read: '8', entry: '3', kind: 'substitution' }],
      }),
    ]);
    expect(cli(['hotlist', 'check', 'KIDOOO1']).out).toMatch(
      /KID0001 any state\tamber-alert\tequivalent .*STATE NOT GIVEN/,
    );
    const miss = cli(['hotlist', 'check', 'ZZZ999', '--state', 'NY']);
    expect(miss.code).toBe(1);
    expect(miss.out).toBe('ZZZ999 (NY): no match\n');
    expect(cli(['hotlist', 'check', 'ABC1234', '--state', 'XX']).err).toMatch(
      /--state: state "XX" is not a USPS code/,
    );
  });

  it('adds and removes manual entries with reason, audited', () => {
    const add = cli(
      [
        'hotlist',
        'add',
        'loc-777',
        '--state',
        'NY',
        '--reason',
        'seen at burglary scene',
        '--expires',
        '2099-01-01',
        '--as',
        'ofc.diaz',
      ],
      OFFICER_PW,
    );
    expect(add.out).toBe('added LOC777 NY (manual) to local\n');
    expect(cli(['hotlist', 'add', 'LOC778', '--state', 'NY', '--as', 'ofc.diaz'], OFFICER_PW).err).toMatch(
      /needs --reason/,
    );
    expect(cli(['hotlist', 'check', 'LOC777', '--state', 'NY']).out).toMatch(/LOC777 NY\tmanual\texact/);
    const rm = cli(
      ['hotlist', 'remove', 'LOC777', '--reason', 'cleared by detective', '--as', 'ofc.diaz'],
      OFFICER_PW,
    );
    expect(rm.out).toBe('removed 1 entry for LOC777 from local\n');
    expect(cli(['hotlist', 'check', 'LOC777', '--state', 'NY']).code).toBe(1);
    expect(cli(['hotlist', 'remove', 'LOC777', '--reason', 'x', '--as', 'ofc.diaz'], OFFICER_PW).err).toMatch(
      /is not on list "local"/,
    );
    const db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
    try {
      const rows = db
        .prepare(`SELECT type, actor, details FROM audit_log WHERE type LIKE 'hotlist.%' ORDER BY seq`)
        .all() as { type: string; actor: string; details: string }[];
      expect(
        rows.map(
          (r) => `${r.type}:${r.actor}:${(JSON.parse(r.details) as { action?: string }).action ?? ''}`,
        ),
      ).toEqual([
        'hotlist.import:admin.ray:',
        'hotlist.change:ofc.diaz:add',
        'hotlist.change:ofc.diaz:remove',
      ]);
    } finally {
      db.close();
    }
  });

  it('adding a plate already on the list renews its entry, or adds it afresh when that entry has expired, and says which', async () => {
    const add = (plate: string, as: string, password: string, ...more: string[]) =>
      cli(['hotlist', 'add', plate, '--state', 'NY', ...more, '--as', as], password);
    // An entry that expires a few seconds from now (each CLI run is a fresh Node process).
    const soon = new Date(Date.now() + 15_000).toISOString();
    expect(add('CLX001', 'ofc.diaz', OFFICER_PW, '--reason', 'seen at burglary', '--expires', soon).out).toBe(
      'added CLX001 NY (manual) to local\n',
    );
    await new Promise((r) => setTimeout(r, Date.parse(soon) + 200 - Date.now()));
    expect(cli(['hotlist', 'check', 'CLX001', '--state', 'NY']).code).toBe(1);
    expect(
      add('CLX001', 'ofc.diaz', OFFICER_PW, '--reason', 'seen again', '--expires', '2099-01-01').out,
    ).toBe(
      `added CLX001 NY (manual) to local, in place of its expired entry (entered by ofc.diaz, until ${soon}, low priority, reason "seen at burglary")\n`,
    );
    expect(cli(['hotlist', 'check', 'CLX001', '--state', 'NY']).out).toMatch(/CLX001 NY\tmanual\texact/);

    // Another user's add of an entry still running renews it: later expiry, higher priority, both reasons.
    add('CLX002', 'ofc.diaz', OFFICER_PW, '--reason', 'plates swapped', '--expires', '2099-01-01');
    const renew = add(
      'CLX002',
      'admin.ray',
      ADMIN_PW,
      '--reason',
      'wanted for questioning',
      '--priority',
      'high',
      '--expires',
      '2099-06-30',
    );
    expect(renew.code).toBe(0);
    expect(renew.out).toBe(
      'CLX002 NY (manual) was already on local (entered by ofc.diaz, until 2099-01-02T00:00:00.000Z, low priority, reason "plates swapped"): ' +
        'renewed, now entered by ofc.diaz, until 2099-07-01T00:00:00.000Z, high priority, reason "plates swapped; admin.ray: wanted for questioning"\n',
    );
    const same = add(
      'CLX002',
      'ofc.diaz',
      OFFICER_PW,
      '--reason',
      'plates swapped',
      '--expires',
      '2099-01-01',
    );
    expect(same.out).toMatch(
      /^CLX002 NY \(manual\) is already on local \(entered by ofc.diaz, until 2099-07-01.*\): nothing changed\n$/,
    );

    const db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
    try {
      const changes = (
        db
          .prepare(`SELECT actor, details FROM audit_log WHERE type = 'hotlist.change' ORDER BY seq`)
          .all() as {
          actor: string;
          details: string;
        }[]
      )
        .map((r): Record<string, unknown> => ({
          actor: r.actor,
          ...(JSON.parse(r.details) as Record<string, unknown>),
        }))
        .filter((d) => String(d.plate).startsWith('CLX'));
      // What happened, and nothing for the add that changed nothing.
      expect(changes.map((d) => [d.actor, d.action, d.plate, 'replacedExpired' in d])).toEqual([
        ['ofc.diaz', 'add', 'CLX001', false],
        ['ofc.diaz', 'add', 'CLX001', true],
        ['ofc.diaz', 'add', 'CLX002', false],
        ['admin.ray', 'renew', 'CLX002', false],
      ]);
    } finally {
      db.close();
    }
  });

  it('manual entries change only local lists: an HQ or imported list keeps its entries and its age', () => {
    const stale = path.join(dir, 'stale.csv');
    writeFileSync(stale, 'plate,state,list_type\nSTL001,NY,ncic\n');
    const generatedAt = '2001-12-01T00:00:00.000Z';
    expect(
      cli(['hotlist', 'import', stale, '--generated-at', generatedAt, '--as', 'admin.ray'], ADMIN_PW).code,
    ).toBe(0);
    // A list as sync applies it from HQ, written to the unit's database.
    const db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
    try {
      hotlistPort(new HotlistStore(db, new Equivalence(defaultHotlistsConfig().equivalence))).apply({
        type: 'hotlist',
        agency: 'nyspd',
        listId: 'nysp-wanted',
        kind: 'full',
        version: 1,
        issuedAt: Date.now() - 3600_000,
        entries: [{ plate: 'HQW001', state: 'NY', listType: 'wanted-person' }],
      });
    } finally {
      db.close();
    }
    const lists = () =>
      (JSON.parse(cli(['hotlist', 'status', '--json']).out) as { lists: Record<string, unknown>[] }).lists;
    const before = lists();

    const add = cli(
      [
        'hotlist',
        'add',
        'OFC001',
        '--state',
        'NY',
        '--reason',
        'seen',
        '--list',
        'stale',
        '--as',
        'ofc.diaz',
      ],
      OFFICER_PW,
    );
    expect(add.code).toBe(2);
    expect(add.err).toMatch(
      /^lpr-edge: list "stale" came from an import \(source not given\): it changes only by "lpr-edge hotlist import" or sync from HQ. Manual entries go to the list "local" \(leave out --list\)/,
    );
    const rm = cli(
      ['hotlist', 'remove', 'HQW001', '--reason', 'gone', '--list', 'nysp-wanted', '--as', 'ofc.diaz'],
      OFFICER_PW,
    );
    expect(rm.code).toBe(2);
    expect(rm.err).toMatch(/^lpr-edge: list "nysp-wanted" came from HQ: it changes only by/);
    const badName = cli(
      [
        'hotlist',
        'add',
        'OFC001',
        '--state',
        'NY',
        '--reason',
        'seen',
        '--list',
        'bad list',
        '--as',
        'ofc.diaz',
      ],
      OFFICER_PW,
    );
    expect(badName.code).toBe(2);
    expect(badName.err).toBe('lpr-edge: --list "bad list": use letters, digits, "-" or "_"\n');

    // The unit's own lists still take manual entries, and those leave every other list as it was.
    expect(
      cli(['hotlist', 'add', 'OFC001', '--state', 'NY', '--reason', 'seen', '--as', 'ofc.diaz'], OFFICER_PW)
        .out,
    ).toBe('added OFC001 NY (manual) to local\n');
    expect(
      cli(
        [
          'hotlist',
          'add',
          'OFC002',
          '--state',
          'NY',
          '--reason',
          'seen',
          '--list',
          'shift',
          '--as',
          'ofc.diaz',
        ],
        OFFICER_PW,
      ).out,
    ).toBe('added OFC002 NY (manual) to shift\n');
    const after = lists();
    const byId = (ls: Record<string, unknown>[], id: string) => ls.find((l) => l.id === id);
    for (const id of ['stale', 'nysp-wanted']) expect(byId(after, id)).toEqual(byId(before, id));
    expect(byId(after, 'stale')).toMatchObject({ generatedAt, stale: true, entryCount: 1 });
    expect(byId(after, 'shift')).toMatchObject({ source: 'local', stale: false, entryCount: 1 });
    expect(cli(['hotlist', 'check', 'HQW001', '--state', 'NY']).out).toMatch(
      /HQW001 NY\twanted-person\texact/,
    );
    expect(cli(['hotlist', 'check', 'OFC001', '--state', 'NY']).out).not.toMatch(/list stale/);
    expect(cli(['hotlist', 'status']).out).not.toMatch(/bad list/);
  });

  it('refuses a CSV with a column twice or a row of another width, and keeps the list as it was', () => {
    const f = path.join(dir, 'cols.csv');
    const imp = (text: string) => {
      writeFileSync(f, text);
      return cli(['hotlist', 'import', f, '--as', 'admin.ray'], ADMIN_PW);
    };
    expect(imp('plate,state,list_type\nCOL001,NY,ncic\n').code).toBe(0);
    const version = () =>
      (
        JSON.parse(cli(['hotlist', 'status', '--json']).out) as { lists: { id: string; version: string }[] }
      ).lists.find((l) => l.id === 'cols')?.version;
    const v1 = version();

    // Two plate columns: only the first was read, the second plate silently dropped.
    const dup = imp('plate,plate,list_type\nCOL002,COL003,ncic\n');
    expect(dup.code).toBe(2);
    expect(dup.err).toMatch(
      /line 1: columns 1 \("plate"\) and 2 \("plate"\) both give plate; remove one.*nothing imported/,
    );
    const alias = imp('Plate,State,Tag,List Type\nCOL002,NY,COL003,ncic\n');
    expect(alias.code).toBe(2);
    expect(alias.err).toMatch(/line 1: columns 1 \("Plate"\) and 3 \("Tag"\) both give plate/);
    // A vehicle description with an unquoted comma pushes the fields after it one column on.
    const ragged = imp(
      'plate,state,list_type,vehicle,reason\nCOL002,NY,ncic,"Honda, grey",x\nCOL003,NY,ncic,Honda, grey,x\nCOL004,NY\n',
    );
    expect(ragged.code).toBe(2);
    expect(ragged.err).toMatch(
      /2 bad rows; nothing imported.*line 3: 6 fields where the header has 5; quote a field that contains ","; line 4: 2 fields where the header has 5/,
    );
    for (const r of [dup, alias, ragged]) expect(r.err).not.toMatch(/unexpected error/);
    expect(version()).toBe(v1);
    expect(cli(['hotlist', 'check', 'COL001', '--state', 'NY']).code).toBe(0);
    for (const plate of ['COL002', 'COL003', 'COL004'])
      expect(cli(['hotlist', 'check', plate, '--state', 'NY']).out).not.toMatch(
        new RegExp(`^${plate} `, 'm'),
      );
  });

  it('a delta renews an entry already on the list: its new expiry and reference take effect', () => {
    const header = 'plate,state,list_type,expires,reference\n';
    const full = path.join(dir, 'renew.csv');
    writeFileSync(full, header + 'RNW1234,NY,stolen-vehicle,2020-01-01,OLD\n');
    expect(cli(['hotlist', 'import', full, '--as', 'admin.ray'], ADMIN_PW).code).toBe(0);
    expect(cli(['hotlist', 'check', 'RNW1234', '--state', 'NY']).out).toBe('RNW1234 (NY): no match\n');

    const delta = path.join(dir, 'renew-delta.csv');
    writeFileSync(delta, header + 'RNW1234,NY,stolen-vehicle,2099-12-31,NEW\n');
    const imp = cli(
      ['hotlist', 'import', delta, '--delta', '--list', 'renew', '--as', 'admin.ray'],
      ADMIN_PW,
    );
    expect(imp.err).toBe('');
    expect(imp.out).toMatch(/1 rows, 0 added, 1 updated, 0 duplicates, 0 removed, 0 skipped/);
    const hit = cli(['hotlist', 'check', 'RNW1234', '--state', 'NY', '--json']);
    expect(hit.code).toBe(0);
    expect(JSON.parse(hit.out)).toEqual([
      expect.objectContaining({ list: 'renew', plate: 'RNW1234', rule: 'exact', reference: 'NEW' }),
    ]);
    const db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
    try {
      const store = new HotlistStore(db, new Equivalence(defaultHotlistsConfig().equivalence));
      expect(store.findInList('renew', 'RNW1234')).toEqual([
        expect.objectContaining({ expiresAt: Date.parse('2100-01-01T00:00:00Z'), reference: 'NEW' }),
      ]);
    } finally {
      db.close();
    }
  });

  it("an unknown code in an extract read through a mapping is answered with the mapping's codes", () => {
    const config = path.join(dir, 'mapping-config.json');
    writeFileSync(
      config,
      JSON.stringify({
        unitId: 'car-1',
        agency: 'nyspd',
        dataDir: dir,
        vision: { detector: { model: 'unused.onnx' }, recogniser: { model: 'unused.onnx' } },
        hotlists: {
          mappings: {
            nysp: {
              delimiter: '|',
              columns: { plate: 'LIC_NO', state: 'LIC_ST', list_type: 'CAT' },
              listTypeValues: { V: 'stolen-vehicle', L: 'stolen-plate', W: 'wanted-person' },
            },
          },
        },
      }),
    );
    const f = path.join(dir, 'extract.txt');
    writeFileSync(f, 'LIC_ST|LIC_NO|CAT\nNY|MAP001|V\nNY|MAP002|Q\n');
    const r = cli(
      ['hotlist', 'import', f, '--mapping', 'nysp', '--config', config, '--as', 'admin.ray'],
      ADMIN_PW,
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /line 3: unknown list type "Q"; the mapping's codes are V \(stolen-vehicle\), L \(stolen-plate\), W \(wanted-person\)\n$/,
    );
  });

  it('refuses a list generated in the future, which would show a negative age and never go stale', () => {
    const f = path.join(dir, 'ahead.csv');
    writeFileSync(f, 'plate,state,list_type\nAHD001,NY,ncic\n');
    const flag = cli(['hotlist', 'import', f, '--generated-at', '2030-01-01', '--as', 'admin.ray'], ADMIN_PW);
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(
      /^lpr-edge: hotlist .*ahead.csv: --generated-at 2030-01-01T00:00:00.000Z is in the future \(this unit's clock says .*; 5 minutes of clock difference are allowed\).*set --generated-at to that time; nothing imported\n$/,
    );
    const json = path.join(dir, 'ahead.json');
    writeFileSync(
      json,
      JSON.stringify({
        format: 'lpr-edge.hotlist',
        formatVersion: 1,
        list: { id: 'ahead', type: 'ncic', version: 'v1', generatedAt: '2099-01-01T00:00:00Z' },
        entries: [{ plate: 'AHD001', state: 'NY' }],
      }),
    );
    const doc = cli(['hotlist', 'import', json, '--as', 'admin.ray'], ADMIN_PW);
    expect(doc.code).toBe(2);
    expect(doc.err).toMatch(/list.generatedAt 2099-01-01T00:00:00.000Z is in the future/);
    const lists = () =>
      (JSON.parse(cli(['hotlist', 'status', '--json']).out) as { lists: { id: string }[] }).lists;
    expect(lists().map((l) => l.id)).not.toContain('ahead');
    // A source whose clock runs a little ahead is no error: that much is clock skew.
    const skew = new Date(Date.now() + 2 * 60_000).toISOString();
    expect(cli(['hotlist', 'import', f, '--generated-at', skew, '--as', 'admin.ray'], ADMIN_PW).code).toBe(0);
    expect(lists()).toContainEqual(expect.objectContaining({ id: 'ahead', stale: false }));
  });

  it('refuses words that name properties every object inherits, with a clear message', () => {
    // "toString" and "constructor" are found by `in` on any object: they once reached SQLite as
    // functions and crashed with a stack trace.
    const add = cli(
      [
        'hotlist',
        'add',
        'ZZP124',
        '--state',
        'ANY',
        '--reason',
        'x',
        '--priority',
        'toString',
        '--as',
        'ofc.diaz',
      ],
      OFFICER_PW,
    );
    expect(add.code).toBe(2);
    expect(add.err).toBe('lpr-edge: --priority must be high, medium or low\n');
    const f = path.join(dir, 'inherited.csv');
    writeFileSync(f, 'plate,state,list_type,priority\nPRI001,NY,ncic,constructor\n');
    const imp = cli(['hotlist', 'import', f, '--as', 'admin.ray'], ADMIN_PW);
    expect(imp.code).toBe(2);
    expect(imp.err).toMatch(/line 2: priority "constructor" is not high, medium, low/);
    const mapping = cli(['hotlist', 'import', f, '--mapping', 'toString', '--as', 'admin.ray'], ADMIN_PW);
    expect(mapping.code).toBe(2);
    expect(mapping.err).toMatch(/--mapping "toString" is not in the config's hotlists.mappings/);
    for (const r of [add, imp, mapping]) expect(r.err).not.toMatch(/unexpected error|\n\s+at /);
    expect(cli(['hotlist', 'check', 'ZZP124']).code).toBe(1);
    expect(cli(['hotlist', 'check', 'PRI001']).code).toBe(1);
  });

  it('a replacement takes effect atomically while lookups continue in another process', async () => {
    const N = 60_000;
    const write = (file: string, prefix: string) =>
      new Promise<void>((resolve) => {
        const s = createWriteStream(file);
        s.write('plate,state,list_type\n');
        for (let i = 0; i < N; i++) s.write(`${prefix}${String(i).padStart(6, '0')},NY,stolen-vehicle\n`);
        s.end(resolve);
      });
    const v1 = path.join(dir, 'big-v1.csv');
    const v2 = path.join(dir, 'big-v2.csv');
    await write(v1, 'A');
    await write(v2, 'B');
    expect(
      cli(['hotlist', 'import', v1, '--list', 'big', '--version', 'v1', '--as', 'admin.ray'], ADMIN_PW).code,
    ).toBe(0);

    const db: Db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
    // Exact matching only: every plate of these lists is one digit away from thousands of others.
    const config = { ...defaultHotlistsConfig(), defaultMaxDifferences: 0 };
    const matcher = new Matcher(new HotlistStore(db, new Equivalence(config.equivalence)), config);
    // One read whose alternatives name a plate of each version: a consistent snapshot matches exactly one.
    const read = {
      plate: 'A000777',
      state: 'NY',
      candidates: [
        { plate: 'A000777', confidence: 0.5 },
        { plate: 'B000777', confidence: 0.4 },
      ],
    };
    const child = spawn(
      process.execPath,
      [
        BIN,
        'hotlist',
        'import',
        v2,
        '--list',
        'big',
        '--version',
        'v2',
        '--as',
        'admin.ray',
        '--data-dir',
        dir,
      ],
      {
        env: { ...process.env, LPR_EDGE_PASSWORD: ADMIN_PW },
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let done = false;
    void exited.then(() => (done = true));
    const seen: string[] = [];
    let lookups = 0;
    const deadline = Date.now() + 120_000;
    try {
      while (!done && Date.now() < deadline) {
        const matches = matcher.match(read).filter((m) => m.entry.list.id === 'big');
        lookups++;
        expect(matches).toHaveLength(1);
        const m = matches[0]!;
        expect(m.entry.plate).toBe(m.entry.list.version === 'v1' ? 'A000777' : 'B000777');
        if (seen.at(-1) !== m.entry.list.version) seen.push(m.entry.list.version);
        await new Promise((r) => setImmediate(r));
      }
      expect(await exited).toBe(0);
      const after = matcher.match(read).filter((m) => m.entry.list.id === 'big');
      expect(after.map((m) => `${m.entry.list.version}:${m.entry.plate}`)).toEqual(['v2:B000777']);
      // Lookups ran throughout and saw the old version, then the new one, never a mix or a gap.
      expect(lookups).toBeGreaterThan(50);
      expect(seen[0]).toBe('v1');
    } finally {
      db.close();
    }
  });
});

// Last: it adds a list the tests above do not expect.
describe('the sample hotlist', { timeout: 240_000 }, () => {
  it('imports the sample hotlist shipped for the demo, whose entries match the demo recording', () => {
    const ok = cli(
      ['hotlist', 'import', 'hotlists/demo.csv', '--list', 'demo', '--as', 'admin.ray'],
      ADMIN_PW,
    );
    expect(ok.err).toBe('');
    expect(ok.out).toMatch(/imported demo version .*4 rows, 4 added/);
    const rules = DEMO_VEHICLES.map((v) => {
      const state = STATES.find((s) => s.name === v.stateName)!.code;
      const r = cli(['hotlist', 'check', v.plate, '--state', state, '--json']);
      expect(r.code, v.plate).toBe(0);
      return (JSON.parse(r.out) as { rule: string }[]).map((m) => m.rule);
    });
    expect(rules).toEqual([['exact'], ['differences'], ['equivalent']]);
  });
});
