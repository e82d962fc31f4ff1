import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/policy/audit.js';
import { exportCase } from '../src/policy/export.js';
import { listQueryLog } from '../src/policy/query.js';
import type { SignedInUser } from '../src/policy/roles.js';
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

// Policy IV.D, VI.H: exports carry FOUO and a dissemination record naming reason, requester, agency.
describe('lpr-edge export', () => {
  let dir: string;
  let heldBy: number;
  const held = makeRead({ plate: 'HELD001' });
  const env = { LPR_EDGE_PASSWORD: OFFICER_PW };
  const base = [
    'export',
    '--case',
    '26-0099',
    '--reason',
    'stolen vehicle follow-up',
    '--purpose',
    'investigation-vehicle',
    '--attest',
    '--as',
    'olly',
  ];

  beforeAll(() => {
    dir = tempDir();
    provision(dir);
    saveReads(dir, [makeRead({ plate: 'CASE123' }), makeRead({ plate: 'OTHER99' }), held]);
    // The case's data: what a logged query returned, plus a read an admin put under legal hold.
    const q = cli(
      dir,
      [
        'query',
        '--plate',
        'CASE123',
        '--purpose',
        'investigation-vehicle',
        '--case',
        '26-0099',
        '--attest',
        '--as',
        'olly',
      ],
      env,
    );
    expect(q.status).toBe(0);
    const h = cli(
      dir,
      ['hold', 'set', '--read', held.id, '--case', '26-0099', '--reason', 'evidence', '--as', 'ada'],
      {
        LPR_EDGE_PASSWORD: ADMIN_PW,
      },
    );
    expect(h.status).toBe(0);
    heldBy = Number(/legal hold (\d+) set/.exec(h.stdout)![1]);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function queryLog() {
    const db = openTestDb(dir);
    try {
      return listQueryLog(db);
    } finally {
      db.close();
    }
  }

  function exports() {
    const db = openTestDb(dir);
    try {
      return new AuditLog(db).list({ type: 'export' });
    } finally {
      db.close();
    }
  }

  it('refuses an export without requester or agency, names what is missing, writes no file', () => {
    const out = path.join(dir, 'refused.json');
    const noRequester = cli(dir, [...base, '--agency', 'State Police', '--out', out], env);
    expect(noRequester.status).not.toBe(0);
    expect(noRequester.stderr).toMatch(/export refused: missing requesting person \(--requester\)/);
    const noAgency = cli(dir, [...base, '--requester', 'Det. Rivera', '--out', out], env);
    expect(noAgency.status).not.toBe(0);
    expect(noAgency.stderr).toMatch(/missing requesting agency \(--agency\)/);
    expect(fs.existsSync(out)).toBe(false);
    expect(exports().map((e) => e.details.outcome)).toEqual(['refused', 'refused']);
  });

  it('a records-law request needs a legal review reference', () => {
    const out = path.join(dir, 'foil.json');
    const r = cli(
      dir,
      [...base, '--requester', 'J. Public', '--agency', 'none', '--records-request', '--out', out],
      env,
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--legal-review/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('with requester and agency writes a FOUO file and the dissemination record', () => {
    const out = path.join(dir, 'case-26-0099.json');
    const r = cli(
      dir,
      [...base, '--requester', 'Det. Rivera', '--agency', 'State Police Troop K', '--out', out],
      env,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const text = fs.readFileSync(out, 'utf8');
    const file = JSON.parse(text) as {
      marking: string;
      dissemination: Record<string, unknown>;
      reads: { plate: string }[];
    };
    expect(file.marking).toMatch(/^FOR OFFICIAL USE ONLY/);
    expect(file.reads.map((x) => x.plate).sort()).toEqual(['CASE123', 'HELD001']);
    expect(file.dissemination).toMatchObject({
      requester: 'Det. Rivera',
      agency: 'State Police Troop K',
      releasedBy: 'olly',
    });
    const rec = exports().at(-1)!;
    expect(rec.actor).toBe('olly');
    expect(rec.details).toMatchObject({
      outcome: 'ok',
      caseNumber: '26-0099',
      reason: 'stolen vehicle follow-up',
      requester: 'Det. Rivera',
      agency: 'State Police Troop K',
      purpose: 'investigation-vehicle',
      sha256: createHash('sha256').update(text).digest('hex'),
    });
    expect((rec.details.readIds as string[]).length).toBe(2);
    // Policy III.B: the export of read data is in the query log like a search, who, why and what.
    expect(queryLog().at(-1)).toMatchObject({
      requesterKind: 'user',
      requester: 'olly',
      purpose: 'investigation-vehicle',
      caseNumber: '26-0099',
      attested: true,
      criteria: { exportOfCase: '26-0099' },
      outcome: 'ok',
      resultCount: 2,
      resultIds: rec.details.readIds,
    });
    expect(cli(dir, ['audit', 'verify']).status).toBe(0);
  });

  it('refuses --out naming a folder, or in a missing folder, before anything is exported or audited', () => {
    const args = [...base, '--requester', 'Det. Rivera', '--agency', 'State Police Troop K'];
    const folder = path.join(dir, 'exports');
    fs.mkdirSync(folder);
    const before = exports().length;
    const intoFolder = cli(dir, [...args, '--out', folder], env);
    expect(intoFolder.status).toBe(2);
    expect(intoFolder.stderr).toBe(
      `lpr-edge: --out: "${folder}" is a folder; give a file name, such as ${folder}/export.json\n`,
    );
    const missing = cli(dir, [...args, '--out', path.join(dir, 'no-such', 'x.json')], env);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^lpr-edge: --out: folder .*no-such does not exist; create it first/);
    // No dissemination was recorded, and no FOUO temp file was left behind.
    expect(exports().length).toBe(before);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(fs.readdirSync(folder)).toEqual([]);
  });

  it("refuses --out naming the unit's database or lock, before anything is exported or audited", () => {
    const args = [...base, '--requester', 'Det. Rivera', '--agency', 'State Police Troop K'];
    const before = exports().length;
    for (const [name, what] of [
      ['lpr-edge.db', "the unit's database"],
      ['lpr-edge.db-wal', "the unit's database (its write-ahead log)"],
      ['lpr-edge.lock', "the data directory's lock"],
    ] as const) {
      const file = path.join(dir, name);
      const r = cli(dir, [...args, '--out', file], env);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toBe(
        `lpr-edge: --out: "${file}" is ${what} (${file}), which writing the out would overwrite; give another file name, such as ${dir}/export.json\n`,
      );
    }
    // The database is whole: the reads are there, the chain verifies, no dissemination recorded.
    expect(exports().length).toBe(before);
    expect(cli(dir, ['audit', 'verify']).status).toBe(0);
  });

  it('a file that cannot be written leaves no dissemination record and no temp file', () => {
    // The folder appears after the CLI's check (or the library is called directly): the rename fails.
    const folder = path.join(dir, 'late-folder');
    fs.mkdirSync(folder);
    const db = openTestDb(dir);
    try {
      const audit = new AuditLog(db);
      const before = audit.list({ type: 'export' }).length;
      const olly: SignedInUser = {
        kind: 'user',
        name: 'olly',
        role: 'officer',
        warnings: [],
        trainingOverdue: false,
      };
      const req = {
        caseNumber: '26-0099',
        reason: 'stolen vehicle follow-up',
        requester: 'Det. Rivera',
        agency: 'State Police Troop K',
        purpose: 'investigation-vehicle',
        attested: true,
      };
      expect(() => exportCase({ db, unitId: 'car-12', audit }, olly, req, folder)).toThrow(
        /cannot write .*late-folder.*nothing was written or recorded/,
      );
      expect(audit.list({ type: 'export' }).length).toBe(before);
      expect(audit.verify().ok).toBe(true);
    } finally {
      db.close();
    }
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
  it('refuses an export without the attestation, and logs the refused export like a refused search', () => {
    const out = path.join(dir, 'unattested.json');
    const before = queryLog().length;
    const r = cli(
      dir,
      [
        ...base.filter((a) => a !== '--attest'),
        '--requester',
        'Det. Rivera',
        '--agency',
        'State Police Troop K',
        '--out',
        out,
      ],
      env,
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/export refused: missing attestation .*\(--attest, policy V\.B\)/);
    expect(fs.existsSync(out)).toBe(false);
    const logged = queryLog();
    expect(logged).toHaveLength(before + 1);
    expect(logged.at(-1)).toMatchObject({
      requester: 'olly',
      caseNumber: '26-0099',
      attested: false,
      criteria: { exportOfCase: '26-0099' },
      outcome: 'refused',
      refusal: expect.stringMatching(/missing attestation/),
      resultCount: 0,
    });
    expect(cli(dir, ['audit', 'verify']).status).toBe(0);
  });

  it('an export appears in the audit report under the user who exported and its purpose', () => {
    const olly = () => {
      const rep = cli(
        dir,
        [
          'audit',
          'report',
          '--from',
          '2020-01-01',
          '--to',
          '2100-01-01',
          '--user',
          'olly',
          '--json',
          '--as',
          'ada',
        ],
        { LPR_EDGE_PASSWORD: ADMIN_PW },
      );
      expect(rep.status).toBe(0);
      const report = JSON.parse(rep.stdout) as {
        queries: { byUserAndPurpose: { user: string; purpose: string; count: number; results: number }[] };
      };
      return report.queries.byUserAndPurpose.find((q) => q.purpose === 'investigation-vehicle')!;
    };
    const before = olly();
    const out = path.join(dir, 'for-report.json');
    const r = cli(
      dir,
      [...base, '--requester', 'Det. Rivera', '--agency', 'State Police Troop K', '--out', out],
      env,
    );
    expect(r.status).toBe(0);
    // One more query by olly for that purpose, which released the case's two reads.
    expect(olly()).toEqual({ ...before, count: before.count + 1, results: before.results + 2 });
  });
  it("a read whose hold was released is not exported again through the case's earlier exports", () => {
    const released = cli(dir, ['hold', 'release', String(heldBy), '--reason', 'case closed', '--as', 'ada'], {
      LPR_EDGE_PASSWORD: ADMIN_PW,
    });
    expect(released.status).toBe(0);
    const out = path.join(dir, 'after-release.json');
    const r = cli(
      dir,
      [...base, '--requester', 'Det. Rivera', '--agency', 'State Police Troop K', '--out', out],
      env,
    );
    expect(r.status).toBe(0);
    const file = JSON.parse(fs.readFileSync(out, 'utf8')) as { reads: { plate: string }[] };
    expect(file.reads.map((x) => x.plate)).toEqual(['CASE123']);
  });
});

// Policy IV.B: read data is disclosed only for the purpose it was searched for. Any officer may
// release a case's reads (the query log and dissemination record say who did), but only under a
// purpose the case's queries were made for, and only the reads those queries returned.
describe('lpr-edge export: purpose of the case', () => {
  let dir: string;
  const vehicle = makeRead({ plate: 'CASE123' });
  const threat = makeRead({ plate: 'THREAT9' });
  const held = makeRead({ plate: 'HELD002' });
  const asBob = { LPR_EDGE_PASSWORD: 'bob-pass-1' };
  const exportAs = (user: string, caseNumber: string, purpose: string, out: string) =>
    cli(
      dir,
      [
        'export',
        '--case',
        caseNumber,
        '--reason',
        'follow-up',
        '--purpose',
        purpose,
        '--attest',
        '--requester',
        'Det. Rivera',
        '--agency',
        'State Police Troop K',
        '--as',
        user,
        '--out',
        path.join(dir, out),
      ],
      user === 'bob' ? asBob : { LPR_EDGE_PASSWORD: OFFICER_PW },
    );
  const exported = (out: string) =>
    (JSON.parse(fs.readFileSync(path.join(dir, out), 'utf8')) as { reads: { plate: string }[] }).reads
      .map((r) => r.plate)
      .sort();

  beforeAll(() => {
    dir = tempDir();
    provision(dir);
    const bob = cli(
      dir,
      ['users', 'add', 'bob', '--role', 'officer', '--trained', '2026-02-01', '--as', 'ada'],
      { LPR_EDGE_PASSWORD: ADMIN_PW, LPR_EDGE_NEW_PASSWORD: 'bob-pass-1' },
    );
    expect(bob.status).toBe(0);
    saveReads(dir, [vehicle, threat, held]);
    const query = (plate: string, purpose: string) =>
      cli(
        dir,
        ['query', '--plate', plate, '--purpose', purpose, '--case', 'C-1', '--attest', '--as', 'olly'],
        { LPR_EDGE_PASSWORD: OFFICER_PW },
      );
    expect(query('CASE123', 'investigation-vehicle').status).toBe(0);
    expect(query('THREAT9', 'safety-threat').status).toBe(0);
    const hold = cli(
      dir,
      ['hold', 'set', '--read', held.id, '--case', 'C-2', '--reason', 'evidence', '--as', 'ada'],
      { LPR_EDGE_PASSWORD: ADMIN_PW },
    );
    expect(hold.status).toBe(0);
    // Seven CLI runs, each starting node and deriving a password key: well over a minute on a busy machine.
  }, 180_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses an export under a purpose the case was never queried for, naming purpose and case', () => {
    const r = exportAs('bob', 'C-1', 'public-parking', 'parking.json');
    expect(r.status).toBe(3);
    expect(r.stderr).toBe(
      'lpr-edge: export refused: case C-1 was queried for investigation-vehicle, safety-threat, not public-parking; ' +
        'its reads are released only for a purpose they were queried for (policy IV.B)\n',
    );
    expect(fs.existsSync(path.join(dir, 'parking.json'))).toBe(false);
    const db = openTestDb(dir);
    try {
      expect(listQueryLog(db).at(-1)).toMatchObject({
        requester: 'bob',
        purpose: 'public-parking',
        caseNumber: 'C-1',
        outcome: 'refused',
        resultIds: [],
      });
      expect(new AuditLog(db).list({ type: 'export' }).at(-1)!.details).toMatchObject({
        outcome: 'refused',
        purpose: 'public-parking',
      });
    } finally {
      db.close();
    }
  });

  it("releases only the reads the case's queries under the export's purpose returned, whoever exports", () => {
    expect(exportAs('bob', 'C-1', 'investigation-vehicle', 'vehicle.json').status).toBe(0);
    expect(exported('vehicle.json')).toEqual(['CASE123']);
    expect(exportAs('olly', 'C-1', 'safety-threat', 'threat.json').status).toBe(0);
    expect(exported('threat.json')).toEqual(['THREAT9']);
    expect(cli(dir, ['audit', 'verify']).status).toBe(0);
  });

  it('a case that has only reads under legal hold (no queries) exports them under its stated purpose', () => {
    expect(exportAs('bob', 'C-2', 'public-parking', 'held.json').status).toBe(0);
    expect(exported('held.json')).toEqual(['HELD002']);
  });
});

// Policy III.B, VI.E: every attempt to take read data out is logged with who, when, why and what,
// also when the person could not sign in; the sign-in failure record alone names no case or purpose.
describe('lpr-edge export: a sign-in that fails', () => {
  let dir: string;
  const exportAs = (user: string, env: Record<string, string>, ...extra: string[]) =>
    cli(
      dir,
      [
        'export',
        '--case',
        'C-7',
        '--reason',
        'follow-up',
        '--purpose',
        'investigation-vehicle',
        '--requester',
        'Det. Rivera',
        '--agency',
        'State Police Troop K',
        '--as',
        user,
        '--out',
        path.join(dir, 'out.json'),
        ...extra,
      ],
      env,
    );
  const attemptsSince = (before: number) => {
    const db = openTestDb(dir);
    try {
      return listQueryLog(db).slice(before);
    } finally {
      db.close();
    }
  };
  const logged = () => attemptsSince(0).length;

  beforeAll(() => {
    dir = tempDir();
    provision(dir);
    saveReads(dir, [makeRead({ plate: 'CASE777' })]);
    const q = cli(
      dir,
      [
        'query',
        '--plate',
        'CASE777',
        '--purpose',
        'investigation-vehicle',
        '--case',
        'C-7',
        '--attest',
        '--as',
        'olly',
      ],
      { LPR_EDGE_PASSWORD: OFFICER_PW },
    );
    expect(q.status).toBe(0);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // Each test runs six or seven CLI commands, most signing in with scrypt: 120 s, not the default
  // 60 s, on the loaded 2-core build machine.
  it('is in the query log under the claimed name with case, purpose and criteria, and in the audit report', () => {
    const before = logged();
    const attempts: { user: string; env: Record<string, string>; extra: string[] }[] = [
      { user: 'olly', env: { LPR_EDGE_PASSWORD: 'wrong-guess' }, extra: ['--attest'] },
      { user: 'nobody', env: { LPR_EDGE_PASSWORD: 'wrong-guess' }, extra: ['--attest'] },
      { user: 'olly', env: {}, extra: ['--attest'] },
      { user: 'olly', env: { LPR_EDGE_PASSWORD: 'wrong-guess' }, extra: [] },
    ];
    const messages = attempts.map(({ user, env, extra }) => {
      const r = exportAs(user, env, ...extra);
      // The person is told why sign-in failed, as before; nothing is exported.
      expect(r.status).toBe(3);
      expect(r.stderr).toMatch(new RegExp(`^lpr-edge: (sign-in refused for|password for) ${user}`));
      expect(fs.existsSync(path.join(dir, 'out.json'))).toBe(false);
      return r.stderr.replace(/^lpr-edge: /, '').trim();
    });
    expect(messages[2]).toMatch(/set LPR_EDGE_PASSWORD/);
    const rows = attemptsSince(before);
    expect(rows).toHaveLength(attempts.length);
    rows.forEach((row, i) =>
      expect(row).toMatchObject({
        requesterKind: 'unauthenticated',
        requester: attempts[i]!.user,
        purpose: 'investigation-vehicle',
        caseNumber: 'C-7',
        attested: attempts[i]!.extra.includes('--attest'),
        criteria: { exportOfCase: 'C-7' },
        outcome: 'refused',
        refusal: `not authenticated: ${messages[i]}`,
        resultCount: 0,
      }),
    );
    // The auditor sees each attempt among the exports, with why it was refused and what it asked for.
    const report = cli(
      dir,
      ['audit', 'report', '--from', '2020-01-01', '--to', '2100-01-01', '--as', 'ada'],
      {
        LPR_EDGE_PASSWORD: ADMIN_PW,
      },
    );
    expect(report.status).toBe(0);
    expect(report.stdout).toContain(
      '| olly | refused: not authenticated: sign-in refused for olly: unknown user or wrong password | C-7 | Det. Rivera | State Police Troop K | follow-up |',
    );
    expect(report.stdout).toContain(
      '| nobody | refused: not authenticated: sign-in refused for nobody: unknown user or wrong password | C-7 |',
    );
    expect(cli(dir, ['audit', 'verify']).status).toBe(0);
  }, 120_000);

  it('by a locked-out account is logged with the lockout', () => {
    const added = cli(
      dir,
      ['users', 'add', 'lou', '--role', 'officer', '--trained', '2026-02-01', '--as', 'ada'],
      { LPR_EDGE_PASSWORD: ADMIN_PW, LPR_EDGE_NEW_PASSWORD: 'lou-pass-1' },
    );
    expect(added.status).toBe(0);
    for (let i = 0; i < 5; i++) exportAs('lou', { LPR_EDGE_PASSWORD: 'wrong-guess' }, '--attest');
    const before = logged();
    const locked = exportAs('lou', { LPR_EDGE_PASSWORD: 'lou-pass-1' }, '--attest');
    expect(locked.status).toBe(3);
    expect(locked.stderr).toMatch(/sign-in refused for lou: account locked/);
    expect(attemptsSince(before)).toEqual([
      expect.objectContaining({
        requester: 'lou',
        caseNumber: 'C-7',
        criteria: { exportOfCase: 'C-7' },
        outcome: 'refused',
        refusal: expect.stringMatching(/^not authenticated: sign-in refused for lou: account locked/),
      }),
    ]);
    expect(cli(dir, ['audit', 'verify']).status).toBe(0);
  }, 120_000);
});
