import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/policy/audit.js';
import { LegalHolds } from '../src/policy/holds.js';
import { ADMIN_PW, cli, makeRead, openTestDb, provision, saveReads, tempDir } from './policy-helpers.js';

const asAdmin = { LPR_EDGE_PASSWORD: ADMIN_PW };

describe('lpr-edge hold release HOLD_ID', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    provision(dir);
    const read = makeRead({ plate: 'HLD0001' });
    saveReads(dir, [read]);
    const set = cli(
      dir,
      ['hold', 'set', '--read', read.id, '--case', 'C-1', '--reason', 'evidence', '--as', 'ada'],
      asAdmin,
    );
    expect(set.stdout).toMatch(/^legal hold 1 set/);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(['0x1', '1e0', ' 1', '+1', '1.0', '01', '0', '1 ', '١'])(
    'refuses %j, naming the argument and the form it takes, and releases nothing',
    (id) => {
      const r = cli(dir, ['hold', 'release', id, '--reason', 'case closed', '--as', 'ada'], asAdmin);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`HOLD_ID: got "${id}"`);
      expect(r.stderr).toContain('give the hold id as hold list shows it');
      const db = openTestDb(dir);
      try {
        expect(new LegalHolds(db).get(1)?.releasedAt).toBeNull();
        expect(new AuditLog(db).list({ type: 'hold.release' })).toEqual([]);
      } finally {
        db.close();
      }
    },
  );

  it('releases the hold given as a plain decimal id', () => {
    const r = cli(dir, ['hold', 'release', '1', '--reason', 'case closed', '--as', 'ada'], asAdmin);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('legal hold 1 released\n');
  });
});
