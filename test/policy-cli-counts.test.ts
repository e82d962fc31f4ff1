import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/policy/audit.js';
import { ADMIN_PW, OFFICER_PW, cli, openTestDb, provision, tempDir } from './policy-helpers.js';

const asAdmin = { LPR_EDGE_PASSWORD: ADMIN_PW };
const asOfficer = { LPR_EDGE_PASSWORD: OFFICER_PW };
const query = [
  'query',
  '--plate',
  'ABC1234',
  '--purpose',
  'investigation-vehicle',
  '--case',
  'C-1',
  '--attest',
];

// Number() reads "0x7" as 7, "1e1" as 10 and "" as 0: a typo or a pasted value would set another
// retention window, or another query size, than the one the user meant.
describe('counts on the policy command line (--days, --limit, --sample)', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    provision(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const recordsOf = (type: 'retention.set' | 'query') => {
    const db = openTestDb(dir);
    try {
      return new AuditLog(db).list({ type }).length;
    } finally {
      db.close();
    }
  };

  it.each(['0x7', '1e1', '', '7.0', '+7', ' 7'])(
    'retention set --days %j is refused and sets nothing',
    (days) => {
      const before = recordsOf('retention.set');
      const r = cli(dir, ['retention', 'set', '--days', days, '--as', 'ada'], asAdmin);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`--days: got "${days}"; give a whole number such as 30 (digits only)`);
      expect(recordsOf('retention.set')).toBe(before);
    },
  );

  it.each(['1e1', '0x2', ''])('query --limit %j is refused before anything is searched', (limit) => {
    const before = recordsOf('query');
    const r = cli(dir, [...query, '--limit', limit, '--as', 'olly'], asOfficer);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--limit: got "${limit}"`);
    expect(recordsOf('query')).toBe(before);
  });

  it('query --limit 0 is refused, not read as 1', () => {
    const r = cli(dir, [...query, '--limit', '0', '--as', 'olly'], asOfficer);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--limit: got 0; give at least 1');
  });

  it('audit report --sample 1e1 is refused', () => {
    const r = cli(
      dir,
      ['audit', 'report', '--from', '2020-01-01', '--to', '2100-01-01', '--sample', '1e1', '--as', 'ada'],
      asAdmin,
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--sample: got "1e1"');
  });

  it('plain digits still work', () => {
    expect(cli(dir, ['retention', 'set', '--days', '30', '--as', 'ada'], asAdmin).status).toBe(0);
    expect(cli(dir, [...query, '--limit', '5', '--as', 'olly'], asOfficer).status).toBe(0);
  });
});
