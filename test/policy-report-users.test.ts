import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PW,
  cli,
  dbFile,
  makeRead,
  OFFICER_PW,
  provision,
  saveReads,
  tempDir,
} from './policy-helpers.js';

// Policy VI.G: a query whose sign-in failed is logged under the name that was claimed, but it is
// not that user's query: the audit report shows it apart.
describe('audit report: queries by user', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    provision(dir);
    saveReads(dir, [makeRead({ plate: 'ABC1234' })]);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('counts a query whose sign-in failed as unauthenticated, not as the claimed user', () => {
    const query = ['query', '--plate', 'ABC1234', '--purpose', 'safety-threat', '--case', '9', '--attest'];
    expect(cli(dir, [...query, '--as', 'olly'], { LPR_EDGE_PASSWORD: OFFICER_PW }).status).toBe(0);
    expect(cli(dir, [...query, '--as', 'olly'], { LPR_EDGE_PASSWORD: 'wrong-guess' }).status).not.toBe(0);
    const report = cli(
      dir,
      ['audit', 'report', '--from', '2020-01-01', '--to', '2100-01-01', '--json', '--as', 'ada'],
      {
        LPR_EDGE_PASSWORD: ADMIN_PW,
      },
    );
    expect(report.status).toBe(0);
    const byUser = (JSON.parse(report.stdout) as { queries: { byUserAndPurpose: unknown[] } }).queries
      .byUserAndPurpose;
    expect(byUser).toEqual([
      { user: 'olly', purpose: 'safety-threat', count: 1, results: 1 },
      { user: 'unauthenticated (claimed: olly)', purpose: 'safety-threat', count: 1, results: 0 },
    ]);
    const md = cli(dir, ['audit', 'report', '--from', '2020-01-01', '--to', '2100-01-01', '--as', 'ada'], {
      LPR_EDGE_PASSWORD: ADMIN_PW,
    });
    expect(md.stdout).toContain('| olly | safety-threat | 1 | 1 |');
    expect(md.stdout).toContain('| unauthenticated (claimed: olly) | safety-threat | 1 | 0 |');
  });
});

// An auditor asking about a name the unit has never known must not read an empty report as "no
// activity": refused, naming the user and how to list users. A name known only from the trail (a
// user since removed from the roster, a name claimed at a failed sign-in) is still reported.
describe('audit report --user', () => {
  let dir: string;
  const report = (user: string) =>
    cli(
      dir,
      [
        'audit',
        'report',
        '--from',
        '2020-01-01',
        '--to',
        '2100-01-01',
        '--json',
        '--user',
        user,
        '--as',
        'ada',
      ],
      {
        LPR_EDGE_PASSWORD: ADMIN_PW,
      },
    );
  const byUser = (r: { stdout: string }) =>
    (
      JSON.parse(r.stdout) as { queries: { byUserAndPurpose: { user: string }[] } }
    ).queries.byUserAndPurpose.map((q) => q.user);
  beforeAll(() => {
    dir = tempDir();
    provision(dir);
    saveReads(dir, [makeRead({ plate: 'ABC1234' })]);
    const query = ['query', '--plate', 'ABC1234', '--purpose', 'safety-threat', '--case', '9', '--attest'];
    expect(cli(dir, [...query, '--as', 'olly'], { LPR_EDGE_PASSWORD: OFFICER_PW }).status).toBe(0);
    expect(cli(dir, [...query, '--as', 'ghost'], { LPR_EDGE_PASSWORD: 'a-guess' }).status).not.toBe(0);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a user the unit has never known, naming them and how to list users', () => {
    const r = report('NOSUCH');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /--user: no user "NOSUCH" in the roster, the audit log or the query log; "lpr-edge users list --as NAME" lists the users/,
    );
  });

  it('reports a user removed from the roster, and a name only claimed at a failed sign-in', () => {
    const db = new Database(dbFile(dir));
    db.pragma('foreign_keys = OFF');
    db.prepare(`DELETE FROM training WHERE user_name = 'olly'`).run();
    expect(db.prepare(`DELETE FROM users WHERE name = 'olly'`).run().changes).toBe(1);
    db.close();
    const olly = report('olly');
    expect(olly.status).toBe(0);
    expect(byUser(olly)).toEqual(['olly']);
    const ghost = report('ghost');
    expect(ghost.status).toBe(0);
    expect(byUser(ghost)).toEqual(['unauthenticated (claimed: ghost)']);
  });
});
