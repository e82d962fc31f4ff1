import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listQueryLog, ReadQueries } from '../src/policy/query.js';
import {
  ADMIN_PW,
  cli,
  makeRead,
  OFFICER_PW,
  openTestDb,
  provision,
  saveReads,
  tempDir,
} from './policy-helpers.js';

/**
 * A case or incident number (policy VI.E) names one case however it was typed: surrounding
 * spaces, runs of spaces inside and letter case do not make another case.
 */
describe('case numbers typed differently name one case', () => {
  let dir: string;
  const queried = makeRead({ plate: 'CASE777' });
  const held = makeRead({ plate: 'HELD777' });
  const asOfficer = { LPR_EDGE_PASSWORD: OFFICER_PW };
  const asAdmin = { LPR_EDGE_PASSWORD: ADMIN_PW };

  beforeAll(() => {
    dir = tempDir();
    provision(dir);
    saveReads(dir, [queried, held, makeRead({ plate: 'OTHER77' })]);
    const q = cli(
      dir,
      [
        'query',
        '--plate',
        'CASE777',
        '--purpose',
        'investigation-vehicle',
        '--case',
        ' cr-26  0042 ',
        '--attest',
        '--as',
        'olly',
      ],
      asOfficer,
    );
    expect(q.stderr).toBe('');
    const h = cli(
      dir,
      ['hold', 'set', '--read', held.id, '--case', 'CR-26 0042 ', '--reason', 'evidence', '--as', 'ada'],
      asAdmin,
    );
    expect(h.stdout).toBe(`legal hold 1 set on read ${held.id} for case CR-26 0042\n`);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the query log keeps the case number in one form', () => {
    const db = openTestDb(dir);
    try {
      expect(listQueryLog(db).map((q) => q.caseNumber)).toEqual(['CR-26 0042']);
    } finally {
      db.close();
    }
  });

  it('hold list --case finds the hold however the case is typed', () => {
    for (const c of ['CR-26 0042', 'cr-26 0042', ' CR-26   0042']) {
      const r = cli(dir, ['hold', 'list', '--case', c, '--json', '--as', 'ada'], asAdmin);
      expect(r.stderr).toBe('');
      expect((JSON.parse(r.stdout) as { targetId: string }[]).map((h) => h.targetId)).toEqual([held.id]);
    }
  });

  it("an export of the case releases both the queried and the held read, under the case's one form", () => {
    const out = path.join(dir, 'case.json');
    const r = cli(
      dir,
      [
        'export',
        '--case',
        'Cr-26 0042',
        '--reason',
        'court',
        '--requester',
        'Det. Rivera',
        '--agency',
        'State Police',
        '--purpose',
        'investigation-vehicle',
        '--attest',
        '--as',
        'olly',
        '--out',
        out,
      ],
      asOfficer,
    );
    expect(r.stderr).toBe('');
    const body = JSON.parse(fs.readFileSync(out, 'utf8')) as {
      dissemination: { caseNumber: string };
      reads: { id: string }[];
    };
    expect(body.dissemination.caseNumber).toBe('CR-26 0042');
    expect(body.reads.map((x) => x.id).sort()).toEqual([queried.id, held.id].sort());
  });

  it('the audit report counts them under one case', () => {
    const r = cli(
      dir,
      [
        'audit',
        'report',
        '--from',
        '2000-01-01',
        '--to',
        '2100-01-01',
        '--sample',
        '10',
        '--json',
        '--as',
        'ada',
      ],
      asAdmin,
    );
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as {
      sample: { caseNumber: string | null }[];
      exports: { caseNumber: string }[];
    };
    // The query and the export's own query-log row.
    expect(report.sample.map((q) => q.caseNumber)).toEqual(['CR-26 0042', 'CR-26 0042']);
    expect(report.exports.map((e) => e.caseNumber)).toEqual(['CR-26 0042']);
  });
});

/**
 * A case number or a requester that says nothing (policy VI.E): only punctuation, or characters
 * that show as nothing (a zero-width space pasted with it), names no case and no inquirer.
 */
describe('a case number or requester that names nothing', () => {
  let dir: string;
  const read = makeRead({ plate: 'NONE777' });
  const asOfficer = { LPR_EDGE_PASSWORD: OFFICER_PW };
  const query = (caseNumber: string) =>
    cli(
      dir,
      [
        'query',
        '--plate',
        'NONE777',
        '--purpose',
        'investigation-vehicle',
        `--case=${caseNumber}`,
        '--attest',
        '--as',
        'olly',
        '--json',
      ],
      asOfficer,
    );

  beforeAll(() => {
    dir = tempDir();
    provision(dir);
    saveReads(dir, [read]);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a case number without a letter or digit, and logs the refusal', () => {
    for (const caseNumber of ['\u200b', '\ufeff \u200b', '-', '.', '—']) {
      const r = query(caseNumber);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/query refused: missing case or incident number/);
      expect(r.status).not.toBe(0);
      const db = openTestDb(dir);
      try {
        expect(listQueryLog(db).at(-1)).toMatchObject({ outcome: 'refused', resultCount: 0 });
      } finally {
        db.close();
      }
    }
  });

  it('takes a case number with a zero-width character in it as the case without it', () => {
    const r = query('CR-9\u200b 0042\u00ad');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const db = openTestDb(dir);
    try {
      expect(listQueryLog(db).at(-1)).toMatchObject({ outcome: 'ok', caseNumber: 'CR-9 0042' });
    } finally {
      db.close();
    }
  });

  it('refuses a headquarters pull whose requester is blank', () => {
    const db = openTestDb(dir);
    try {
      const q = new ReadQueries(db);
      for (const requester of [' ', '\u200b']) {
        expect(() =>
          q.search(
            { kind: 'hq', requester },
            { plate: 'NONE777' },
            { purpose: 'owner-occupant', caseNumber: 'HQ-7', attested: true },
          ),
        ).toThrow('headquarters request without a named requester');
        expect(listQueryLog(db).at(-1)).toMatchObject({ outcome: 'refused', resultCount: 0 });
      }
    } finally {
      db.close();
    }
  });
});
