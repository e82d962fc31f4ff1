import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { openDatabase, type Db } from '../src/store/database.js';
import { allMigrations } from '../src/store/all-migrations.js';
import { HotlistStore } from '../src/hotlist/store.js';
import { Equivalence } from '../src/hotlist/normalise.js';
import { importHotlist, InputError, type ImportOptions } from '../src/hotlist/import.js';
import { readJsonObject, type JsonEvent } from '../src/hotlist/json-stream.js';
import { defaultHotlistsConfig } from '../src/hotlist/config.js';

let dir: string;
let db: Db;
let store: HotlistStore;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hotlist-json-'));
  db = openDatabase(path.join(dir, 'unit.db'), allMigrations);
  store = new HotlistStore(db, new Equivalence(defaultHotlistsConfig().equivalence));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const LIST = {
  id: 'hq',
  type: 'stolen-vehicle',
  version: 'v1',
  generatedAt: '2026-11-28T06:00:00Z',
  source: 'HQ',
};

function run(file: string, opts: Partial<ImportOptions> = {}) {
  return importHotlist(store, { file, actor: 'admin.ray', audit: { append: () => undefined }, ...opts });
}

async function rejects(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected the import to be refused');
}

/** A document written the way HQ's exporter writes it: one entry per line. */
async function writeDoc(file: string, n: number, opts: { version?: string; bad?: number } = {}) {
  const out = createWriteStream(file);
  const write = (s: string) =>
    out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r()));
  await write(
    `{\n  "format": "lpr-edge.hotlist",\n  "formatVersion": 1,\n  "list": ${JSON.stringify({ ...LIST, version: opts.version ?? 'v1' })},\n  "entries": [\n`,
  );
  for (let i = 0; i < n; i++) {
    const e = {
      plate: `P${String(i).padStart(7, '0')}`,
      state: i === opts.bad ? 'Z9' : 'NY',
      reference: `NCIC-${i}`,
      vehicle: `Grey four-door sedan, partial damage to the rear bumper, seen near exit ${i % 500}`,
      reason: 'Reported stolen by the registered owner; occupants may be armed',
    };
    await write(`    ${JSON.stringify(e)}${i < n - 1 ? ',' : ''}\n`);
  }
  await write(`  ],\n  "mode": "replace"\n}\n`);
  await new Promise<void>((r) => out.end(r));
}

const activePlates = () =>
  db
    .prepare(
      `SELECT COUNT(*) AS n, MIN(v.version) AS version FROM hotlist_entries e JOIN hotlists h ON h.active_version_id = e.version_id
         JOIN hotlist_versions v ON v.id = e.version_id WHERE h.id = 'hq'`,
    )
    .get() as { n: number; version: string };
const leftovers = () =>
  (db.prepare(`SELECT COUNT(*) AS n FROM hotlist_versions WHERE status = 'staging'`).get() as { n: number })
    .n;

describe('streaming JSON import', { timeout: 180_000 }, () => {
  it('imports 200,000 entries within a 64 MB heap (the whole document would not fit)', async () => {
    const file = path.join(dir, 'big.json');
    await writeDoc(file, 200_000);
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(40e6);
    // A separate process with a small V8 heap: parsing the document whole needs well over 64 MB.
    const script = path.join(dir, 'import.mjs');
    const dist = (p: string) => JSON.stringify(pathToFileURL(path.resolve('dist', p)).href);
    writeFileSync(
      script,
      `import { openDatabase } from ${dist('store/database.js')};
       import { allMigrations } from ${dist('store/all-migrations.js')};
       import { HotlistStore } from ${dist('hotlist/store.js')};
       import { Equivalence } from ${dist('hotlist/normalise.js')};
       import { importHotlist } from ${dist('hotlist/import.js')};
       import { defaultHotlistsConfig } from ${dist('hotlist/config.js')};
       const db = openDatabase(process.argv[2], allMigrations);
       const store = new HotlistStore(db, new Equivalence(defaultHotlistsConfig().equivalence));
       const r = await importHotlist(store, { file: process.argv[3], actor: 'admin', audit: { append() {} } });
       console.log(JSON.stringify({ imported: r.imported, heapMb: Math.round(process.memoryUsage().heapUsed / 1e6) }));
       db.close();`,
    );
    db.close();
    const child = spawnSync(
      process.execPath,
      ['--max-old-space-size=64', script, path.join(dir, 'unit.db'), file],
      { encoding: 'utf8', timeout: 170_000 },
    );
    db = openDatabase(path.join(dir, 'unit.db'), allMigrations);
    store = new HotlistStore(db, new Equivalence(defaultHotlistsConfig().equivalence));
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout)).toMatchObject({ imported: 200_000 });
    expect(activePlates()).toEqual({ n: 200_000, version: 'v1' });
    expect(store.findInList('hq', 'P0199999')).toEqual([
      expect.objectContaining({ state: 'NY', reference: 'NCIC-199999', listType: 'stolen-vehicle' }),
    ]);
  });

  it('strict: a malformed entry rejects the file with its index and line; the previous version stays active', async () => {
    await writeDoc(path.join(dir, 'v1.json'), 100);
    await run(path.join(dir, 'v1.json'));
    const v2 = path.join(dir, 'v2.json');
    await writeDoc(v2, 5000, { version: 'v2', bad: 4321 });
    const err = await rejects(run(v2));
    // The document's first entry is on line 6.
    expect(err.message).toMatch(
      /1 bad entry; nothing imported, the previous version stays active: entries\[4321\]: state "Z9" is not a USPS code .* \(line 4327\)/,
    );
    expect(err.problems).toEqual([expect.objectContaining({ where: 'entries[4321]', line: 4327 })]);
    expect(activePlates()).toEqual({ n: 100, version: 'v1' });
    expect(leftovers()).toBe(0);
    // Lenient: the bad entry is skipped and reported, the rest replaces the list.
    const r = await run(v2, { strict: false });
    expect(r).toMatchObject({ imported: 4999, skippedCount: 1 });
    expect(activePlates()).toEqual({ n: 4999, version: 'v2' });
  });

  it('a truncated document is refused with a clear error; the previous version stays active', async () => {
    await writeDoc(path.join(dir, 'v1.json'), 100);
    await run(path.join(dir, 'v1.json'));
    const full = path.join(dir, 'full.json');
    await writeDoc(full, 3000, { version: 'v2' });
    const text = readFileSync(full, 'utf8');
    const cut = path.join(dir, 'cut.json');
    writeFileSync(cut, text.slice(0, text.indexOf('P0002000') + 20)); // inside entries[2000]
    expect((await rejects(run(cut))).message).toMatch(
      /cut\.json: not valid JSON: line 2006: the file ends inside entries\[2000\]: the JSON is truncated .*; nothing imported/,
    );
    writeFileSync(cut, text.slice(0, text.indexOf('"mode"'))); // after the entries array
    expect((await rejects(run(cut))).message).toMatch(
      /not valid JSON: line \d+: the file ends inside the top-level object/,
    );
    expect(activePlates()).toEqual({ n: 100, version: 'v1' });
    expect(leftovers()).toBe(0);
    // The generation time is the document's own, not one given beside it.
    expect((await rejects(run(full, { generatedAt: Date.now() }))).message).toMatch(
      /--generated-at is for CSV files; a JSON list says when it was generated in list\.generatedAt/,
    );
    expect(activePlates()).toEqual({ n: 100, version: 'v1' });
  });

  it('members in any order: removes and mode before list, list before entries required', async () => {
    await writeDoc(path.join(dir, 'v1.json'), 10);
    await run(path.join(dir, 'v1.json'));
    const delta = path.join(dir, 'delta.json');
    writeFileSync(
      delta,
      JSON.stringify({
        removes: [{ plate: 'P0000003', state: 'NY', listType: 'stolen-vehicle' }],
        mode: 'delta',
        formatVersion: 1,
        list: { ...LIST, version: 'v1.1' },
        entries: [{ plate: 'NEW0001', state: 'PA' }],
        format: 'lpr-edge.hotlist',
      }),
    );
    expect(await run(delta)).toMatchObject({ mode: 'delta', imported: 1, removed: 1 });
    expect(activePlates()).toEqual({ n: 10, version: 'v1.1' });
    expect(store.findInList('hq', 'P0000003')).toEqual([]);
    expect(store.findInList('hq', 'NEW0001')).toHaveLength(1);

    writeFileSync(
      path.join(dir, 'late.json'),
      JSON.stringify({
        format: 'lpr-edge.hotlist',
        formatVersion: 1,
        entries: [{ plate: 'X1' }],
        list: LIST,
      }),
    );
    expect((await rejects(run(path.join(dir, 'late.json')))).message).toMatch(
      /"list" must come before "entries" in the document/,
    );
    writeFileSync(path.join(dir, 'dup.json'), '{"format": "lpr-edge.hotlist", "format": "x"}');
    expect((await rejects(run(path.join(dir, 'dup.json')))).message).toMatch(
      /line 1: "format" appears twice/,
    );
    writeFileSync(path.join(dir, 'arr.json'), '[1, 2]');
    expect((await rejects(run(path.join(dir, 'arr.json')))).message).toMatch(
      /not valid JSON: line 1: expected a JSON object/,
    );
    expect(activePlates()).toEqual({ n: 10, version: 'v1.1' });
    expect(leftovers()).toBe(0);
  });
});

describe('readJsonObject', () => {
  async function events(text: string, cut: number): Promise<(JsonEvent | string)[]> {
    const chunks = async function* () {
      yield text.slice(0, cut);
      yield text.slice(cut);
    };
    const out: (JsonEvent | string)[] = [];
    try {
      for await (const e of readJsonObject(chunks(), new Set(['a']))) out.push(e);
    } catch (err) {
      out.push(`error: ${(err as Error).message}`);
    }
    return out;
  }

  it('gives the same events wherever the chunks are cut (strings with escapes, nesting, numbers)', async () => {
    const text =
      '\uFEFF{"x": {"y": [1, "]}\\""]},\n "a": [ {"p": "a,b\\\\"}, 12.5e3 ,\n[[]], "s" , null],\n"z": -7 }\n';
    const whole = await events(text, text.length);
    expect(whole).toEqual([
      { kind: 'member', key: 'x', value: { y: [1, ']}"'] }, line: 1 },
      { kind: 'array-start', key: 'a', line: 2 },
      { kind: 'item', key: 'a', index: 0, value: { p: 'a,b\\' }, line: 2 },
      { kind: 'item', key: 'a', index: 1, value: 12500, line: 2 },
      { kind: 'item', key: 'a', index: 2, value: [[]], line: 3 },
      { kind: 'item', key: 'a', index: 3, value: 's', line: 3 },
      { kind: 'item', key: 'a', index: 4, value: null, line: 3 },
      { kind: 'array-end', key: 'a', count: 5, line: 3 },
      { kind: 'member', key: 'z', value: -7, line: 4 },
    ]);
    for (let cut = 0; cut <= text.length; cut++) expect(await events(text, cut)).toEqual(whole);
  });

  it('names what is wrong and where', async () => {
    const err = async (t: string) => (await events(t, t.length)).at(-1);
    expect(await err('{"a": [1, 2')).toBe('error: line 1: the file ends after a[1]: the JSON is truncated');
    expect(await err('{"a": [1 2]}')).toBe('error: line 1: expected "," or "]" after a[0], found "2"');
    expect(await err('{"a": [{"p": tru}]}')).toMatch(/^error: line 1: a\[0\] is not valid JSON/);
    expect(await err('{"a": []} x')).toBe('error: line 1: text after the end of the JSON object: "x"');
    expect(await err('{"b": 1,}')).toBe('error: line 1: expected a member name in quotes, found "}"');
    expect(await err('')).toBe('error: line 1: expected a JSON object ("{"), found the end of the file');
  });
});
