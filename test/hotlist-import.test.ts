import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../src/store/database.js';
import { allMigrations } from '../src/store/all-migrations.js';
import { HotlistStore } from '../src/hotlist/store.js';
import { Equivalence } from '../src/hotlist/normalise.js';
import { importHotlist, InputError, type ImportOptions } from '../src/hotlist/import.js';
import { readCsv } from '../src/hotlist/csv.js';
import { addManualEntry } from '../src/hotlist/manual.js';
import { defaultHotlistsConfig, mappingSchema } from '../src/hotlist/config.js';

let dir: string;
let db: Db;
let store: HotlistStore;
let audit: { type: string; actor: string; details: Record<string, unknown> }[];

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hotlist-import-'));
  db = openDatabase(path.join(dir, 'unit.db'), allMigrations);
  store = new HotlistStore(db, new Equivalence(defaultHotlistsConfig().equivalence));
  audit = [];
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

function run(f: string, opts: Partial<ImportOptions> = {}) {
  return importHotlist(store, {
    file: f,
    actor: 'admin.ray',
    audit: { append: (e) => void audit.push(e) },
    ...opts,
  });
}

function plates(listId: string): string[] {
  return (
    db
      .prepare(
        `SELECT e.plate || ':' || e.state || ':' || e.list_type AS p FROM hotlist_entries e JOIN hotlists h ON h.active_version_id = e.version_id WHERE h.id = ? ORDER BY e.plate`,
      )
      .all(listId) as { p: string }[]
  ).map((r) => r.p);
}

async function rejects(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected the import to be rejected');
}

describe('CSV import', () => {
  it('reads a BOM, CRLF line ends, quoted fields with commas, quotes and line breaks', async () => {
    const csv =
      '\uFEFFplate,state,list_type,vehicle,reason\r\n' +
      'ABC1234,NY,stolen-vehicle,"Honda, grey","said ""armed"""\r\n' +
      'XYZ987,NJ,ncic,,"two\r\nlines"\r\n';
    const report = await run(file('ncic.csv', csv));
    expect(report).toMatchObject({ listId: 'ncic', rows: 2, imported: 2, skippedCount: 0 });
    expect(plates('ncic')).toEqual(['ABC1234:NY:stolen-vehicle', 'XYZ987:NJ:ncic']);
    const row = db.prepare(`SELECT vehicle, reason FROM hotlist_entries WHERE plate = 'ABC1234'`).get();
    expect(row).toEqual({ vehicle: 'Honda, grey', reason: 'said "armed"' });
    expect(
      (db.prepare(`SELECT reason FROM hotlist_entries WHERE plate = 'XYZ987'`).get() as { reason: string })
        .reason,
    ).toBe('two\r\nlines');
  });

  it('normalises lower case and punctuation in plates and states', async () => {
    await run(file('l.csv', 'Plate,State,List Type\nabc-123,ny,Stolen Vehicle\n"k 9.x",Any,ncic\n'));
    expect(plates('l')).toEqual(['ABC123:NY:stolen-vehicle', 'K9X::ncic']);
  });

  it('keeps one of duplicate rows and counts the rest', async () => {
    const r = await run(
      file('d.csv', 'plate,state,list_type\nABC123,NY,ncic\nabc 123,NY,ncic\nABC123,NJ,ncic\n'),
    );
    expect(r).toMatchObject({ rows: 3, imported: 2, duplicates: 1 });
  });

  it('strict mode rejects the whole file with line numbers and keeps the previous version active', async () => {
    await run(file('hq.csv', 'plate,state,list_type\nOLD111,NY,ncic\n'), { version: 'v1' });
    const bad =
      'plate,state,list_type\nNEW111,NY,ncic\n,NY,ncic\nNEW222,XX,ncic\n"multi\nline",NY,ncic\nNEW333,NY,stolen-bike\nNEW444,NY,ncic\n';
    const err = await rejects(run(file('hq.csv', bad), { version: 'v2' }));
    expect(err.message).toMatch(/4 bad rows; nothing imported, the previous version stays active/);
    expect(err.problems.map((p) => p.line)).toEqual([3, 4, 5, 7]);
    expect(err.message).toMatch(/line 4: state "XX" is not a USPS code/);
    expect(err.message).toMatch(/line 7: unknown list type "stolen-bike"; use one of stolen-vehicle, /);
    expect(plates('hq')).toEqual(['OLD111:NY:ncic']);
    expect(store.list('hq')?.version).toBe('v1');
    // Nothing of the rejected version is left behind.
    expect((db.prepare(`SELECT COUNT(*) AS n FROM hotlist_entries`).get() as { n: number }).n).toBe(1);
    expect(audit.map((a) => a.type)).toEqual(['hotlist.import', 'hotlist.import-rejected']);
  });

  it('audits a file refused before its rows are read (UTF-16, a ZIP, binary) as a rejected import', async () => {
    const files = [
      file('utf16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('plate\nABC1\n', 'utf16le')])),
      file('sheet.csv', Buffer.from('PK\u0003\u0004rest of a zip')),
      file('blob.csv', Buffer.from([1, 0, 2, 0, 3])),
    ];
    for (const f of files) await rejects(run(f, { listId: 'hq' }));
    expect(audit).toEqual(
      files.map((f) =>
        expect.objectContaining({
          type: 'hotlist.import-rejected',
          actor: 'admin.ray',
          details: expect.objectContaining({ file: path.basename(f), list: 'hq' }),
        }),
      ),
    );
  });

  it('lenient mode skips and reports bad rows', async () => {
    const r = await run(
      file('hq.csv', 'plate,state,list_type\nGOOD1,NY,ncic\nABCDEFGHJKLM,NY,ncic\nGOOD2,NY,wanted\n'),
      { strict: false },
    );
    expect(r.imported).toBe(1);
    expect(r.skipped.map((s) => [s.line, s.message])).toEqual([
      [3, 'plate "ABCDEFGHJKLM" is longer than 10 characters'],
      [4, expect.stringMatching(/unknown list type "wanted"/)],
    ]);
    expect(audit[0]).toMatchObject({
      type: 'hotlist.import',
      actor: 'admin.ray',
      details: { skipped: 2, imported: 1 },
    });
  });

  it('refuses files that are not CSV', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    expect((await rejects(run(file('x.csv', png)))).message).toMatch(/binary data, not a CSV/);
    expect((await rejects(run(file('notes.csv', 'Dear chief,\nthe list is late.\n')))).message).toMatch(
      /line 1: header has no plate and list_type \(or give --type\) column .*is this a hotlist CSV/,
    );
    expect((await rejects(run(file('e.csv', '')))).message).toMatch(/empty file/);
    expect((await rejects(run(file('q.csv', 'plate,state,list_type\n"ABC,NY,ncic\n')))).message).toMatch(
      /line 2: a quoted field is never closed/,
    );
    expect(await rejects(run(file('h.csv', 'plate,state,list_type\n')))).toHaveProperty(
      'message',
      expect.stringMatching(/no valid entries/),
    );
  });

  it('--type supplies the list type when the file has no column for it', async () => {
    await run(file('amber.csv', 'plate,state\nKID001,PA\n'), { type: 'amber-alert' });
    expect(plates('amber')).toEqual(['KID001:PA:amber-alert']);
    expect(store.list('amber')?.type).toBe('amber-alert');
  });

  it('reads agency extracts through a column mapping (delimiter, header names, type codes)', async () => {
    const mapping = mappingSchema.parse({
      delimiter: '|',
      columns: { plate: 'LIC_NO', state: 'LIC_ST', list_type: 'CAT', reference: 'NIC' },
      listTypeValues: { V: 'stolen-vehicle', L: 'stolen-plate' },
    });
    await run(file('ext.txt', 'NIC|LIC_ST|LIC_NO|CAT\nV000111|NY|ABC123|V\nL000222|CT|DEF456|L\n'), {
      mapping,
      listId: 'ncic',
    });
    expect(plates('ncic')).toEqual(['ABC123:NY:stolen-vehicle', 'DEF456:CT:stolen-plate']);
    const noHeader = mappingSchema.parse({ header: false, delimiter: '\t', columns: { plate: 2, state: 1 } });
    await run(file('tabs.tsv', 'NY\tQQQ111\nNJ\tRRR222\n'), {
      mapping: noHeader,
      type: 'wanted-person',
      listId: 'w',
    });
    expect(plates('w')).toEqual(['QQQ111:NY:wanted-person', 'RRR222:NJ:wanted-person']);
    const missing = mappingSchema.parse({ columns: { plate: 'TAG' } });
    expect(
      (await rejects(run(file('m.csv', 'PLATE,ST\nA1,NY\n'), { mapping: missing, type: 'ncic' }))).message,
    ).toMatch(/column "TAG" for plate is not in the header/);
  });

  it('takes no inherited object property for a column, code or priority', async () => {
    // A header "constructor" is no field, and a mapping has no code "toString" unless it says so.
    await run(file('c.csv', 'constructor,plate,state,list_type\nx,CTR001,NY,ncic\n'));
    expect(plates('c')).toEqual(['CTR001:NY:ncic']);
    const mapping = mappingSchema.parse({ listTypeValues: { V: 'stolen-vehicle' } });
    const err = await rejects(
      run(file('m.csv', 'plate,state,list_type,priority\nAAA111,NY,toString,\nBBB222,NY,V,constructor\n'), {
        mapping,
      }),
    );
    expect(err.problems.map((p) => [p.line, p.message])).toEqual([
      [2, expect.stringMatching(/unknown list type "toString"/)],
      [3, 'priority "constructor" is not high, medium, low (or 1, 2, 3)'],
    ]);
    expect(store.list('m')).toBeUndefined();
  });

  it('refuses a column a mapping names twice, and rows wider or narrower than the first', async () => {
    const mapping = mappingSchema.parse({ delimiter: '|', columns: { plate: 'LIC_NO', list_type: 'CAT' } });
    expect(
      (await rejects(run(file('m.txt', 'LIC_NO|CAT|LIC_NO\nAAA111|ncic|BBB222\n'), { mapping }))).message,
    ).toMatch(
      /line 1: columns 1 \("LIC_NO"\) and 3 \("LIC_NO"\) both give the mapping's "LIC_NO"; give plate as a column number/,
    );
    const noHeader = mappingSchema.parse({ header: false, columns: { plate: 1, state: 2 } });
    const err = await rejects(
      run(file('n.csv', 'AAA111,NY\nBBB222,NY,extra\nCCC333\n'), { mapping: noHeader, type: 'ncic' }),
    );
    expect(err.problems.map((p) => [p.line, p.message])).toEqual([
      [2, '3 fields where line 1 has 2; quote a field that contains ","'],
      [3, '1 field where line 1 has 2'],
    ]);
    expect(store.list('m')).toBeUndefined();
    expect(store.list('n')).toBeUndefined();
    // Lenient: skipped and reported like any bad row.
    const r = await run(file('l.csv', 'plate,state,list_type\nAAA111,NY,ncic\nBBB222,NY,ncic,x\n'), {
      strict: false,
    });
    expect(r).toMatchObject({
      imported: 1,
      skippedCount: 1,
      skipped: [expect.objectContaining({ line: 3 })],
    });
  });

  it('refuses a manual entry that does not say who entered it and why (policy III.C)', async () => {
    const csv =
      'plate,state,list_type,entered_by,reason\n' +
      'MAN001,NY,manual,,seen at the scene\n' +
      'MAN002,NY,manual,sgt.lee,\n' +
      'MAN003,NY,manual,sgt.lee,BOLO\n' +
      'NCI004,NY,ncic,,\n';
    const err = await rejects(run(file('bolo.csv', csv)));
    expect(err.problems.map((p) => [p.line, p.message])).toEqual([
      [2, 'a manual entry needs entered_by and reason'],
      [3, 'a manual entry needs entered_by and reason'],
    ]);
    expect(store.list('bolo')).toBeUndefined();
    // With who and why, it is imported and keeps both.
    await run(file('bolo.csv', 'plate,state,list_type,entered_by,reason\nMAN003,NY,manual,sgt.lee,BOLO\n'));
    expect(store.findInList('bolo', 'MAN003')).toEqual([
      expect.objectContaining({ listType: 'manual', enteredBy: 'sgt.lee', reason: 'BOLO' }),
    ]);
  });

  it("refuses a file dated ahead of the unit's clock as the list's generation time", async () => {
    const f = file('late.csv', 'plate,state,list_type\nLTE001,NY,ncic\n');
    utimesSync(f, new Date('2031-01-01T00:00:00Z'), new Date('2031-01-01T00:00:00Z'));
    expect((await rejects(run(f))).message).toMatch(
      /the file's modification time 2031-01-01T00:00:00.000Z is in the future .*give that time with --generated-at; nothing imported/,
    );
    expect(store.list('late')).toBeUndefined();
    // Up to five minutes ahead is clock skew; past that it is refused.
    const now = () => Date.parse('2030-12-31T23:55:00Z');
    await run(f, { now });
    expect(store.list('late')?.generatedAt).toBe(Date.parse('2031-01-01T00:00:00Z'));
    await rejects(run(f, { now: () => Date.parse('2030-12-31T23:54:59Z') }));
  });

  it("refuses to import under the unit's own list or source (never stale, open to officers)", async () => {
    const f = file('agency.csv', 'plate,state,list_type\nAGY001,NY,ncic\n');
    expect((await rejects(run(f, { listId: 'local' }))).message).toMatch(
      /the list "local" holds the unit's manual entries .*import under another list id/,
    );
    expect((await rejects(run(f, { source: 'local' }))).message).toMatch(
      /source "local" is reserved for the unit's own manual entries/,
    );
    expect(store.list('local')).toBeUndefined();
    expect(store.list('agency')).toBeUndefined();
  });

  it('refuses to import over a list of manual entries made on the unit under another name', async () => {
    // Officers keep a second watch list ("hotlist add --list watch"); a file named watch.csv
    // would otherwise replace their entries and reasons, and lock them out of the list.
    addManualEntry(store, { append: () => undefined }, 'ofc.diaz', {
      plate: 'WCH001',
      state: 'NY',
      reason: 'seen leaving the burglary',
      listId: 'watch',
    });
    for (const mode of ['replace', 'delta'] as const) {
      const f = file('watch.csv', 'plate,state,list_type\nAGY001,NY,ncic\n');
      expect((await rejects(run(f, { mode }))).message).toMatch(
        /the list "watch" holds manual entries made on this unit .*import under another list id/,
      );
    }
    expect(store.findInList('watch', 'WCH001')).toEqual([
      expect.objectContaining({ enteredBy: 'ofc.diaz', reason: 'seen leaving the burglary' }),
    ]);
    expect(store.findInList('watch', 'AGY001')).toEqual([]);
    expect(store.list('watch')?.source).toBe('local');
  });

  it('applies a delta: adds and removes in one step', async () => {
    await run(file('hq.csv', 'plate,state,list_type\nAAA111,NY,ncic\nBBB222,NY,ncic\n'));
    const r = await run(
      file('hq-delta.csv', 'plate,state,list_type,action\nCCC333,NY,ncic,add\nAAA111,NY,ncic,remove\n'),
      { listId: 'hq', mode: 'delta' },
    );
    expect(r).toMatchObject({ imported: 1, removed: 1 });
    expect(plates('hq')).toEqual(['BBB222:NY:ncic', 'CCC333:NY:ncic']);
    expect(store.list('hq')?.entryCount).toBe(2);
  });

  it("a delta's add for an entry already on the list replaces its fields: a renewed expiry and reference", async () => {
    const header = 'plate,state,list_type,expires,reference\n';
    await run(file('ncic.csv', header + 'ABC1234,NY,stolen-vehicle,2020-01-01,OLD\nKEEP001,NY,ncic,,K-1\n'));
    const r = await run(
      file(
        'ncic-delta.csv',
        header + 'ABC1234,NY,stolen-vehicle,2099-12-31,NEW\nKEEP001,NY,ncic,,K-1\nNEW0001,NY,ncic,,N-1\n',
      ),
      { listId: 'ncic', mode: 'delta' },
    );
    // KEEP001 is on the list as given: a duplicate, not an update.
    expect(r).toMatchObject({ imported: 1, updated: 1, duplicates: 1, removed: 0 });
    const [entry] = store.findInList('ncic', 'ABC1234');
    expect(entry).toMatchObject({ expiresAt: Date.parse('2100-01-01T00:00:00Z'), reference: 'NEW' });
    expect(store.lookupKey(store.equivalence.key('ABC1234'), Date.now())).toHaveLength(1);
    expect(store.list('ncic')?.entryCount).toBe(3);
    expect(audit.at(-1)!.details).toMatchObject({ mode: 'delta', imported: 1, updated: 1, duplicates: 1 });
  });

  it('a delta that removes and adds one entry leaves the added one: removes go first', async () => {
    await run(file('hq.csv', 'plate,state,list_type,reference\nAAA111,NY,ncic,OLD\nBBB222,NY,ncic,B\n'));
    const r = await run(
      file(
        'hq-delta.csv',
        'plate,state,list_type,reference,action\n' +
          'AAA111,NY,ncic,,remove\nAAA111,NY,ncic,NEW,add\n' +
          // Document order is not what decides: an add before the remove of its entry stays too.
          'BBB222,NY,ncic,B2,add\nBBB222,NY,ncic,,remove\nGONE999,NY,ncic,,remove\n',
      ),
      { listId: 'hq', mode: 'delta' },
    );
    expect(r).toMatchObject({ imported: 2, updated: 0, removed: 2, notFound: 1 });
    expect(plates('hq')).toEqual(['AAA111:NY:ncic', 'BBB222:NY:ncic']);
    expect(store.findInList('hq', 'AAA111')[0]!.reference).toBe('NEW');
    expect(store.findInList('hq', 'BBB222')[0]!.reference).toBe('B2');
  });

  it('refuses an entry given twice in one file with different fields, naming both lines; identical copies are kept once', async () => {
    await run(file('hq.csv', 'plate,state,list_type\nOLD111,NY,ncic\n'), { version: 'v1' });
    const text =
      'plate,state,list_type,expires,reference\n' +
      'ABC1234,NY,stolen-vehicle,2020-01-01,R-1\n' +
      'XYZ999,NY,ncic,,X\n' +
      'abc-1234,ny,stolen-vehicle,2099-12-31,R-1\n' +
      'XYZ999,NY,ncic,,X\n';
    const err = await rejects(run(file('hq.csv', text), { version: 'v2' }));
    expect(err.message).toMatch(/1 bad row; nothing imported, the previous version stays active/);
    expect(err.problems).toEqual([
      {
        line: 4,
        where: 'line 4',
        message:
          'ABC1234 NY (stolen-vehicle) is also given at line 2, with another expires; give each entry once (which of the two is meant cannot be told)',
      },
    ]);
    expect(plates('hq')).toEqual(['OLD111:NY:ncic']);
    // --lenient: the later copy is skipped and reported, like any bad row.
    const r = await run(file('hq.csv', text), { version: 'v3', strict: false });
    expect(r).toMatchObject({ imported: 2, duplicates: 1, skippedCount: 1 });
    expect(r.skipped[0]!.message).toMatch(/is also given at line 2/);
  });

  it('parses quotes split across stream chunks', async () => {
    async function* chunks() {
      for (const c of ['a,"x', '"', '"y",b\r', '\nc,"', '"', '\n']) yield c;
    }
    const out = [];
    for await (const r of readCsv(chunks())) out.push(r);
    expect(out).toEqual([
      { line: 1, fields: ['a', 'x"y', 'b'] },
      { line: 2, fields: ['c', ''] },
    ]);
  });
});

describe('JSON import', () => {
  const doc = (over: object) =>
    JSON.stringify({
      format: 'lpr-edge.hotlist',
      formatVersion: 1,
      list: {
        id: 'nysp-wanted',
        type: 'wanted-person',
        version: '2026-11-28.1',
        generatedAt: '2026-11-28T06:00:00Z',
        source: 'NYSP',
      },
      entries: [
        {
          plate: 'wnt-001',
          state: 'NY',
          reference: 'W-1',
          priority: 'high',
          expires: '2027-01-31',
          vehicle: 'Black sedan',
        },
        { plate: 'WNT002', state: 'ANY', listType: 'ncic' },
      ],
      ...over,
    });

  it('imports the project format with list metadata', async () => {
    const r = await run(file('w.json', doc({})));
    expect(r).toMatchObject({ listId: 'nysp-wanted', version: '2026-11-28.1', imported: 2 });
    expect(plates('nysp-wanted')).toEqual(['WNT001:NY:wanted-person', 'WNT002::ncic']);
    expect(store.list('nysp-wanted')).toMatchObject({
      generatedAt: Date.parse('2026-11-28T06:00:00Z'),
      source: 'NYSP',
      entryCount: 2,
    });
  });

  it('names the bad entry and imports nothing', async () => {
    const err = await rejects(
      run(file('w.json', doc({ entries: [{ plate: 'OK1' }, { plate: 'OK2', state: 'Z9' }, { plate: 7 }] }))),
    );
    expect(err.message).toMatch(/2 bad entries; nothing imported.*entries\[1\]: state "Z9".*entries\[2\]/);
    expect(store.lists()).toEqual([]);
  });

  it('refuses an entry with a key it does not know, naming the key meant', async () => {
    // "expiry" is not the key for the expiry: dropped, the entry would never expire.
    const text = doc({
      entries: [
        { plate: 'WNT001', state: 'NY' },
        { plate: 'EXP001', state: 'NY', expiry: '2020-01-31' },
        { plate: 'EXP002', state: 'NY', colour: 'red' },
      ],
    });
    const err = await rejects(run(file('w.json', text)));
    expect(err.message).toMatch(/2 bad entries; nothing imported/);
    expect(err.problems.map((p) => `${p.where}: ${p.message}`)).toEqual([
      'entries[1]: unknown key "expiry"; did you mean "expires"? (line 1)',
      'entries[2]: unknown key "colour"; the keys are plate, state, listType, source, reference, priority, expires, vehicle, reason, enteredBy (line 1)',
    ]);
    expect(store.lists()).toEqual([]);
  });

  it('refuses a document of another kind', async () => {
    expect((await rejects(run(file('other.json', '{"hello": 1}')))).message).toMatch(
      /not a lpr-edge hotlist document: format/,
    );
    expect((await rejects(run(file('bad.json', '{"format": ')))).message).toMatch(/not valid JSON/);
  });

  it('refuses an entry given twice with different fields, naming both elements', async () => {
    const text = doc({
      entries: [
        { plate: 'WNT001', state: 'NY', expires: '2020-01-31' },
        { plate: 'WNT002', state: 'NY' },
        { plate: 'WNT001', state: 'NY', expires: '2027-01-31', reference: 'W-9' },
      ],
    });
    const err = await rejects(run(file('w.json', text)));
    expect(err.problems.map((p) => `${p.where}: ${p.message}`)).toEqual([
      'entries[2]: WNT001 NY (wanted-person) is also given at entries[0], with another reference and expires; give each entry once (which of the two is meant cannot be told) (line 1)',
    ]);
    expect(store.lists()).toEqual([]);
  });

  it('applies a delta document', async () => {
    await run(file('w.json', doc({})));
    await run(
      file(
        'w2.json',
        doc({
          mode: 'delta',
          list: {
            id: 'nysp-wanted',
            type: 'wanted-person',
            version: '2026-11-28.2',
            generatedAt: '2026-11-28T07:00:00Z',
          },
          entries: [{ plate: 'WNT003', state: 'NY' }],
          removes: [{ plate: 'WNT001', state: 'NY', listType: 'wanted-person' }],
        }),
      ),
    );
    expect(plates('nysp-wanted')).toEqual(['WNT002::ncic', 'WNT003:NY:wanted-person']);
    expect(store.list('nysp-wanted')?.version).toBe('2026-11-28.2');
  });
});

describe('import duration', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is the real time taken when NTP sets the clock forward an hour mid-import (not an hour)', async () => {
    const f = file('list.csv', 'plate,state,list_type\nABC1234,NY,stolen-vehicle\n');
    const realNow = Date.now.bind(Date);
    let calls = 0;
    // The first reading of the clock is before the step, every later one after it.
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + (calls++ === 0 ? 0 : 3_600_000));
    const report = await run(f, { listId: 'ncic' });
    expect(report.imported).toBe(1);
    expect(report.durationMs).toBeGreaterThanOrEqual(0);
    expect(report.durationMs).toBeLessThan(60_000);
  });
});
