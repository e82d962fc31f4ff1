import Database from 'better-sqlite3';
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, recordHash } from '../src/policy/audit.js';
import { canonicalJson } from '../src/policy/canonical.js';
import { ADMIN_PW, cli, dbFile, OFFICER_PW, openTestDb, provision, tempDir } from './policy-helpers.js';

/** What an attacker with root does first: the append-only triggers are in the way. */
function rawDb(dir: string): Database.Database {
  const db = new Database(dbFile(dir));
  const triggers = db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('audit_log', 'audit_head', 'policy_state')",
    )
    .pluck()
    .all() as string[];
  for (const t of triggers) db.exec(`DROP TRIGGER ${t}`);
  return db;
}

// Policy VI.F: the audit log is append-only and tamper-evident; `lpr-edge audit verify` proves it.
describe('lpr-edge audit verify', () => {
  let template: string;
  let dir: string;
  beforeAll(() => {
    template = tempDir();
    provision(template);
    // A few more records of different kinds: two queries (one refused) by the officer.
    cli(
      template,
      [
        'query',
        '--plate',
        'ABC1234',
        // Two criteria: the row keeps them in the order given, its chained record sorts them.
        '--from',
        '2020-01-01',
        '--purpose',
        'investigation-vehicle',
        '--case',
        'C-1',
        '--attest',
        '--as',
        'olly',
      ],
      {
        LPR_EDGE_PASSWORD: OFFICER_PW,
      },
    );
    cli(template, ['query', '--plate', 'ABC1234', '--as', 'olly'], { LPR_EDGE_PASSWORD: OFFICER_PW });
  });
  // Each test tampers with its own copy of the same unit.
  beforeEach(() => {
    dir = tempDir();
    fs.cpSync(template, dir, { recursive: true });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  afterAll(() => fs.rmSync(template, { recursive: true, force: true }));

  it('passes on an untouched log', () => {
    const r = cli(dir, ['audit', 'verify']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/audit chain intact: \d+ records; query log matches it/);
  });

  it('the database itself refuses to change or delete unacknowledged records', () => {
    const db = new Database(dbFile(dir));
    expect(() => db.prepare("UPDATE audit_log SET actor = 'nobody' WHERE seq = 2").run()).toThrow(
      /append-only/,
    );
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 2').run()).toThrow(/not acknowledged/);
    db.close();
  });

  it('the query log is append-only, and a row deleted or rewritten behind the triggers fails verify', () => {
    const db = new Database(dbFile(dir));
    expect(() => db.prepare('DELETE FROM query_log').run()).toThrow(/append-only/);
    expect(() => db.prepare("UPDATE query_log SET purpose = 'parking'").run()).toThrow(/append-only/);
    // Root drops the triggers and files the granted query under another case.
    db.exec('DROP TRIGGER query_log_no_update; DROP TRIGGER query_log_no_delete;');
    const granted = db.prepare("SELECT id FROM query_log WHERE outcome = 'ok'").pluck().get() as number;
    db.prepare("UPDATE query_log SET case_number = 'C-2' WHERE id = ?").run(granted);
    db.close();
    const altered = cli(dir, ['audit', 'verify']);
    expect(altered.status).toBe(1);
    expect(altered.stderr).toMatch(
      new RegExp(`query log does not match the audit chain: query-log row ${granted} was altered`),
    );
    const db2 = new Database(dbFile(dir));
    db2.prepare('DELETE FROM query_log WHERE id = ?').run(granted);
    db2.close();
    const removed = cli(dir, ['audit', 'verify', '--json']);
    expect(removed.status).toBe(1);
    expect(JSON.parse(removed.stdout)).toMatchObject({
      ok: false,
      queryLog: expect.stringMatching(/was removed/),
    });
  });

  // Every column the audit report and exports read (who, why, what, when) is checked, not only some.
  it.each([
    ['requester', "'ada'"],
    ['requester_kind', "'hq'"],
    ['criteria', `'{"plate":"XYZ9876"}'`],
    ['attested', '0'],
    ['ts', 'ts - 86400000'],
    ['refusal', "'none'"],
    ['purpose', "'public-parking'"],
    ['case_number', "'C-2'"],
    ['outcome', "'refused'"],
    ['result_count', '7'],
    ['result_ids', `'["forged"]'`],
  ])('a query-log row whose %s was rewritten behind the triggers fails verify', (column, value) => {
    const db = new Database(dbFile(dir));
    db.exec('DROP TRIGGER query_log_no_update; DROP TRIGGER query_log_no_delete;');
    const granted = db.prepare("SELECT id FROM query_log WHERE outcome = 'ok'").pluck().get() as number;
    expect(db.prepare(`UPDATE query_log SET ${column} = ${value} WHERE id = ?`).run(granted).changes).toBe(1);
    db.close();
    const r = cli(dir, ['audit', 'verify']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `query log does not match the audit chain: query-log row ${granted} was altered \\(${column}\\)`,
      ),
    );
    expect(r.status).toBe(1);
  });

  it('a query-log row inserted or duplicated behind the triggers fails verify', () => {
    const db = new Database(dbFile(dir));
    db.exec('DROP TRIGGER query_log_no_update; DROP TRIGGER query_log_no_delete;');
    const granted = db.prepare("SELECT * FROM query_log WHERE outcome = 'ok'").get() as Record<
      string,
      unknown
    >;
    const insert = (auditSeq: unknown) =>
      Number(
        db
          .prepare(
            `INSERT INTO query_log (ts, requester_kind, requester, purpose, case_number, attested, criteria, outcome,
               refusal, result_count, audit_seq, result_ids)
             VALUES (@ts, @requester_kind, 'ada', @purpose, @case_number, @attested, @criteria, @outcome,
               @refusal, @result_count, ?, @result_ids)`,
          )
          .run(auditSeq, granted).lastInsertRowid,
      );
    // A query credited to ada that she never made: no chained record at all...
    const forged = insert(null);
    db.close();
    const noRecord = cli(dir, ['audit', 'verify']);
    expect(noRecord.status).toBe(1);
    expect(noRecord.stderr).toMatch(
      new RegExp(`query-log row ${forged} was inserted: it has no query record in the audit chain`),
    );
    // ... or a copy pointing at the record of a real query.
    const db2 = new Database(dbFile(dir));
    db2.prepare('DELETE FROM query_log WHERE id = ?').run(forged);
    const copy = Number(
      db2
        .prepare(
          `INSERT INTO query_log (ts, requester_kind, requester, purpose, case_number, attested, criteria, outcome,
             refusal, result_count, audit_seq, result_ids)
           SELECT ts, requester_kind, 'ada', purpose, case_number, attested, criteria, outcome, refusal, result_count,
             audit_seq, result_ids FROM query_log WHERE id = ?`,
        )
        .run(granted.id).lastInsertRowid,
    );
    db2.close();
    const duplicate = cli(dir, ['audit', 'verify', '--json']);
    expect(duplicate.status).toBe(1);
    expect(JSON.parse(duplicate.stdout)).toMatchObject({
      ok: false,
      queryLog: `query-log row ${copy} was inserted: audit record ${String(granted.audit_seq)} already has row ${String(granted.id)}`,
    });
  });

  // Policy VI.G: an audit report that said "intact" over a tampered query log would be false assurance.
  it('an audit report over a query log tampered behind the triggers says so and fails, as verify does', () => {
    const report = (...extra: string[]) =>
      cli(dir, ['audit', 'report', '--from', '2020-01-01', '--to', '2100-01-01', ...extra, '--as', 'ada'], {
        LPR_EDGE_PASSWORD: ADMIN_PW,
      });
    const db = new Database(dbFile(dir));
    db.exec('DROP TRIGGER query_log_no_update; DROP TRIGGER query_log_no_delete;');
    const granted = db.prepare("SELECT id FROM query_log WHERE outcome = 'ok'").pluck().get() as number;
    db.prepare("UPDATE query_log SET case_number = 'C-2' WHERE id = ?").run(granted);
    db.close();
    const problem = `does not match the audit chain: query-log row ${granted} was altered (case_number)`;
    const printed = report();
    expect(printed.status).toBe(1);
    expect(printed.stdout).not.toMatch(/intact/);
    expect(printed.stdout).toContain(`**Query log ${problem}`);
    expect(printed.stdout).toContain('The figures below are drawn from this trail and cannot be relied on.');
    expect(printed.stderr).toContain(`lpr-edge: query log ${problem}`);
    const html = `${dir}/report.html`;
    expect(report('--out', html).status).toBe(1);
    expect(fs.readFileSync(html, 'utf8')).toContain(`<strong>Query log ${problem}`);

    // A row added behind the triggers: a query credited to ada that she never made.
    const db2 = new Database(dbFile(dir));
    const forged = Number(
      db2
        .prepare(
          `INSERT INTO query_log (ts, requester_kind, requester, purpose, case_number, attested, criteria, outcome,
             refusal, result_count, audit_seq, result_ids)
           SELECT ts, requester_kind, 'ada', purpose, case_number, attested, criteria, outcome, refusal, result_count,
             NULL, result_ids FROM query_log WHERE id = ?`,
        )
        .run(granted).lastInsertRowid,
    );
    db2.prepare("UPDATE query_log SET case_number = 'C-1' WHERE id = ?").run(granted);
    db2.close();
    const json = report('--json');
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      chain: {
        ok: false,
        queryLog: `query-log row ${forged} was inserted: it has no query record in the audit chain`,
      },
    });
  });

  it('names the record altered by an UPDATE done directly in SQLite', () => {
    const db = rawDb(dir);
    const victim = db
      .prepare("SELECT seq, id, details FROM audit_log WHERE type = 'query' ORDER BY seq LIMIT 1")
      .get() as {
      seq: number;
      id: string;
      details: string;
    };
    db.prepare('UPDATE audit_log SET details = ? WHERE seq = ?').run(
      victim.details.replace('C-1', 'C-2'),
      victim.seq,
    );
    db.close();
    const r = cli(dir, ['audit', 'verify']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`record ${victim.seq} (${victim.id}, query) was altered`);
  });

  it('catches an alteration whose hash was recomputed: the next record no longer links to it', () => {
    const db = rawDb(dir);
    const row = db.prepare('SELECT * FROM audit_log WHERE seq = 2').get() as Record<string, unknown>;
    const details = { ...(JSON.parse(row.details as string) as Record<string, unknown>), role: 'auditor' };
    const hash = recordHash({
      seq: 2,
      id: row.id as string,
      ts: row.ts as number,
      type: row.type as string,
      actor: row.actor as string | null,
      details,
      prevHash: row.prev_hash as string,
    });
    db.prepare('UPDATE audit_log SET details = ?, hash = ? WHERE seq = 2').run(canonicalJson(details), hash);
    db.close();
    const r = cli(dir, ['audit', 'verify']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/record 3 \([0-9a-f-]+\) does not link to record 2: record 2 was rewritten/);
  });

  it('names the record removed by a DELETE done directly in SQLite', () => {
    const db = rawDb(dir);
    db.prepare('DELETE FROM audit_log WHERE seq = 3').run();
    db.close();
    const r = cli(dir, ['audit', 'verify']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/record 3 was removed/);
  });

  it('detects records cut off the end of the chain', () => {
    const db = rawDb(dir);
    const last = (db.prepare('SELECT MAX(seq) AS n FROM audit_log').get() as { n: number }).n;
    db.prepare('DELETE FROM audit_log WHERE seq = ?').run(last);
    db.close();
    const r = cli(dir, ['audit', 'verify', '--json']);
    expect(r.status).toBe(1);
    // The chain head (kept apart from the rows) still names the removed record.
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, firstBad: { problem: 'removed' } });
  });

  it('names a record inserted directly in SQLite, even with a plausible link', () => {
    const db = rawDb(dir);
    const prev = db.prepare('SELECT seq, hash, ts FROM audit_log ORDER BY seq DESC LIMIT 1').get() as {
      seq: number;
      hash: string;
      ts: number;
    };
    db.prepare(
      `INSERT INTO audit_log (seq, id, ts, type, actor, details, prev_hash, hash)
       VALUES (?, 'forged-1', ?, 'signin.success', 'olly', '{"user":"olly"}', ?, ?)`,
    ).run(prev.seq + 1, prev.ts + 1, prev.hash, 'f'.repeat(64));
    db.close();
    const r = cli(dir, ['audit', 'verify']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`record ${prev.seq + 1} (forged-1) was inserted`);
  });

  it('names a record replaced in the middle (delete + insert with the same seq)', () => {
    const db = rawDb(dir);
    const row = db.prepare('SELECT * FROM audit_log WHERE seq = 4').get() as Record<string, unknown>;
    db.prepare('DELETE FROM audit_log WHERE seq = 4').run();
    db.prepare(
      `INSERT INTO audit_log (seq, id, ts, type, actor, details, prev_hash, hash) VALUES (4, 'forged-2', ?, ?, ?, ?, ?, ?)`,
    ).run(row.ts, row.type, row.actor, row.details, row.prev_hash, row.hash);
    db.close();
    const r = cli(dir, ['audit', 'verify']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('record 4 (forged-2');
  });

  it('acknowledged records can be purged as a prefix and the rest still verifies', () => {
    const db = openTestDb(dir);
    const audit = new AuditLog(db);
    const all = audit.list();
    expect(audit.markAcknowledged(all.slice(0, 3).map((r) => r.id))).toBe(3);
    // Unacknowledged records are never purged, whatever their age.
    expect(audit.purgeAcknowledged(Date.now() + 1000)).toBe(3);
    expect(audit.list()[0]!.seq).toBe(4);
    expect(audit.verify()).toMatchObject({ ok: true, count: all.length - 3 });
    db.close();
    expect(cli(dir, ['audit', 'verify']).status).toBe(0);
  });

  it('a report lists queries by user and purpose, sign-ins and a random sample, in JSON and Markdown', () => {
    const out = `${dir}/report.md`;
    const r = cli(
      dir,
      [
        'audit',
        'report',
        '--from',
        '2020-01-01',
        '--to',
        '2100-01-01',
        '--sample',
        '1',
        '--json',
        '--out',
        out,
        '--as',
        'ada',
      ],
      {
        LPR_EDGE_PASSWORD: ADMIN_PW,
      },
    );
    expect(r.stderr).toMatch(/audit report written/);
    expect(r.status).toBe(0);
    const rep = JSON.parse(r.stdout) as {
      chain: { ok: boolean };
      queries: {
        total: number;
        refused: number;
        byUserAndPurpose: { user: string; purpose: string; count: number }[];
      };
      signIns: { user: string; success: number }[];
      sample: unknown[];
    };
    expect(rep.chain.ok).toBe(true);
    expect(rep.queries).toMatchObject({ total: 2, refused: 1 });
    expect(rep.queries.byUserAndPurpose).toContainEqual({
      user: 'olly',
      purpose: 'investigation-vehicle',
      count: 1,
      results: 0,
    });
    expect(rep.signIns.find((s) => s.user === 'olly')!.success).toBe(2);
    expect(rep.sample).toHaveLength(1);
    const md = fs.readFileSync(out, 'utf8');
    expect(md).toMatch(/^\*\*FOR OFFICIAL USE ONLY\*\*/);
    expect(md).toContain('| olly | investigation-vehicle | 1 | 0 |');
    // Hit dispositions (written by the hits module) appear with their median time to verify.
    const db = openTestDb(dir);
    const audit = new AuditLog(db);
    for (const ms of [4000, 8000, 30000])
      audit.append({
        type: 'hit.disposition',
        actor: 'olly',
        details: { outcome: 'verified', timeToVerifyMs: ms },
      });
    audit.append({
      type: 'hit.disposition',
      actor: 'olly',
      details: { outcome: 'rejected', reason: 'state-mismatch', timeToVerifyMs: 2000 },
    });
    db.close();
    const html = `${dir}/report.html`;
    const r2 = cli(
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
        '--out',
        html,
        '--as',
        'ada',
      ],
      {
        LPR_EDGE_PASSWORD: ADMIN_PW,
      },
    );
    expect(r2.status).toBe(0);
    const rep2 = JSON.parse(r2.stdout) as { hitDispositions: unknown[]; signIns: { user: string }[] };
    expect(rep2.hitDispositions).toEqual([
      { outcome: 'verified', count: 3, medianSecondsToVerify: 8 },
      { outcome: 'rejected', count: 1, medianSecondsToVerify: 2 },
    ]);
    expect(rep2.signIns.map((s) => s.user)).toEqual(['olly']);
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toMatch(/<p class="fouo">FOR OFFICIAL USE ONLY<\/p>/);
    expect(page).toContain('<td>verified</td><td>3</td><td>8</td>');

    // The raw records are there for the auditor too.
    const listed = cli(dir, ['audit', 'list', '--type', 'hit.disposition', '--json', '--as', 'ada'], {
      LPR_EDGE_PASSWORD: ADMIN_PW,
    });
    expect(listed.status).toBe(0);
    expect(
      (JSON.parse(listed.stdout) as { details: { outcome: string } }[]).map((x) => x.details.outcome),
    ).toEqual(['verified', 'verified', 'verified', 'rejected']);
    // A type that names no record would list nothing, as if nothing had happened.
    const family = cli(dir, ['audit', 'list', '--type', 'signin', '--as', 'ada'], {
      LPR_EDGE_PASSWORD: ADMIN_PW,
    });
    expect(family.status).toBe(2);
    expect(family.stderr).toMatch(
      /--type: no record type "signin"; did you mean signin\.success or signin\.failure/,
    );

    // Without --json or --out the report is printed for the terminal.
    const printed = cli(
      dir,
      ['audit', 'report', '--from', '2020-01-01', '--to', '2100-01-01', '--as', 'ada'],
      {
        LPR_EDGE_PASSWORD: ADMIN_PW,
      },
    );
    expect(printed.status).toBe(0);
    expect(printed.stdout).toMatch(/^\*\*FOR OFFICIAL USE ONLY\*\*/);
    expect(printed.stdout).toContain('| olly | investigation-vehicle | 1 | 0 |');
    expect(printed.stdout).toMatch(/Audit chain intact: \d+ records; query log matches it\./);

    // An officer may not run the audit.
    const officer = cli(
      dir,
      ['audit', 'report', '--from', '2020-01-01', '--to', '2100-01-01', '--json', '--as', 'olly'],
      {
        LPR_EDGE_PASSWORD: OFFICER_PW,
      },
    );
    expect(officer.status).not.toBe(0);
    expect(officer.stderr).toMatch(/needs the auditor or admin role/);
  });

  it('a report whose --out cannot be written is refused before it is recorded', () => {
    const reports = () => {
      const db = openTestDb(dir);
      try {
        return new AuditLog(db).list({ type: 'audit.report' }).length;
      } finally {
        db.close();
      }
    };
    const report = (out: string) =>
      cli(
        dir,
        ['audit', 'report', '--from', '2020-01-01', '--to', '2100-01-01', '--out', out, '--as', 'ada'],
        {
          LPR_EDGE_PASSWORD: ADMIN_PW,
        },
      );
    const missing = report(`${dir}/missing/dir/r.md`);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(
      `lpr-edge: --out: folder ${dir}/missing/dir does not exist; create it first or give another path\n`,
    );
    fs.mkdirSync(`${dir}/old.md`);
    const folder = report(`${dir}/old.md`);
    expect(folder.status).toBe(2);
    expect(folder.stderr).toMatch(/^lpr-edge: --out: ".*old\.md" is a folder; give a file name/);
    expect(reports()).toBe(0);
    expect(report(`${dir}/r.md`).status).toBe(0);
    expect(reports()).toBe(1);
  });

  it('refuses a reversed date range, as query does, instead of an empty report', () => {
    for (const sub of ['report', 'list']) {
      const r = cli(dir, ['audit', sub, '--from', '2026-12-02', '--to', '2026-12-01', '--as', 'ada'], {
        LPR_EDGE_PASSWORD: ADMIN_PW,
      });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        'lpr-edge: time range: --from (2026-12-02T00:00:00.000Z) is after --to (2026-12-01T23:59:59.999Z); give the earlier time as --from\n',
      );
    }
    const bad = cli(dir, ['audit', 'report', '--from', '2026-02-30', '--to', '2026-12-01', '--as', 'ada'], {
      LPR_EDGE_PASSWORD: ADMIN_PW,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--from: got "2026-02-30"; 2026-02-30 is not a calendar date/);
  });
});
