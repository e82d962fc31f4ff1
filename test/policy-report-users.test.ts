import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PW, cli, makeRead, OFFICER_PW, provision, saveReads, tempDir } from './policy-helpers.js';

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
