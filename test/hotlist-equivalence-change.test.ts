import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * An entry is found by its look-alike key (`hotlists.equivalence`), stored when the list was
 * imported. The agency may change the look-alike classes in the config afterwards (add "UV", drop
 * "6G"): a plate read exactly as listed must still be found, whatever the classes were when its
 * list came.
 */
const BIN = path.resolve('bin/lpr-edge.js');
const ADMIN_PW = 'admin secret 1';
let dir: string;

function cli(args: string[], password = '', newPassword = '') {
  const r = spawnSync(process.execPath, [BIN, ...args, '--data-dir', dir], {
    encoding: 'utf8',
    env: { ...process.env, LPR_EDGE_PASSWORD: password, LPR_EDGE_NEW_PASSWORD: newPassword },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function config(name: string, equivalence?: string[]): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({
      unitId: 'car-1',
      agency: 'nyspd',
      dataDir: dir,
      vision: { detector: { model: 'unused.onnx' }, recogniser: { model: 'unused.onnx' } },
      hotlists: equivalence ? { equivalence } : {},
    }),
  );
  return file;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hotlist-equivalence-'));
  expect(cli(['users', 'bootstrap-admin', 'admin.ray', '--trained', '2026-01-05'], '', ADMIN_PW).code).toBe(
    0,
  );
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('changing hotlists.equivalence after a list was imported', { timeout: 240_000 }, () => {
  it('still finds a plate read exactly as listed, and by the new look-alikes', () => {
    const before = config('before.json');
    const list = path.join(dir, 'stolen.csv');
    writeFileSync(list, 'plate,state,list_type\nVVW123,NY,stolen-vehicle\nAGG123,NY,stolen-vehicle\n');
    const imported = cli(['hotlist', 'import', list, '--config', before, '--as', 'admin.ray'], ADMIN_PW);
    expect(imported.err).toBe('');
    expect(imported.code).toBe(0);

    // U and V become look-alikes; 6 and G no longer are.
    const after = config('after.json', ['0ODQ', '1I', '2Z', '5S', '8B', 'UV']);
    for (const plate of ['VVW123', 'AGG123']) {
      const r = cli(['hotlist', 'check', plate, '--state', 'NY', '--json', '--config', after]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toEqual([expect.objectContaining({ plate, rule: 'exact' })]);
    }
    const alike = cli(['hotlist', 'check', 'UUW123', '--state', 'NY', '--json', '--config', after]);
    expect(JSON.parse(alike.out)).toEqual([expect.objectContaining({ plate: 'VVW123', rule: 'equivalent' })]);

    // And back: the classes the list was imported with find it as before.
    const again = cli(['hotlist', 'check', 'A66123', '--state', 'NY', '--json', '--config', before]);
    expect(JSON.parse(again.out)).toEqual([expect.objectContaining({ plate: 'AGG123', rule: 'equivalent' })]);
  });
});

describe('look-alike classes that share a character', { timeout: 120_000 }, () => {
  it('are refused, naming both: a class given later would quietly take the character out of the first', () => {
    // Meant: Q looks like 0, O and D, and like 9. Read as given, "Q9" took Q out of "0ODQ".
    const overlapping = config('overlapping.json', ['0ODQ', '1I', 'Q9']);
    const r = cli(['hotlist', 'check', 'ABQ123', '--config', overlapping]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/hotlists\.equivalence.*"Q" is in "0ODQ" and in "Q9"/);
  });
});
