import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../src/store/database.js';
import { allMigrations } from '../src/store/all-migrations.js';
import { HotlistStore } from '../src/hotlist/store.js';
import { Equivalence } from '../src/hotlist/normalise.js';
import { Matcher, type MatchInput } from '../src/hotlist/match.js';
import { importHotlist } from '../src/hotlist/import.js';
import { defaultHotlistsConfig, hotlistsSchema, type HotlistsConfig } from '../src/hotlist/config.js';
import {
  boundedEditDistance,
  maxDifferencesForLength,
  neighbourhood,
  planNearScan,
} from '../src/hotlist/near.js';
import { LIST_TYPES, type ListType } from '../src/hotlist/types.js';

const audit = { append: () => undefined };
const NOW = Date.UTC(2026, 10, 28, 12);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hotlist-diff-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Per list type: stolen vehicles 2, wanted persons 3, NCIC 1 (the default), suspended 0. */
const PER_TYPE: Partial<Record<ListType, number>> = {
  'stolen-vehicle': 2,
  'wanted-person': 3,
  'suspended-registration': 0,
};
const config = (over: Partial<HotlistsConfig> = {}): HotlistsConfig => ({
  ...defaultHotlistsConfig(),
  maxDifferences: PER_TYPE,
  defaultMaxDifferences: 1,
  ...over,
});

async function listDb(name: string, csv: string): Promise<{ db: Db; store: HotlistStore }> {
  const db = openDatabase(path.join(dir, `${name}.db`), allMigrations);
  const store = new HotlistStore(db, new Equivalence(defaultHotlistsConfig().equivalence));
  writeFileSync(path.join(dir, `${name}.csv`), csv);
  await importHotlist(store, { file: path.join(dir, `${name}.csv`), listId: name, actor: 'test', audit });
  return { db, store };
}

describe('N character differences (table)', () => {
  let db: Db;
  let matcher: Matcher;
  beforeAll(async () => {
    const l = await listDb(
      'table',
      [
        'plate,state,list_type,reference',
        'ABC1234,NY,stolen-vehicle,SV-1', // 2 differences
        'WNT45678,,wanted-person,WP-2', // 3 differences, any state
        'KXT4821,NJ,ncic,NC-3', // 1 difference (default)
        'SUS4321,NY,suspended-registration,SR-4', // exact or equivalent only
        'MPX7390,PA,stolen-vehicle,SV-5',
      ].join('\n'),
    );
    db = l.db;
    matcher = new Matcher(l.store, config());
  });
  afterAll(() => db.close());

  interface Case {
    name: string;
    read: MatchInput;
    expect: { ref: string; rule: string; diffs?: string; stateNotRead?: boolean }[];
  }
  // diffs: "position:read>entry", positions 1-based in the reading; an empty side is extra/missing.
  const cases: Case[] = [
    {
      name: 'two substitutions',
      read: { plate: 'AXC1294', state: 'NY' },
      expect: [{ ref: 'SV-1', rule: 'differences', diffs: '2:X>B 6:9>3' }],
    },
    {
      name: 'two substitutions at both ends',
      read: { plate: 'XBC1237', state: 'NY' },
      expect: [{ ref: 'SV-1', rule: 'differences', diffs: '1:X>A 7:7>4' }],
    },
    {
      name: 'one inserted and one substituted',
      read: { plate: 'ABCX1294', state: 'NY' },
      expect: [{ ref: 'SV-1', rule: 'differences', diffs: '4:X> 7:9>3' }],
    },
    {
      name: 'one missing and one substituted',
      read: { plate: 'AXC124', state: 'NY' },
      expect: [{ ref: 'SV-1', rule: 'differences', diffs: '2:X>B 6:>3' }],
    },
    {
      name: 'two inserted',
      read: { plate: 'AABC12344', state: 'NY' },
      expect: [{ ref: 'SV-1', rule: 'differences' }],
    },
    {
      name: 'two substitutions on top of look-alikes (8/B, I/1)',
      read: { plate: 'A8XI294', state: 'NY' },
      expect: [{ ref: 'SV-1', rule: 'differences', diffs: '2:8>B 3:X>C 4:I>1 6:9>3' }],
    },
    {
      name: 'three differences on a 2-difference list: no hit',
      read: { plate: 'XXC1294', state: 'NY' },
      expect: [],
    },
    { name: 'two differences, wrong state: no hit', read: { plate: 'AXC1294', state: 'NJ' }, expect: [] },
    {
      name: 'two differences, state not read: hit flagged',
      read: { plate: 'AXC1294', state: null },
      expect: [{ ref: 'SV-1', rule: 'differences', stateNotRead: true }],
    },
    {
      name: 'three substitutions on a 3-difference list',
      read: { plate: 'WXT4X6X8', state: 'TX' },
      expect: [{ ref: 'WP-2', rule: 'differences', diffs: '2:X>N 5:X>5 7:X>7' }],
    },
    {
      name: 'three mixed: inserted, missing, substituted',
      read: { plate: 'WNXT4568', state: 'TX' },
      expect: [{ ref: 'WP-2', rule: 'differences' }],
    },
    {
      name: 'three missing (a reading of 5: at most 1 difference)',
      read: { plate: 'WT457', state: 'TX' },
      expect: [],
    },
    {
      name: 'two missing from an 8-character entry (a reading of 6)',
      read: { plate: 'WT4567', state: 'TX' },
      expect: [{ ref: 'WP-2', rule: 'differences', diffs: '2:>N 7:>8' }],
    },
    {
      name: 'four differences on a 3-difference list: no hit',
      read: { plate: 'XXT4X6X8', state: 'TX' },
      expect: [],
    },
    {
      name: 'NCIC (default 1): one difference matches',
      read: { plate: 'KXT4X21', state: 'NJ' },
      expect: [{ ref: 'NC-3', rule: 'differences', diffs: '5:X>8' }],
    },
    { name: 'NCIC (default 1): two differences do not', read: { plate: 'KXT4X2X', state: 'NJ' }, expect: [] },
    { name: 'suspended (0): one difference does not', read: { plate: 'SUS4X21', state: 'NY' }, expect: [] },
    {
      name: 'suspended (0): look-alikes still match',
      read: { plate: 'SU5432I', state: 'NY' },
      expect: [{ ref: 'SR-4', rule: 'equivalent' }],
    },
    {
      name: 'a short reading tolerates fewer differences (5 characters: 1)',
      read: { plate: 'ABC12', state: 'NY' },
      expect: [],
    },
    {
      name: 'the fewer-difference reading is reported when a candidate is closer',
      read: {
        plate: 'AXC1294',
        state: 'NY',
        candidates: [
          { plate: 'AXC1294', confidence: 0.5 },
          { plate: 'ABC1294', confidence: 0.4 },
        ],
      },
      expect: [{ ref: 'SV-1', rule: 'differences', diffs: '6:9>3' }],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const got = matcher.match(c.read, NOW);
      expect(got.map((m) => ({ ref: m.entry.reference, rule: m.rule }))).toEqual(
        c.expect.map((e) => ({ ref: e.ref, rule: e.rule })),
      );
      c.expect.forEach((e, i) => {
        const m = got[i]!;
        if (e.stateNotRead !== undefined) expect(m.stateNotRead).toBe(e.stateNotRead);
        if (e.diffs !== undefined)
          expect(m.differences.map((d) => `${d.position}:${d.read}>${d.entry}`).join(' ')).toBe(e.diffs);
        // Never beyond the list type's limit.
        const real = m.differences.filter((d) => d.kind !== 'equivalent').length;
        expect(real).toBeLessThanOrEqual(PER_TYPE[m.entry.listType] ?? 1);
      });
    });
  }

  it('exactOnlyAbove: a list larger than the limit matches exact/equivalent only', () => {
    const big = new Matcher(matcher.store, config({ exactOnlyAbove: 3 }));
    expect(big.match({ plate: 'AXC1294', state: 'NY' }, NOW)).toEqual([]);
    expect(big.match({ plate: 'A8C1Z34', state: 'NY' }, NOW).map((m) => m.rule)).toEqual(['equivalent']);
  });

  it('the config accepts 0–3 per list type and refuses more', () => {
    expect(hotlistsSchema.parse({ maxDifferences: { 'wanted-person': 3 } }).maxDifferences).toEqual({
      'wanted-person': 3,
    });
    expect(hotlistsSchema.safeParse({ maxDifferences: { ncic: 4 } }).success).toBe(false);
    expect(hotlistsSchema.safeParse({ defaultMaxDifferences: 4 }).success).toBe(false);
  });
});

describe('N-difference search finds exactly what a full scan finds', () => {
  const LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789';
  let seed = 12345;
  const rnd = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const pick = () => LETTERS[Math.floor(rnd() * LETTERS.length)]!;
  const randomPlate = () => Array.from({ length: 4 + Math.floor(rnd() * 5) }, pick).join('');
  /** Apply k random edits (substitute, insert, delete). */
  const mutate = (p: string, k: number) => {
    let s = p;
    for (let i = 0; i < k; i++) {
      const at = Math.floor(rnd() * (s.length + 1));
      const op = Math.floor(rnd() * 3);
      if (op === 0 && at < s.length) s = s.slice(0, at) + pick() + s.slice(at + 1);
      else if (op === 1 && s.length < 10) s = s.slice(0, at) + pick() + s.slice(at);
      else if (s.length > 1 && at < s.length) s = s.slice(0, at) + s.slice(at + 1);
    }
    return s;
  };

  it('over 3,000 entries of all list types and 400 readings with 0–4 edits', async () => {
    const plates: string[] = [];
    const rows = ['plate,state,list_type,reference,entered_by,reason'];
    for (let i = 0; i < 3000; i++) {
      // Families of similar plates, so readings are near several entries at once.
      const p =
        i % 3 === 0 || plates.length === 0 ? randomPlate() : mutate(plates[plates.length - 1]!, 1 + (i % 3));
      plates.push(p);
      rows.push(`${p},${i % 4 === 0 ? '' : 'NY'},${LIST_TYPES[i % LIST_TYPES.length]},R${i},sgt.lee,seen`);
    }
    const { db, store } = await listDb('brute', rows.join('\n'));
    try {
      const cfg = config({ defaultMaxDifferences: 1 });
      const matcher = new Matcher(store, cfg);
      const eq = store.equivalence;
      const all = db.prepare(`SELECT id, plate, ekey, state, list_type FROM hotlist_entries`).all() as {
        id: number;
        plate: string;
        ekey: string;
        state: string;
        list_type: ListType;
      }[];
      let withDiffs = 0;
      for (let r = 0; r < 400; r++) {
        const read = mutate(plates[Math.floor(rnd() * plates.length)]!, r % 5);
        if (read.length === 0) continue;
        const key = eq.key(read);
        const expected = all
          .filter((e) => {
            if (e.state !== '' && e.state !== 'NY') return false;
            const allowed = Math.min(PER_TYPE[e.list_type] ?? 1, maxDifferencesForLength(key.length));
            return boundedEditDistance(e.ekey, key, 3) <= allowed;
          })
          .map((e) => e.id)
          .sort((a, b) => a - b);
        const got = matcher
          .match({ plate: read, state: 'NY' }, NOW)
          .map((m) => m.entry.id)
          .sort((a, b) => a - b);
        expect(got, `reading ${read}`).toEqual(expected);
        if (got.length > 0 && read !== plates.find((p) => p === read)) withDiffs++;
      }
      // The readings did exercise the difference search, not just exact keys.
      expect(withDiffs).toBeGreaterThan(50);
    } finally {
      db.close();
    }
  });

  it('bounded edit distance and the one-edit neighbourhood', () => {
    expect(boundedEditDistance('ABC1234', 'AXC1294', 3)).toBe(2);
    expect(boundedEditDistance('ABC1234', 'ABC1234', 0)).toBe(0);
    expect(boundedEditDistance('ABC1234', 'XXXX234', 2)).toBe(3); // capped at max + 1
    expect(boundedEditDistance('WNT45678', 'WT4567', 3)).toBe(2);
    // Short readings tolerate fewer differences, so no scan reads a large part of a list.
    expect([2, 3, 4, 5, 6, 7, 8, 12].map(maxDifferencesForLength)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    const alphabet = new Equivalence(defaultHotlistsConfig().equivalence).alphabet;
    for (let len = 1; len <= 12; len++)
      for (let n = 1; n <= 3; n++) {
        const plan = planNearScan('ABCDEFGHJKLM'.slice(0, len), n, alphabet);
        if (maxDifferencesForLength(len) === 0) expect(plan).toBeNull();
        else
          for (const p of [...plan!.keyPrefixes, ...plan!.reversedPrefixes])
            expect(p.length).toBeGreaterThanOrEqual(2);
      }
    const n = neighbourhood('AB', ['A', 'B', 'C']);
    for (const s of ['AB', 'CB', 'AC', 'B', 'A', 'CAB', 'ACB', 'ABC']) expect(n).toContain(s);
  });
});

describe('lpr-edge hotlist check with differences (CLI, SQLite file)', { timeout: 120_000 }, () => {
  it('reports the differing characters and respects the configured limits', async () => {
    const dataDir = path.join(dir, 'unit');
    const db = openDatabase(path.join(dataDir, 'lpr-edge.db'), allMigrations);
    try {
      const store = new HotlistStore(db, new Equivalence(defaultHotlistsConfig().equivalence));
      writeFileSync(
        path.join(dir, 'cli.csv'),
        'plate,state,list_type,reference\nABC1234,NY,stolen-vehicle,SV-1\nWNT45678,,wanted-person,WP-2\n',
      );
      await importHotlist(store, { file: path.join(dir, 'cli.csv'), listId: 'hq', actor: 'test', audit });
    } finally {
      db.close();
    }
    const configFile = path.join(dir, 'unit.yaml');
    writeFileSync(
      configFile,
      `unitId: t\nagency: a\ndataDir: ${dataDir}\nvision: { detector: { model: unused.onnx }, recogniser: { model: unused.onnx } }\nhotlists:\n  defaultMaxDifferences: 1\n  maxDifferences: { stolen-vehicle: 2, wanted-person: 3 }\n`,
    );
    const check = (...args: string[]) =>
      spawnSync(
        process.execPath,
        [path.resolve('bin/lpr-edge.js'), 'hotlist', 'check', ...args, '--config', configFile],
        {
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
    const two = check('AXC-1294', '--state', 'NY', '--json');
    expect(two.stderr).toBe('');
    expect(two.status).toBe(0);
    expect(JSON.parse(two.stdout)).toEqual([
      expect.objectContaining({
        plate: 'ABC1234',
        rule: 'differences',
        differences: [
          { position: 2, read: 'X', entry: 'B', kind: 'substitution' },
          { position: 6, read: '9', entry: '3', kind: 'substitution' },
        ],
      }),
    ]);
    const three = check('WXT4X6X8');
    expect(three.status).toBe(0);
    expect(three.stdout).toMatch(
      /^WNT45678 any state\twanted-person\tdifferences \(2:X\/N substitution, 5:X\/5 substitution, 7:X\/7 substitution\)\tSTATE NOT GIVEN/,
    );
    const tooMany = check('XXC1294', '--state', 'NY');
    expect(tooMany.status).toBe(1);
    expect(tooMany.stdout).toBe('XXC1294 (NY): no match\n');
  });
});
