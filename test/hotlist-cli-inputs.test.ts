import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../src/store/database.js';
import { allMigrations } from '../src/store/all-migrations.js';
import { REASON_MAX_CHARS } from '../src/hotlist/manual.js';

/**
 * The options of `lpr-edge hotlist add|remove` are checked as the console checks its watch form:
 * a reason longer than the console takes is refused, naming the option and the limit, and
 * nothing reaches the list (or the officer's screen, where a hit shows the reason whole).
 */

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

function reasonsOnList(plate: string): string[] {
  const db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
  try {
    return (
      db.prepare(`SELECT reason FROM hotlist_entries WHERE plate = ?`).all(plate) as { reason: string }[]
    ).map((r) => r.reason);
  } finally {
    db.close();
  }
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hotlist-cli-inputs-'));
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

const add = (plate: string, ...more: string[]) =>
  cli(['hotlist', 'add', plate, '--state', 'NY', ...more, '--as', 'ofc.diaz'], OFFICER_PW);

// Each step spawns the CLI (a fresh Node process): allow for a busy 2-core machine.
describe('lpr-edge hotlist add|remove options', { timeout: 240_000 }, () => {
  it('refuses a --reason longer than the console takes, naming the option and the limit', () => {
    const long = add('RSN001', '--reason', 'x'.repeat(100_000));
    expect(long.code).toBe(2);
    expect(long.err).toMatch(new RegExp(`--reason: .*at most ${REASON_MAX_CHARS} characters.*100000`, 's'));
    expect(reasonsOnList('RSN001')).toEqual([]);

    // One over the limit is refused; the limit itself (spaces around it trimmed, as the console does) is taken.
    expect(add('RSN001', '--reason', 'y'.repeat(REASON_MAX_CHARS + 1)).code).toBe(2);
    const atLimit = add('RSN001', '--reason', `  ${'z'.repeat(REASON_MAX_CHARS)}  `);
    expect(atLimit.err).toBe('');
    expect(atLimit.code).toBe(0);
    expect(reasonsOnList('RSN001')).toEqual(['z'.repeat(REASON_MAX_CHARS)]);

    // Removing takes a reason by the same rule (it goes to the audit log).
    const rm = cli(
      ['hotlist', 'remove', 'RSN001', '--reason', 'w'.repeat(100_000), '--as', 'ofc.diaz'],
      OFFICER_PW,
    );
    expect(rm.code).toBe(2);
    expect(rm.err).toMatch(new RegExp(`--reason: .*at most ${REASON_MAX_CHARS} characters`));
    expect(reasonsOnList('RSN001')).toHaveLength(1);

    // An empty or blank reason is still refused as before.
    expect(add('RSN002', '--reason', '   ').err).toMatch(/needs --reason/);
  });
});
