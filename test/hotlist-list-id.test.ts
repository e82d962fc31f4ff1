import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A list's id ends up on every alert, audit record and console line that names the list: however
 * a list is named (`--list`, a CSV file's name, a JSON list's `list.id`, a manual entry's list),
 * it is held to one rule, at most 64 letters, digits, "-" or "_". Through the CLI, on a unit's
 * data directory on disk.
 */

const BIN = path.resolve('bin/lpr-edge.js');
const ADMIN_PW = 'admin secret 1';
let dir: string;

function cli(args: string[], password = '') {
  const r = spawnSync(process.execPath, [BIN, ...args, '--data-dir', dir], {
    encoding: 'utf8',
    env: { ...process.env, LPR_EDGE_PASSWORD: password, LPR_EDGE_NEW_PASSWORD: ADMIN_PW },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function importFile(name: string, content: string, ...args: string[]) {
  const f = path.join(dir, name);
  writeFileSync(f, content);
  return cli(['hotlist', 'import', f, ...args, '--as', 'admin.ray'], ADMIN_PW);
}

const lists = () =>
  (JSON.parse(cli(['hotlist', 'status', '--json']).out) as { lists: { id: string }[] }).lists.map(
    (l) => l.id,
  );

const CSV = 'plate,state,list_type\nLID001,NY,ncic\n';
const jsonList = (id: string) =>
  JSON.stringify({
    format: 'lpr-edge.hotlist',
    formatVersion: 1,
    list: { id, type: 'ncic', version: 'v1', generatedAt: '2026-01-02T03:04:05Z' },
    entries: [{ plate: 'LID002', state: 'NY' }],
  });

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hotlist-list-id-'));
  expect(cli(['users', 'bootstrap-admin', 'admin.ray', '--trained', '2026-01-05']).code).toBe(0);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each step spawns the CLI (a fresh Node process): allow for a busy 2-core machine.
describe('a hotlist list id', { timeout: 240_000 }, () => {
  const at64 = `ncic-${'a'.repeat(59)}`;
  const at65 = `${at64}b`;

  it('of 64 characters is taken; one longer is refused wherever it is given, naming where and the limit', () => {
    expect(at64).toHaveLength(64);
    const ok = importFile('ok.csv', CSV, '--list', at64);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);

    const option = importFile('long.csv', CSV, '--list', at65);
    expect(option.code).toBe(2);
    expect(option.err).toMatch(/--list: at most 64 characters \(this one has 65\)/);

    const add = cli(
      ['hotlist', 'add', 'LID003', '--state', 'NY', '--reason', 'seen', '--list', at65, '--as', 'admin.ray'],
      ADMIN_PW,
    );
    expect(add.code).toBe(2);
    expect(add.err).toMatch(/--list: at most 64 characters \(this one has 65\)/);

    const json = importFile('long.json', jsonList(at65));
    expect(json.code).toBe(2);
    expect(json.err).toMatch(/list\.id: at most 64 characters \(this one has 65\)/);

    expect(lists()).toEqual([at64]);
  });

  it('named after a CSV file whose name is too long, is refused, asking for --list', () => {
    const r = importFile(`${at65}.csv`, CSV);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /the list id from the file name: at most 64 characters \(this one has 65\); rename the file, or give --list NAME/,
    );
    expect(lists()).not.toContain(at65);
    // Named with --list, the same file is imported.
    expect(importFile(`${at65}.csv`, CSV, '--list', 'short-name').code).toBe(0);
  });

  it('still refuses characters other than letters, digits, "-" and "_", control characters included', () => {
    for (const bad of ['ncic\tstolen', 'ncic\u001b[31m', 'ncic stolen']) {
      const r = importFile('bad.csv', CSV, '--list', bad);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--list.*use letters, digits, "-" or "_"/);
    }
  });
});
