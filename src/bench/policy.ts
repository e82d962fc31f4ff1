import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../store/database.js';
import { allMigrations } from '../store/all-migrations.js';
import { ReadStore } from '../store/reads.js';
import { AuditLog } from '../policy/audit.js';
import { policySchema } from '../policy/config.js';
import { UserDirectory } from '../policy/users.js';
import { ReadQueries } from '../policy/query.js';

/**
 * Policy costs on this machine: audit append rate (each append is its own transaction, as in
 * use), full-chain verify throughput, one sign-in at the default scrypt cost, and a logged plate
 * query over 100k reads.
 */
export async function benchPolicy(): Promise<Record<string, number>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lpr-bench-policy-'));
  try {
    const db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
    const audit = new AuditLog(db);
    const N = 20_000;
    let t = performance.now();
    for (let i = 0; i < N; i++)
      audit.append({
        type: 'query',
        actor: 'bench',
        details: { i, purpose: 'investigation-vehicle', criteria: { plate: 'ABC1234' } },
      });
    const appendPerS = N / ((performance.now() - t) / 1000);
    t = performance.now();
    const v = audit.verify();
    const verifyPerS = v.count / ((performance.now() - t) / 1000);

    const users = new UserDirectory(db, policySchema.parse({}), audit);
    users.bootstrapAdmin('ada', 'bench-password-1', '2026-01-01');
    t = performance.now();
    const ada = users.signIn('ada', 'bench-password-1');
    const signInMs = performance.now() - t;

    const store = new ReadStore(db, dir);
    const R = 100_000;
    db.transaction(() => {
      for (let i = 0; i < R; i++) {
        const ts = 1_700_000_000_000 + i * 1000;
        store.save(
          {
            id: `r${i}`,
            unitId: 'bench',
            cameraId: 'front',
            ts,
            firstSeen: ts,
            lastSeen: ts,
            plate: `P${String(i % 50_000).padStart(6, '0')}`,
            state: 'NY',
            stateConfidence: 0.9,
            confidence: 0.9,
            charConfidences: [],
            candidates: [],
            frames: 3,
            box: [0, 0, 10, 10],
            gps: { lat: 40 + (i % 1000) / 10_000, lon: -74, time: ts, mode: 3 },
            gpsFixAgeMs: 0,
            flags: [],
          },
          { crop: null, overview: null },
        );
      }
    })();
    const q = new ReadQueries(db, audit);
    const just = { purpose: 'investigation-vehicle', caseNumber: 'B-1', attested: true };
    t = performance.now();
    const exact = q.search(ada, { plate: 'P001234' }, just);
    const plateQueryMs = performance.now() - t;
    t = performance.now();
    const partial = q.search(ada, { partial: 'P00123?' }, just);
    const partialQueryMs = performance.now() - t;
    db.close();
    const result = {
      auditAppendPerS: Math.round(appendPerS),
      auditVerifyRecordsPerS: Math.round(verifyPerS),
      signInMsScrypt2e15: Math.round(signInMs),
      plateQueryMsOver100kReads: Math.round(plateQueryMs * 10) / 10,
      plateQueryResults: exact.count,
      partialQueryMsOver100kReads: Math.round(partialQueryMs * 10) / 10,
      partialQueryResults: partial.count,
    };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
