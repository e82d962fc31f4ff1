import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../src/store/database.js';
import { allMigrations } from '../src/store/all-migrations.js';

/**
 * What `lpr-edge hotlist import` makes of a file's text: its encoding, the dates in it and the
 * empty rows spreadsheets leave at the end. Through the CLI, into the unit's database on disk.
 */

const BIN = path.resolve('bin/lpr-edge.js');
const ADMIN_PW = 'admin secret 1';
/** The importers' read sizes (src/hotlist/import.ts): a character may be split between two reads. */
const CSV_CHUNK = 4 << 20;
const JSON_CHUNK = 1 << 20;
let dir: string;

function cli(args: string[], password = '') {
  const r = spawnSync(process.execPath, [BIN, ...args, '--data-dir', dir], {
    encoding: 'utf8',
    env: { ...process.env, LPR_EDGE_PASSWORD: password, LPR_EDGE_NEW_PASSWORD: ADMIN_PW },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function importFile(name: string, content: string | Buffer, ...args: string[]) {
  const f = path.join(dir, name);
  writeFileSync(f, content);
  return cli(['hotlist', 'import', f, ...args, '--as', 'admin.ray'], ADMIN_PW);
}

/** The active version of each list, as `hotlist status` reports it. */
function versions(): Record<string, string> {
  const s = JSON.parse(cli(['hotlist', 'status', '--json']).out) as {
    lists: { id: string; version: string }[];
  };
  return Object.fromEntries(s.lists.map((l) => [l.id, l.version]));
}

/** A column of the active entries for a plate, read from the unit's database file. */
function stored(plate: string, column: 'vehicle' | 'expires_at' | 'reason' | 'reference'): unknown[] {
  const db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
  try {
    return (
      db
        .prepare(
          `SELECT e.${column} AS v FROM hotlist_entries e JOIN hotlists h ON h.active_version_id = e.version_id WHERE e.plate = ?`,
        )
        .all(plate) as { v: unknown }[]
    ).map((r) => r.v);
  } finally {
    db.close();
  }
}

function jsonDoc(id: string, entries: Record<string, unknown>[]): string {
  const list = { id, type: 'ncic', version: 'v1', generatedAt: '2026-01-02T03:04:05Z' };
  return JSON.stringify({ format: 'lpr-edge.hotlist', formatVersion: 1, list, entries }, null, 2) + '\n';
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hotlist-text-'));
  expect(cli(['users', 'bootstrap-admin', 'admin.ray', '--trained', '2026-01-05']).code).toBe(0);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each step spawns the CLI (a fresh Node process): allow for a busy 2-core machine.
describe('hotlist import: the text of the file', { timeout: 240_000 }, () => {
  it('refuses a CSV or JSON file that is not UTF-8, naming the line; the previous version stays', () => {
    const header = 'plate,state,list_type,vehicle\n';
    const ok = importFile('cars.csv', header + 'ENC001,NY,ncic,Ford\n', '--version', 'v1');
    expect(ok.err).toBe('');
    // Latin-1 (Windows-1252) as a spreadsheet saves it: "ë" is the one byte 0xEB.
    const latin1 = Buffer.from(header + 'ENC001,NY,ncic,Ford\nENC002,NY,ncic,Citroën\n', 'latin1');
    const bad = importFile('cars.csv', latin1, '--version', 'v2');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(
      /^lpr-edge: hotlist .*cars\.csv: line 3: byte 0xEB is not UTF-8 text.*save the file as UTF-8 .*; nothing imported\n$/,
    );
    expect(versions().cars).toBe('v1');
    expect(stored('ENC002', 'vehicle')).toEqual([]);

    const doc = Buffer.from(
      jsonDoc('cars-json', [
        { plate: 'ENC003', state: 'NY' },
        { plate: 'ENC004', state: 'NY', vehicle: 'Citroën' },
      ]),
      'latin1',
    );
    const badJson = importFile('cars.json', doc);
    expect(badJson.code).toBe(2);
    const vehicleLine = doc.subarray(0, doc.indexOf('Citro')).toString().split('\n').length;
    expect(badJson.err).toMatch(
      new RegExp(
        `^lpr-edge: hotlist .*cars\\.json: line ${vehicleLine}: byte 0xEB is not UTF-8 text.*save the file as UTF-8.*; nothing imported\\n$`,
      ),
    );
    expect(versions()['cars-json']).toBeUndefined();
    for (const r of [bad, badJson]) expect(r.err).not.toMatch(/unexpected error|\n\s+at /);
  });

  it('says a UTF-16 file is UTF-16 and how to save it, rather than "binary data"', () => {
    const text = 'plate,state,list_type\nU16001,NY,ncic\n';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16(); // FE FF, then each character's bytes high first
    for (const [name, content] of [
      ['utf16le.csv', le],
      ['utf16be.csv', be],
      ['utf16.json', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(jsonDoc('u16', []), 'utf16le')])],
    ] as const) {
      const r = importFile(name, content);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(
        new RegExp(
          `^lpr-edge: hotlist .*${name}: UTF-16 text; save the file as UTF-8 .*and import it again\\n$`,
        ),
      );
      expect(r.err).not.toMatch(/binary/);
    }
    expect(Object.keys(versions())).not.toContain('utf16le');
  });

  it('says a UTF-16 file without a byte-order mark is UTF-16 too', () => {
    const text = 'plate,state,list_type\nU16002,NY,ncic\n';
    const le = Buffer.from(text, 'utf16le');
    const be = Buffer.from(le);
    be.swap16();
    for (const [name, content] of [
      ['nobom-le.csv', le],
      ['nobom-be.csv', be],
    ] as const) {
      const r = importFile(name, content);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(
        new RegExp(
          `^lpr-edge: hotlist .*${name}: UTF-16 text; save the file as UTF-8 .*and import it again\\n$`,
        ),
      );
    }
    // A file with NUL bytes that is no UTF-16 text is still binary data.
    const blob = importFile('blob.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 0x49, 0x48]));
    expect(blob.err).toMatch(/binary data, not a CSV or JSON text file/);
  });

  it('reads UTF-8 with or without a byte-order mark, characters split between reads included', () => {
    const header = 'plate,state,list_type,vehicle\n';
    const bom = importFile('bom.csv', '\uFEFF' + header + 'UTF001,NY,ncic,Citroën\n');
    expect(bom.err).toBe('');
    expect(stored('UTF001', 'vehicle')).toEqual(['Citroën']);

    // A CSV of more than one read with a two-byte "ë" across the boundary between the first two;
    // a Latin-1 byte after that boundary is reported on its line.
    let text = header;
    for (let i = 0; i < Math.floor((CSV_CHUNK - 200) / 21); i++)
      text += `A${String(i).padStart(6, '0')},NY,ncic,Ford\n`; // 21 bytes
    text += 'SPLIT1,NY,ncic,Citro';
    text += 'x'.repeat(CSV_CHUNK - 1 - Buffer.byteLength(text)) + 'ë\nSPLIT2,NY,ncic,Ford\n';
    expect(
      Buffer.from(text)
        .subarray(CSV_CHUNK - 1, CSV_CHUNK + 1)
        .toString(),
    ).toBe('ë');
    const big = importFile('split.csv', text);
    expect(big.err).toBe('');
    expect(stored('SPLIT1', 'vehicle')).toEqual([expect.stringMatching(/^Citrox+ë$/)]);
    expect(stored('SPLIT2', 'vehicle')).toEqual(['Ford']);
    const lines = text.split('\n').length; // the line after the last
    const broken = importFile(
      'split.csv',
      Buffer.concat([Buffer.from(text), Buffer.from('LAT001,NY,ncic,Citroën\n', 'latin1')]),
    );
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(new RegExp(`: line ${lines}: byte 0xEB is not UTF-8 text`));

    // JSON is read in smaller pieces: a three-byte "€" two bytes before the boundary, one after.
    const entries = (n: number) => {
      const out: Record<string, unknown>[] = [];
      for (let i = 0; i < n; i++) out.push({ plate: `J${String(i).padStart(6, '0')}`, state: 'NY' });
      return [...out, { plate: 'SPLITJ', state: 'NY', vehicle: 'Citro€' }];
    };
    const size = (n: number) => Buffer.byteLength(jsonDoc('split-json', entries(n)));
    const n = Math.floor((JSON_CHUNK - size(0) - 200) / (size(1) - size(0)));
    let json = jsonDoc('split-json', entries(n));
    const pad = JSON_CHUNK - 2 - (Buffer.from(json).indexOf('Citro') + 'Citro'.length);
    json = json.replace('"Citro€"', `"Citro${'x'.repeat(pad)}€"`);
    expect(
      Buffer.from(json)
        .subarray(JSON_CHUNK - 2, JSON_CHUNK + 1)
        .toString(),
    ).toBe('€');
    const jr = importFile('split.json', json);
    expect(jr.err).toBe('');
    expect(stored('SPLITJ', 'vehicle')).toEqual([expect.stringMatching(/^Citrox+€$/)]);
  });

  it('refuses an expiry that is no calendar date or time instead of rolling it over', () => {
    const csv =
      'plate,state,list_type,expires\n' +
      'EXP001,NY,ncic,2027-02-28T23:59:59+05:30\n' +
      'EXP002,NY,ncic,2027-02-30T10:00:00Z\n' +
      'EXP003,NY,ncic,2027-12-31T24:00:00Z\n' +
      'EXP004,NY,ncic,2027-04-31T00:00:00-05:00\n' +
      'EXP005,NY,ncic,2027-06-01T12:60:00Z\n' +
      'EXP006,NY,ncic,2027-06-01T12:00:00+24:00\n' +
      'EXP007,NY,ncic,2028-02-29T12:00:00.250Z\n';
    const r = importFile('expiry.csv', csv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/5 bad rows; nothing imported/);
    expect(r.err).toMatch(/line 3: expires "2027-02-30T10:00:00Z" is not a date: 2027-02 has no day 30;/);
    expect(r.err).toMatch(
      /line 4: expires "2027-12-31T24:00:00Z" is not a time: hour 24 \(hours run 00–23; midnight is T00:00 of the next day\)/,
    );
    expect(r.err).toMatch(
      /line 5: expires "2027-04-31T00:00:00-05:00" is not a date: 2027-04 has no day 31;/,
    );
    expect(r.err).toMatch(
      /line 6: expires "2027-06-01T12:60:00Z" is not a time: minute 60 \(minutes run 00–59\)/,
    );
    expect(r.err).toMatch(/line 7: expires "2027-06-01T12:00:00\+24:00" is not a time: offset \+24:00/);
    expect(r.err).not.toMatch(/line [28]:/);
    expect(versions().expiry).toBeUndefined();

    // The valid ones, alone, import at the instant they name.
    const good = importFile(
      'expiry.csv',
      csv
        .split('\n')
        .filter((l, i) => [0, 1, 7].includes(i))
        .join('\n'),
    );
    expect(good.err).toBe('');
    expect(stored('EXP001', 'expires_at')).toEqual([Date.parse('2027-02-28T18:29:59Z')]);
    expect(stored('EXP007', 'expires_at')).toEqual([Date.parse('2028-02-29T12:00:00.250Z')]);

    const doc = jsonDoc('expiry-json', [
      { plate: 'EXP011', state: 'NY', expires: '2027-03-01T00:00:00Z' },
      { plate: 'EXP012', state: 'NY', expires: '2027-02-29T10:00:00Z' },
    ]);
    const j = importFile('expiry.json', doc);
    const entryLine = doc.slice(0, doc.indexOf('"EXP012"')).split('\n').length - 1; // its "{"
    expect(j.code).toBe(2);
    expect(j.err).toMatch(
      new RegExp(
        `1 bad entry; .*entries\\[1\\]: expires "2027-02-29T10:00:00Z" is not a date: 2027-02 has no day 29 \\(line ${entryLine}\\)`,
      ),
    );
    expect(versions()['expiry-json']).toBeUndefined();

    const add = cli(
      [
        'hotlist',
        'add',
        'EXP021',
        '--state',
        'NY',
        '--reason',
        'x',
        '--expires',
        '2099-02-30T10:00:00Z',
        '--as',
        'admin.ray',
      ],
      ADMIN_PW,
    );
    expect(add.code).toBe(2);
    expect(add.err).toMatch(/--expires "2099-02-30T10:00:00Z" is not a date: 2099-02 has no day 30/);
  });

  it('skips rows of only delimiters, as a spreadsheet leaves after its last row, like blank lines', () => {
    const csv =
      ',,,\n' + // an empty first row of the sheet
      'plate,state,list_type,vehicle\r\n' +
      'ROW001,NY,ncic,Ford\r\n' +
      ',,,\r\n' +
      'ROW002,NY,ncic,\r\n' +
      ',,,\r\n' +
      ', , ,\r\n' +
      '"",,,\r\n';
    const r = importFile('sheet.csv', csv);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/imported sheet version .*2 rows, 2 added/);
    // A row with anything in it is still a row: one value short of a plate is reported.
    const partial = importFile('sheet.csv', 'plate,state,list_type,vehicle\nROW003,NY,ncic,\n,,,Ford\n');
    expect(partial.code).toBe(2);
    expect(partial.err).toMatch(/1 bad row; .*line 3: plate/);
  });

  it('keeps a CSV or JSON row whose text is over its limit, cut, and names each cut with its line', () => {
    // The limits an imported row's text is held to (src/hotlist/types.ts, import.ts).
    const reason = 'R'.repeat(1200);
    const vehicle = 'V'.repeat(600);
    const csv = importFile(
      'long.csv',
      `plate,state,list_type,reason,vehicle\nCUT001,NY,ncic,short,Ford\nCUT002,NY,ncic,${reason},${vehicle}\n`,
      '--version',
      'v1',
    );
    expect(csv.code, csv.err).toBe(0);
    expect(csv.out).toMatch(/2 added/);
    expect(stored('CUT002', 'reason')).toEqual(['R'.repeat(1000)]);
    expect(stored('CUT002', 'vehicle')).toEqual(['V'.repeat(500)]);
    expect(csv.err).toBe(
      'text cut line 3: vehicle has 600 characters, the first 500 kept\n' +
        'text cut line 3: reason has 1200 characters, the first 1000 kept\n',
    );
    const doc = jsonDoc('long-json', [
      { plate: 'CUT003', state: 'NY', reference: 'X'.repeat(150) },
      { plate: 'CUT004', state: 'NY', reference: 'short' },
    ]);
    const json = importFile('long.json', doc);
    expect(json.code, json.err).toBe(0);
    expect(stored('CUT003', 'reference')).toEqual(['X'.repeat(100)]);
    const entryLine = doc.slice(0, doc.indexOf('"CUT003"')).split('\n').length - 1; // its "{"
    expect(json.err).toBe(
      `text cut entries[0]: reference has 150 characters, the first 100 kept (line ${entryLine})\n`,
    );
    // --json carries them, for a script to check.
    const again = importFile(
      'long.csv',
      `plate,state,list_type,reason\nCUT002,NY,ncic,${reason}\n`,
      '--json',
    );
    expect(again.code, again.err).toBe(0);
    const report = JSON.parse(again.out) as { cut: unknown[]; cutCount: number };
    expect(report.cutCount).toBe(1);
    expect(report.cut).toEqual([
      { line: 2, where: 'line 2', message: 'reason has 1200 characters, the first 1000 kept' },
    ]);
  });

  it('holds a reason to one limit however it comes: what an import keeps whole, `hotlist add` takes', () => {
    // The officer reads the reason on the alert whichever way the entry came. An agency's
    // 1,000-character note was kept by an import, but the same text typed in was refused (200).
    const note = 'Armed; approach with caution. '.repeat(40).slice(0, 1000);
    const imported = importFile('one-limit.csv', `plate,state,list_type,reason\nONE001,NY,ncic,${note}X\n`);
    expect(imported.code, imported.err).toBe(0);
    expect(imported.err).toBe('text cut line 2: reason has 1001 characters, the first 1000 kept\n');
    expect(stored('ONE001', 'reason')).toEqual([note]);

    const addReason = (plate: string, reason: string) =>
      cli(['hotlist', 'add', plate, '--state', 'NY', '--reason', reason, '--as', 'admin.ray'], ADMIN_PW);
    const whole = addReason('ONE002', note);
    expect(whole.err).toBe('');
    expect(whole.code).toBe(0);
    expect(stored('ONE002', 'reason')).toEqual([note]);
    // One character more is refused by hand (not cut: the one typing it can say it shorter),
    // naming the option and the limit.
    const over = addReason('ONE003', `${note}X`);
    expect(over.code).toBe(2);
    expect(over.err).toMatch(/--reason: .*at most 1000 characters \(this one has 1001\)/);
    expect(stored('ONE003', 'reason')).toEqual([]);
  });
});
