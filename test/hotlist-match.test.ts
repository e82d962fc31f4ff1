import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../src/store/database.js';
import { allMigrations } from '../src/store/all-migrations.js';
import { HotlistStore } from '../src/hotlist/store.js';
import { Equivalence } from '../src/hotlist/normalise.js';
import { Matcher, type MatchInput } from '../src/hotlist/match.js';
import { importHotlist } from '../src/hotlist/import.js';
import { defaultHotlistsConfig } from '../src/hotlist/config.js';

const audit = { append: () => undefined };
let dir: string;
let db: Db;
let matcher: Matcher;
const NOW = Date.UTC(2026, 10, 28, 12);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hotlist-match-'));
  db = openDatabase(path.join(dir, 'unit.db'), allMigrations);
  const config = { ...defaultHotlistsConfig(), maxDifferences: { 'suspended-registration': 0 } };
  const store = new HotlistStore(db, new Equivalence(config.equivalence));
  matcher = new Matcher(store, config);
  const csv = [
    'plate,state,list_type,reference,expires,priority',
    'ABC1234,NY,stolen-vehicle,NCIC-1,,',
    'XYZ0815,,stolen-plate,NCIC-2,,', // any state
    'Q0D1I25,NJ,wanted-person,W-3,,',
    'OLD9999,NY,stolen-vehicle,NCIC-4,2026-01-31,', // expired before NOW
    'SUS4321,NY,suspended-registration,R-5,,',
    'AMB7777,PA,amber-alert,A-6,,',
    'LOW7777,PA,manual,M-7,,low',
  ].join('\n');
  // The manual row needs entered_by and reason: give them with a second file.
  writeFileSync(
    path.join(dir, 'hq.csv'),
    csv
      .split('\n')
      .filter((l) => !l.startsWith('LOW'))
      .join('\n'),
  );
  await importHotlist(store, { file: path.join(dir, 'hq.csv'), listId: 'hq', actor: 'test', audit });
  writeFileSync(
    path.join(dir, 'bolo.csv'),
    'plate,state,list_type,entered_by,reason\nAMB7778,PA,manual,sgt.lee,seen near school\n',
  );
  await importHotlist(store, { file: path.join(dir, 'bolo.csv'), listId: 'bolo', actor: 'test', audit });
});

afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Case {
  name: string;
  read: MatchInput;
  expect: { ref: string; rule: string; via?: string; stateNotRead?: boolean; diffs?: string }[];
}

const refOf = (m: { entry: { reference: string | null } }) => m.entry.reference ?? '';

// diffs: "position:read>entry" joined by spaces; an empty read or entry side means extra/missing.
const cases: Case[] = [
  {
    name: 'exact plate and state',
    read: { plate: 'ABC1234', state: 'NY' },
    expect: [{ ref: 'NCIC-1', rule: 'exact', diffs: '' }],
  },
  { name: 'state differs: no hit', read: { plate: 'ABC1234', state: 'NJ' }, expect: [] },
  {
    name: 'state not read: plate-only hit, flagged',
    read: { plate: 'ABC1234', state: null },
    expect: [{ ref: 'NCIC-1', rule: 'exact', stateNotRead: true }],
  },
  {
    name: 'entry for any state matches every state',
    read: { plate: 'XYZ0815', state: 'TX' },
    expect: [{ ref: 'NCIC-2', rule: 'exact' }],
  },
  {
    name: 'O read for 0',
    read: { plate: 'XYZO815', state: 'TX' },
    expect: [{ ref: 'NCIC-2', rule: 'equivalent', diffs: '4:O>0' }],
  },
  {
    name: 'B read for 8 and I for 1',
    read: { plate: 'XYZ0B I5', state: 'TX' },
    expect: [{ ref: 'NCIC-2', rule: 'equivalent', diffs: '5:B>8 6:I>1' }],
  },
  {
    name: 'whole class 0/O/D/Q, 1/I, 2/Z, 5/S',
    read: { plate: 'OQ0IIZS', state: 'NJ' },
    expect: [{ ref: 'W-3', rule: 'equivalent' }],
  },
  {
    name: 'lower case and punctuation in the read',
    read: { plate: 'abc-1234', state: 'NY' },
    expect: [{ ref: 'NCIC-1', rule: 'exact' }],
  },
  {
    name: 'one substitution',
    read: { plate: 'ABC1284', state: 'NY' },
    expect: [{ ref: 'NCIC-1', rule: 'differences', diffs: '6:8>3' }],
  },
  {
    name: 'one missing character',
    read: { plate: 'ABC124', state: 'NY' },
    expect: [{ ref: 'NCIC-1', rule: 'differences' }],
  },
  {
    name: 'one extra character',
    read: { plate: 'ABCX1234', state: 'NY' },
    expect: [{ ref: 'NCIC-1', rule: 'differences', diffs: '4:X>' }],
  },
  {
    name: 'difference in the first half',
    read: { plate: 'AXC1234', state: 'NY' },
    expect: [{ ref: 'NCIC-1', rule: 'differences', diffs: '2:X>B' }],
  },
  {
    name: 'one difference at the very start',
    read: { plate: 'KBC1234', state: 'NY' },
    expect: [{ ref: 'NCIC-1', rule: 'differences', diffs: '1:K>A' }],
  },
  {
    name: 'one difference at the very end',
    read: { plate: 'ABC1237', state: 'NY' },
    expect: [{ ref: 'NCIC-1', rule: 'differences', diffs: '7:7>4' }],
  },
  {
    name: 'one difference in the middle',
    read: { plate: 'ABC7234', state: 'NY' },
    expect: [{ ref: 'NCIC-1', rule: 'differences', diffs: '4:7>1' }],
  },
  {
    name: 'first character missing',
    read: { plate: 'BC1234', state: 'NY' },
    expect: [{ ref: 'NCIC-1', rule: 'differences', diffs: '1:>A' }],
  },
  {
    name: 'extra character at the end',
    read: { plate: 'ABC12349', state: 'NY' },
    expect: [{ ref: 'NCIC-1', rule: 'differences', diffs: '8:9>' }],
  },
  { name: 'two differences: no hit', read: { plate: 'AXC1294', state: 'NY' }, expect: [] },
  {
    name: 'equivalence plus one difference',
    read: { plate: 'XYZO825', state: 'TX' },
    expect: [{ ref: 'NCIC-2', rule: 'differences', diffs: '4:O>0 6:2>1' }],
  },
  { name: 'expired entry never matches', read: { plate: 'OLD9999', state: 'NY' }, expect: [] },
  {
    name: 'list type configured exact-only: equivalent matches',
    read: { plate: 'SU54321', state: 'NY' },
    expect: [{ ref: 'R-5', rule: 'equivalent' }],
  },
  {
    name: 'list type configured exact-only: one difference does not',
    read: { plate: 'SUS4521', state: 'NY' },
    expect: [],
  },
  {
    name: 'top-N candidate matches when the best reading does not',
    read: {
      plate: 'ABG1Z34',
      state: 'NY',
      candidates: [
        { plate: 'ABG1Z34', confidence: 0.6 },
        { plate: 'KLM5555', confidence: 0.2 },
        { plate: 'ABC1234', confidence: 0.1 },
      ],
    },
    expect: [{ ref: 'NCIC-1', rule: 'exact', via: 'candidate' }],
  },
  {
    name: 'best reading preferred over a candidate for the same entry',
    read: {
      plate: 'ABC1234',
      state: 'NY',
      candidates: [
        { plate: 'ABC1234', confidence: 0.9 },
        { plate: 'ABC1284', confidence: 0.1 },
      ],
    },
    expect: [{ ref: 'NCIC-1', rule: 'exact', via: 'best' }],
  },
  {
    name: 'several lists, most urgent first',
    read: { plate: 'AMB7777', state: 'PA' },
    expect: [
      { ref: 'A-6', rule: 'exact' },
      { ref: '', rule: 'differences' },
    ],
  },
  { name: 'nothing similar', read: { plate: 'QRS5678', state: 'NY' }, expect: [] },
];

describe('matcher (table)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const got = matcher.match(c.read, NOW);
      expect(got.map((m) => ({ ref: refOf(m), rule: m.rule }))).toEqual(
        c.expect.map((e) => ({ ref: e.ref, rule: e.rule })),
      );
      c.expect.forEach((e, i) => {
        const m = got[i]!;
        if (e.via) expect(m.via).toBe(e.via);
        if (e.stateNotRead !== undefined) expect(m.stateNotRead).toBe(e.stateNotRead);
        if (e.diffs !== undefined)
          expect(m.differences.map((d) => `${d.position}:${d.read}>${d.entry}`).join(' ')).toBe(e.diffs);
      });
    });
  }

  it('records the list version that produced each match', () => {
    const [m] = matcher.match({ plate: 'ABC1234', state: 'NY' }, NOW);
    expect(m?.entry.list.id).toBe('hq');
    expect(m?.entry.list.version).toMatch(/^\d{4}-/);
  });
});
