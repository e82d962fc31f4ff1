import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HIT_ACTIONS, hitAuditType } from '../src/alerts/audit-types.js';
import { AUDIT_TYPES, AuditLog } from '../src/policy/audit.js';
import { ADMIN_PW, cli, openTestDb, provision, root, tempDir } from './policy-helpers.js';

/** Every `.ts` file under src/. */
function sources(dir = path.join(root, 'src')): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The `type:` expression of every `.append({ type: ... })` in the source, with its file. */
function appendedTypes(): { file: string; expression: string }[] {
  return sources().flatMap((file) =>
    [
      ...fs
        .readFileSync(file, 'utf8')
        .matchAll(
          /\.append\(\{\s*type:\s*([^\n]*?),?\s*\n|\.append\(\{\s*type:\s*([^,]+),|\.append\(\{\s*(type),/g,
        ),
    ].map((m) => ({ file: path.relative(root, file), expression: (m[1] ?? m[2] ?? m[3]!).trim() })),
  );
}

// Policy VI.G: an auditor can list every kind of record the unit writes.
describe('audit record types', () => {
  it('every type the source appends is one `audit list --type` accepts', () => {
    const found = appendedTypes();
    expect(found.length).toBeGreaterThan(30);
    // Dotted literals anywhere in the expression (both sides of a ternary), or the whole expression.
    const literals = found.flatMap((f) => [
      ...[...f.expression.matchAll(/'([a-z]+\.[a-z-]+)'/g)].map((m) => m[1]!),
      ...(/^'[a-z]+'$/.test(f.expression) ? [f.expression.slice(1, -1)] : []),
    ]);
    const missing = [...new Set(literals)].filter((t) => !(AUDIT_TYPES as readonly string[]).includes(t));
    expect(missing).toEqual([]);
    // Types that are not literals here: a hit's step, mapped by hitAuditType from its action, and
    // what sync's inbound handler passes to its audit helper (literals, checked below).
    expect(found.filter((f) => !f.expression.includes("'"))).toEqual([
      { file: 'src/alerts/hits.ts', expression: 'type' },
      { file: 'src/sync/inbound.ts', expression: 'type' },
    ]);
    const inbound = fs.readFileSync(path.join(root, 'src/sync/inbound.ts'), 'utf8');
    const viaHelper = [...inbound.matchAll(/this\.audit\(\s*([^,]+),/g)].flatMap((m) =>
      [...m[1]!.matchAll(/'([a-z]+\.[a-z-]+)'/g)].map((x) => x[1]!),
    );
    expect(viaHelper.length).toBeGreaterThan(0);
    for (const t of viaHelper) expect(AUDIT_TYPES).toContain(t);
    for (const action of HIT_ACTIONS) expect(AUDIT_TYPES).toContain(hitAuditType(action));
  });

  describe('through the CLI', () => {
    let dir: string;
    const written = [
      'hotlist.stale',
      'hotlist.import-rejected',
      'console.signin',
      'console.signout',
      'console.refused',
    ];
    beforeAll(() => {
      dir = tempDir();
      provision(dir);
      const db = openTestDb(dir);
      const audit = new AuditLog(db);
      for (const type of written) audit.append({ type, actor: 'olly', details: { test: true } });
      db.close();
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    for (const type of written) {
      it(`audit list --type ${type} lists its records`, () => {
        const r = cli(dir, ['audit', 'list', '--type', type, '--json', '--as', 'ada'], {
          LPR_EDGE_PASSWORD: ADMIN_PW,
        });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect((JSON.parse(r.stdout) as { type: string }[]).map((x) => x.type)).toEqual([type]);
      });
    }

    // The records shown hold read data (the plate of each hit, the plates searched for): who
    // listed which records is itself recorded, as `audit report` is (III.B, VI.F).
    it('audit list leaves a record of who listed what, after what it lists', () => {
      const before = (() => {
        const db = openTestDb(dir);
        try {
          return new AuditLog(db).list({ type: 'audit.list' }).length;
        } finally {
          db.close();
        }
      })();
      const r = cli(
        dir,
        [
          'audit',
          'list',
          '--type',
          'console.signin',
          '--from',
          '2020-01-01',
          '--user',
          'olly',
          '--json',
          '--as',
          'ada',
        ],
        { LPR_EDGE_PASSWORD: ADMIN_PW },
      );
      expect(r.stderr).toBe('');
      const shown = JSON.parse(r.stdout) as { seq: number; type: string }[];
      expect(shown.map((x) => x.type)).toEqual(['console.signin']);
      const db = openTestDb(dir);
      try {
        const records = new AuditLog(db).list({ type: 'audit.list' });
        expect(records).toHaveLength(before + 1);
        expect(records.at(-1)).toMatchObject({
          actor: 'ada',
          details: {
            type: 'console.signin',
            from: Date.UTC(2020, 0, 1),
            to: null,
            user: 'olly',
            unacked: false,
            shown: 1,
            firstSeq: shown[0]!.seq,
            lastSeq: shown[0]!.seq,
          },
        });
      } finally {
        db.close();
      }
    });
  });
});
