import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/policy/audit.js';
import { listQueryLog } from '../src/policy/query.js';
import {
  ADMIN_PW,
  cli,
  insertHit,
  makeRead,
  OFFICER_PW,
  openTestDb,
  provision,
  saveReads,
  tempDir,
} from './policy-helpers.js';

// Policy III.B, IV.D: an export that releases a case's held hit says so in the query log, its
// chained record and the audit report, not "0 reads" and nothing else.
describe('an export of a held hit', () => {
  let dir: string;
  let hitId: string;
  beforeAll(() => {
    dir = tempDir();
    provision(dir);
    const read = makeRead({ plate: 'HIT0001' });
    saveReads(dir, [read]);
    const db = openTestDb(dir);
    hitId = insertHit(db, read.id);
    db.close();
    const hold = cli(
      dir,
      ['hold', 'set', '--hit', hitId, '--case', 'C-5', '--reason', 'court', '--as', 'ada'],
      {
        LPR_EDGE_PASSWORD: ADMIN_PW,
      },
    );
    expect(hold.status).toBe(0);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('logs the hit it released in the query log and its record, and the report shows it', () => {
    const out = path.join(dir, 'case.json');
    const r = cli(
      dir,
      [
        'export',
        '--case',
        'C-5',
        '--reason',
        'court order',
        '--requester',
        'ADA Moss',
        '--agency',
        'County DA',
        '--purpose',
        'investigation-vehicle',
        '--attest',
        '--out',
        out,
        '--as',
        'olly',
      ],
      { LPR_EDGE_PASSWORD: OFFICER_PW },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(
      (JSON.parse(fs.readFileSync(out, 'utf8')) as { hits: { id: string }[] }).hits.map((h) => h.id),
    ).toEqual([hitId]);
    const db = openTestDb(dir);
    try {
      const row = listQueryLog(db).at(-1)!;
      expect(row).toMatchObject({ criteria: { exportOfCase: 'C-5' }, outcome: 'ok', hitIds: [hitId] });
      const record = new AuditLog(db).list({ type: 'query' }).at(-1)!;
      expect(record.details).toMatchObject({ hitCount: 1, hitIds: [hitId] });
    } finally {
      db.close();
    }
    expect(cli(dir, ['audit', 'verify']).status).toBe(0);

    const report = cli(
      dir,
      ['audit', 'report', '--from', '2020-01-01', '--to', '2100-01-01', '--json', '--as', 'ada'],
      {
        LPR_EDGE_PASSWORD: ADMIN_PW,
      },
    );
    expect(report.status).toBe(0);
    const exported = (
      JSON.parse(report.stdout) as { exports: { outcome: string; reads: number; hits: number }[] }
    ).exports;
    expect(exported.at(-1)).toMatchObject({ outcome: 'ok', reads: 0, hits: 1 });
    const md = cli(dir, ['audit', 'report', '--from', '2020-01-01', '--to', '2100-01-01', '--as', 'ada'], {
      LPR_EDGE_PASSWORD: ADMIN_PW,
    });
    expect(md.stdout).toMatch(/\| reads \| hits \|/);
    expect(md.stdout).toMatch(/\| County DA \| court order \| {2}\| 0 \| 1 \|/);
  });
});
