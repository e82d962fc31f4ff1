import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listQueryLog } from '../src/policy/query.js';
import { AuditLog } from '../src/policy/audit.js';
import { ReadQueries } from '../src/policy/query.js';
import { pullCriteriaSchema } from '../src/sync/schemas.js';
import { cli, makeRead, OFFICER_PW, openTestDb, provision, saveReads, tempDir } from './policy-helpers.js';

// Policy IV.B, V.B, VI.E, III.B: queries through the real CLI against a real SQLite file.
describe('lpr-edge query', () => {
  let dir: string;
  const asOfficer = { LPR_EDGE_PASSWORD: OFFICER_PW };
  const full = ['--purpose', 'investigation-vehicle', '--case', '26-0042', '--attest', '--as', 'olly'];

  beforeAll(() => {
    dir = tempDir();
    provision(dir);
    const t = Date.parse('2026-11-20T12:00:00Z');
    saveReads(dir, [
      makeRead({ plate: 'ABC1234', ts: t }),
      makeRead({ plate: 'ABC1234', ts: t + 60_000, cameraId: 'rear' }),
      makeRead({ plate: 'XYZ9876', ts: t + 120_000, gps: { lat: 41.0, lon: -73.5, time: t, mode: 3 } }),
    ]);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function lastLog() {
    const db = openTestDb(dir);
    try {
      return { log: listQueryLog(db).at(-1)!, audit: new AuditLog(db).list({ type: 'query' }).at(-1)! };
    } finally {
      db.close();
    }
  }

  it('returns matching reads when purpose, case, attestation and identity are given, and logs the query', () => {
    const r = cli(dir, ['query', '--plate', 'abc-1234', ...full, '--json'], asOfficer);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { marking: string; count: number; reads: { plate: string }[] };
    expect(out.marking).toBe('FOR OFFICIAL USE ONLY');
    expect(out.count).toBe(2);
    expect(out.reads.every((x) => x.plate === 'ABC1234')).toBe(true);
    const { log, audit } = lastLog();
    expect(log).toMatchObject({
      requester: 'olly',
      purpose: 'investigation-vehicle',
      caseNumber: '26-0042',
      outcome: 'ok',
      resultCount: 2,
    });
    expect(log.criteria).toEqual({ plate: 'abc-1234' });
    expect(audit.actor).toBe('olly');
    expect(audit.details).toMatchObject({ outcome: 'ok', resultCount: 2, purpose: 'investigation-vehicle' });
    // Which reads it returned is in the hash chain too, so the query log can be checked against it.
    expect(log.resultIds).toHaveLength(2);
    expect(audit.details.resultIds).toEqual(log.resultIds);
  });

  it('finds by partial plate, camera and place', () => {
    const partial = JSON.parse(
      cli(dir, ['query', '--partial', 'AB?12', ...full, '--json'], asOfficer).stdout,
    ) as { count: number };
    expect(partial.count).toBe(2);
    const camera = JSON.parse(
      cli(dir, ['query', '--partial', 'AB?12', '--camera', 'rear', ...full, '--json'], asOfficer).stdout,
    ) as { count: number };
    expect(camera.count).toBe(1);
    const near = JSON.parse(
      cli(dir, ['query', '--near', '41.0005,-73.5,100', ...full, '--json'], asOfficer).stdout,
    ) as {
      reads: { plate: string }[];
    };
    expect(near.reads.map((x) => x.plate)).toEqual(['XYZ9876']);
  });

  const refusals: [string, string[], RegExp][] = [
    ['purpose', ['--case', '26-0042', '--attest', '--as', 'olly'], /missing purpose/],
    [
      'case number',
      ['--purpose', 'investigation-vehicle', '--attest', '--as', 'olly'],
      /missing case or incident number/,
    ],
    [
      'attestation',
      ['--purpose', 'investigation-vehicle', '--case', '26-0042', '--as', 'olly'],
      /missing attestation/,
    ],
    [
      'identity',
      ['--purpose', 'investigation-vehicle', '--case', '26-0042', '--attest'],
      /no authenticated user/,
    ],
  ];
  for (const [what, args, message] of refusals) {
    it(`refuses a query without ${what}, naming it, and logs the refusal`, () => {
      const before = (() => {
        const db = openTestDb(dir);
        const n = listQueryLog(db).length;
        db.close();
        return n;
      })();
      const r = cli(dir, ['query', '--plate', 'ABC1234', ...args], asOfficer);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/query refused/);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).not.toMatch(/ABC1234/);
      const { log, audit } = lastLog();
      expect(log.id).toBe(before + 1);
      expect(log).toMatchObject({ outcome: 'refused', resultCount: 0 });
      expect(log.refusal).toMatch(message);
      expect(audit.details).toMatchObject({ outcome: 'refused', criteria: { plate: 'ABC1234' } });
    });
  }

  it('refuses an unknown purpose code and a search without criteria', () => {
    const bad = cli(
      dir,
      ['query', '--plate', 'ABC1234', '--purpose', 'curiosity', '--case', '1', '--attest', '--as', 'olly'],
      asOfficer,
    );
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/unknown purpose "curiosity"/);
    const browse = cli(dir, ['query', ...full], asOfficer);
    expect(browse.status).not.toBe(0);
    expect(browse.stderr).toMatch(/no search criteria/);
  });

  it('takes ISO dates and date-times with offsets, and refuses anything else before searching', () => {
    const count = (...args: string[]) =>
      (JSON.parse(cli(dir, ['query', ...args, ...full, '--json'], asOfficer).stdout) as { count: number })
        .count;
    // A bare --to date includes that day; 13:01:30+01:00 is 12:01:30 UTC.
    expect(count('--from', '2026-11-20', '--to', '2026-11-20')).toBe(3);
    expect(count('--from', '2026-11-20T12:00:30Z', '--to', '2026-11-20T13:01:30+01:00')).toBe(1);
    const logged = () => {
      const db = openTestDb(dir);
      try {
        return listQueryLog(db).length;
      } finally {
        db.close();
      }
    };
    const before = logged();
    for (const value of ['01/12/2026', '2026-02-30', '1', '2026-11-20T24:00', '2026-11-20 12:00']) {
      const r = cli(dir, ['query', '--from', value, ...full], asOfficer);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(`lpr-edge: --from: got "${value}"; `);
      expect(r.stderr).toMatch(/give an ISO date \(2026-11-28\) or date-time \(2026-11-28T14:30/);
    }
    expect(cli(dir, ['query', '--from', '2026-02-30', ...full], asOfficer).stderr).toMatch(
      /2026-02-30 is not a calendar date/,
    );
    // Nothing was searched, so nothing was logged.
    expect(logged()).toBe(before);
  });

  // Policy V, VI.E: a prefix or partial plate that normalises to (nearly) nothing would list
  // every read on the unit.
  for (const [option, value] of [
    ['--prefix', ' '],
    ['--prefix', '-'],
    ['--prefix', 'A'],
    ['--prefix', ''],
    ['--partial', 'A?*'],
    ['--partial', ' ? '],
  ] as const) {
    it(`refuses ${option} "${value}" (fewer than 2 letters or digits), naming it, and logs the refusal`, () => {
      const r = cli(dir, ['query', option, value, ...full, '--json'], asOfficer);
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe('');
      const field = option === '--prefix' ? 'plate prefix' : 'partial plate';
      expect(r.stderr).toContain(`query refused: ${field} "${value}" needs at least 2 letters or digits`);
      expect(r.stderr).toMatch(option === '--prefix' ? /\(--prefix AB\)/ : /\(--partial AB\?12\*\)/);
      const { log, audit } = lastLog();
      expect(log).toMatchObject({ outcome: 'refused', resultCount: 0, resultIds: [] });
      expect(log.refusal).toContain(`${field} "${value}" needs at least 2 letters or digits`);
      expect(audit.details).toMatchObject({ outcome: 'refused', resultCount: 0 });
    });
  }

  it('finds by a prefix of 2 characters', () => {
    const r = cli(dir, ['query', '--prefix', 'x-y', ...full, '--json'], asOfficer);
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { reads: { plate: string }[] }).reads.map((x) => x.plate)).toEqual([
      'XYZ9876',
    ]);
  });

  it('refuses a headquarters pull whose platePrefix is blank or one character, and logs it', () => {
    const db = openTestDb(dir);
    try {
      const q = new ReadQueries(db);
      for (const platePrefix of [' ', '-', 'A']) {
        // The pull schema lets it through to the query service, so the refusal is in the query log.
        const criteria = pullCriteriaSchema.parse({ platePrefix });
        expect(() =>
          q.search({ kind: 'hq', requester: 'sgt.hq' }, criteria, {
            purpose: 'owner-occupant',
            caseNumber: 'HQ-7',
            attested: true,
          }),
        ).toThrow(`plate prefix "${platePrefix}" needs at least 2 letters or digits`);
        expect(listQueryLog(db).at(-1)).toMatchObject({
          requester: 'hq:sgt.hq',
          outcome: 'refused',
          criteria: { platePrefix },
          resultCount: 0,
        });
      }
    } finally {
      db.close();
    }
  });

  it('refuses --plate, --prefix and --partial together: they are alternatives', () => {
    const r = cli(dir, ['query', '--plate', 'ABC1234', '--prefix', 'AB', ...full], asOfficer);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('lpr-edge: give one of --plate, --prefix or --partial, not --plate and --prefix\n');
  });

  it('lists the purpose codes in --help', () => {
    const r = cli(dir, ['query', '--help']);
    expect(r.status).toBe(0);
    for (const code of [
      'investigation-vehicle',
      'owner-occupant',
      'safety-threat',
      'suspended-registration',
      'public-parking',
      'secured-area',
    ]) {
      expect(r.stdout).toContain(code);
    }
  });

  it('accepts a headquarters requester as identity and logs it as hq:NAME', () => {
    const db = openTestDb(dir);
    try {
      const q = new ReadQueries(db);
      const res = q.search(
        { kind: 'hq', requester: 'sgt.hq' },
        { plate: 'XYZ9876' },
        { purpose: 'owner-occupant', caseNumber: 'HQ-7', attested: true },
      );
      expect(res.count).toBe(1);
      expect(listQueryLog(db).at(-1)).toMatchObject({
        requesterKind: 'hq',
        requester: 'hq:sgt.hq',
        resultCount: 1,
      });
      expect(() =>
        q.search(
          { kind: 'hq', requester: 'sgt.hq' },
          { plate: 'XYZ9876' },
          { purpose: 'owner-occupant', caseNumber: 'HQ-7' },
        ),
      ).toThrow(/missing attestation/);
    } finally {
      db.close();
    }
  });
});
