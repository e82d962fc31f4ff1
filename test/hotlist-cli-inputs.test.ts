import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../src/store/database.js';
import { allMigrations } from '../src/store/all-migrations.js';
import { REASON_MAX_CHARS } from '../src/hotlist/types.js';

/**
 * The options of `lpr-edge hotlist add|remove` are checked as the console checks its watch form:
 * a reason longer than any entry's (REASON_MAX_CHARS) is refused, naming the option and the limit, and
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

function entriesOf(plate: string): { reason: string; vehicle: string | null; reference: string | null }[] {
  const db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
  try {
    return db
      .prepare(`SELECT reason, vehicle, reference FROM hotlist_entries WHERE plate = ?`)
      .all(plate) as { reason: string; vehicle: string | null; reference: string | null }[];
  } finally {
    db.close();
  }
}

function listVersions(listId: string): { version: string; source: string | null; generated_at: number }[] {
  const db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
  try {
    return db
      .prepare(`SELECT version, source, generated_at FROM hotlist_versions WHERE list_id = ?`)
      .all(listId) as { version: string; source: string | null; generated_at: number }[];
  } finally {
    db.close();
  }
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
  it('refuses a --reason longer than any entry keeps, naming the option and the limit', () => {
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

  it('refuses a --vehicle or --reference longer than an imported list keeps, or given empty', () => {
    for (const [option, max] of [
      ['--vehicle', 500],
      ['--reference', 100],
    ] as const) {
      const long = add('VHC001', '--reason', 'seen at scene', option, 'v'.repeat(100_000));
      expect(long.code).toBe(2);
      expect(long.err).toMatch(new RegExp(`${option}: at most ${max} characters \\(this one has 100000\\)`));
      const empty = add('VHC001', '--reason', 'seen at scene', option, '  ');
      expect(empty.code).toBe(2);
      expect(empty.err).toMatch(new RegExp(`${option} is empty: .*or leave it out`));
    }
    expect(entriesOf('VHC001')).toEqual([]);
    const ok = add(
      'VHC001',
      '--reason',
      'seen at scene',
      '--vehicle',
      ' blue sedan ',
      '--reference',
      'CASE-12',
    );
    expect(ok.code).toBe(0);
    expect(entriesOf('VHC001')).toEqual([
      { reason: 'seen at scene', vehicle: 'blue sedan', reference: 'CASE-12' },
    ]);
  });
});

describe('lpr-edge hotlist --state', { timeout: 240_000 }, () => {
  it('given empty (an unset shell variable) is refused, not taken as any state', () => {
    const empty = cli(
      ['hotlist', 'add', 'STE001', '--state', '', '--reason', 'seen at scene', '--as', 'ofc.diaz'],
      OFFICER_PW,
    );
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/--state is empty: give a USPS code such as NY, or ANY/);
    expect(entriesOf('STE001')).toEqual([]);
    // ANY says it: the entry matches the plate in every state.
    const any = cli(
      ['hotlist', 'add', 'STE001', '--state', 'ANY', '--reason', 'seen at scene', '--as', 'ofc.diaz'],
      OFFICER_PW,
    );
    expect(any.out).toBe('added STE001 any state (manual) to local\n');
    const rm = cli(
      ['hotlist', 'remove', 'STE001', '--state', ' ', '--reason', 'found', '--as', 'ofc.diaz'],
      OFFICER_PW,
    );
    expect(rm.code).toBe(2);
    expect(rm.err).toMatch(/--state is empty/);
    expect(entriesOf('STE001')).toHaveLength(1);
  });
});

describe('lpr-edge hotlist import options', { timeout: 240_000 }, () => {
  const importCsv = (...more: string[]) => {
    const f = path.join(dir, 'bolo.csv');
    writeFileSync(f, 'plate,state,list_type\nBOL0001,NY,stolen-vehicle\n');
    return cli(['hotlist', 'import', f, ...more, '--as', 'admin.ray'], ADMIN_PW);
  };

  it('takes --version and --source within the limits a JSON list has', () => {
    const version = importCsv('--version', 'x'.repeat(100_000));
    expect(version.code).toBe(2);
    expect(version.err).toMatch(/--version: at most 100 characters \(this one has 100000\)/);
    const source = importCsv('--source', 's'.repeat(100_000));
    expect(source.code).toBe(2);
    expect(source.err).toMatch(/--source: at most 100 characters \(this one has 100000\)/);
    expect(listVersions('bolo')).toEqual([]);
  });

  it('takes --generated-at as an ISO date or date-time only, a real calendar date, as other time options', () => {
    // Date.parse reads "1" as the year 2001 and rolls 30 February over to 2 March.
    for (const bad of ['1', '2026-02-30T06:00:00Z', '11/28/2026']) {
      const r = importCsv('--generated-at', bad);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`--generated-at: got "${bad}"; `);
      expect(r.err).toContain(
        'give an ISO date (2026-11-28) or date-time (2026-11-28T14:30, UTC unless it ends in an offset such as +01:00)',
      );
    }
    expect(listVersions('bolo')).toEqual([]);
    const at = new Date(Date.now() - 3_600_000);
    at.setUTCMilliseconds(0);
    const ok = importCsv(
      '--generated-at',
      at.toISOString().replace('.000Z', '+00:00'),
      '--version',
      'v1',
      '--source',
      'ncic',
    );
    expect(ok.err).toBe('');
    expect(listVersions('bolo')).toEqual([{ version: 'v1', source: 'ncic', generated_at: at.getTime() }]);
  });
});
