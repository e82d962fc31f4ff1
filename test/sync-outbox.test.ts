import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/policy/audit.js';
import { recordSources } from '../src/sync/adapters.js';
import { backoffDelay } from '../src/sync/link.js';
import { Outbox } from '../src/sync/outbox.js';
import { readSource } from '../src/sync/sources.js';
import { makeRead, openStore } from './helpers/unit.js';

let tmp: string;
let unit: ReturnType<typeof openStore>;
let now = 1_000_000;

beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'lpr-outbox-'));
  unit = openStore(tmp);
  now = 1_000_000;
});
afterEach(() => {
  unit.db.close();
  rmSync(tmp, { recursive: true, force: true });
});

const outbox = () =>
  new Outbox(
    unit.db,
    'car-1',
    [readSource(unit.db, unit.reads, { sendOverview: false }), ...recordSources(unit.db)],
    () => now,
  );

describe('outbox (SQLite on disk)', () => {
  it('sends audit records before bulk reads, each stream in commit order; a record in flight is due again only when marked unsent', () => {
    const reads = [0, 1, 2].map((i) => unit.reads.save(makeRead(i), { crop: null, overview: null }));
    const audit = new AuditLog(unit.db);
    const a1 = audit.append({ type: 'query', actor: 'x', details: {} });
    const a2 = audit.append({ type: 'export', actor: 'x', details: {} });
    const box = outbox();
    expect(box.collect()).toBe(5);
    expect(box.collect()).toBe(0); // the cursor moved: nothing is enqueued twice
    const due = box.due(10);
    expect(due.map((d) => d.msgId)).toEqual([
      `car-1:audit:${a1.id}`,
      `car-1:audit:${a2.id}`,
      ...reads.map((r) => `car-1:read:${r.id}`),
    ]);
    box.markSent(
      due.slice(0, 3).map((d) => d.msgId),
      now,
    );
    expect(box.due(10)).toHaveLength(2); // in flight, not due
    box.markUnsent([due[0]!.msgId]); // the service's ack timeout ran out (on the monotonic clock)
    expect(box.due(10).map((d) => d.msgId)).toEqual([due[0]!.msgId, ...due.slice(3).map((d) => d.msgId)]);
  });

  it('marks records synced only through an ack of a record it sent, ignores unknown and unsent ids, and sets acked_at on the source rows', () => {
    const r = unit.reads.save(makeRead(1), { crop: null, overview: null });
    const msgId = `car-1:read:${r.id}`;
    const box = outbox();
    box.collect();
    const nothing = { acked: [], repeated: 0, unsent: 0 };
    expect(box.ack(['car-1:read:nope', 'car-2:read:' + r.id])).toEqual({ ...nothing, unknown: 2 });
    // Queued but never sent: an ack for it is no evidence HQ has it (policy VI.B).
    expect(box.ack([msgId])).toEqual({ ...nothing, unsent: 1, unknown: 0 });
    expect(unit.db.prepare('SELECT acked_at FROM reads WHERE id = ?').pluck().get(r.id)).toBeNull();
    expect(box.depth()).toBe(1);
    expect(box.due(10).map((d) => d.msgId)).toEqual([msgId]); // still to be sent
    box.markSent([msgId], now);
    expect(box.ack([msgId])).toEqual({ ...nothing, acked: [msgId], unknown: 0 });
    expect(box.ack([msgId])).toEqual({ ...nothing, repeated: 1, unknown: 0 }); // a repeated ack changes nothing
    expect(box.depth()).toBe(0);
    expect(unit.db.prepare('SELECT acked_at FROM reads WHERE id = ?').pluck().get(r.id)).toBe(now);
  });

  it('takes a late ack for a record sent and due again (ack timeout, restart), not for one whose publish failed', () => {
    const [timedOut, restarted, failed] = [1, 2, 3].map(
      (i) => `car-1:read:${unit.reads.save(makeRead(i), { crop: null, overview: null }).id}`,
    );
    const box = outbox();
    box.collect();
    box.markSent([timedOut!, restarted!, failed!], now);
    box.markUnsent([timedOut!]); // HQ's ack did not come within the ack timeout
    box.markNotDelivered([failed!]); // the publish never reached the broker
    const again = outbox();
    again.resetInFlight(); // the unit restarted
    expect(again.due(10).map((d) => d.msgId)).toEqual([timedOut, restarted, failed]);
    expect(again.ack([timedOut!, restarted!, failed!])).toEqual({
      acked: [timedOut, restarted],
      repeated: 0,
      unsent: 1,
      unknown: 0,
    });
    expect(again.due(10).map((d) => d.msgId)).toEqual([failed]);
  });

  it('sends a read made after retention purged every earlier one (sequence numbers are never reused)', () => {
    const old = [0, 1, 2].map((i) => unit.reads.save(makeRead(i), { crop: null, overview: null }));
    const box = outbox();
    expect(box.collect()).toBe(3);
    box.markSent(
      box.due(10).map((d) => d.msgId),
      now,
    );
    expect(box.ack(old.map((r) => `car-1:read:${r.id}`)).acked).toHaveLength(3);
    // Retention deletes acknowledged reads, the newest among them (a car parked past the window).
    expect(unit.db.prepare('DELETE FROM reads WHERE acked_at IS NOT NULL').run().changes).toBe(3);
    const fresh = unit.reads.save(makeRead(3), { crop: null, overview: null });
    expect(fresh.seq).toBe(4);
    expect(box.collect()).toBe(1);
    expect(box.due(10).map((d) => d.msgId)).toEqual([`car-1:read:${fresh.id}`]);
  });

  it('a unit re-imaged under the same unit id sends its numbered records under new message ids', () => {
    // Query-log rows and hit events are numbered 1, 2, ... in each database.
    const logQuery = (db: typeof unit.db) =>
      db
        .prepare(
          `INSERT INTO query_log (ts, requester_kind, requester, purpose, case_number, attested, criteria, outcome, result_count)
           VALUES (1, 'user', 'olly', 'investigation-vehicle', 'C-1', 1, '{}', 'ok', 0)`,
        )
        .run();
    logQuery(unit.db);
    const first = outbox();
    first.collect();
    const reimaged = openStore(path.join(tmp, 'reimaged'));
    try {
      logQuery(reimaged.db);
      const second = new Outbox(reimaged.db, 'car-1', recordSources(reimaged.db), () => now);
      second.collect();
      const [a] = first.due(10).map((d) => d.msgId);
      const [b] = second.due(10).map((d) => d.msgId);
      expect(a).toMatch(/^car-1:query-log:[0-9a-f]{16}-1$/);
      expect(b).toMatch(/^car-1:query-log:[0-9a-f]{16}-1$/);
      expect(b).not.toBe(a); // HQ, which de-duplicates on the id, keeps both
    } finally {
      reimaged.db.close();
    }
  });

  it('after a restart everything unacknowledged is due at once, and records committed meanwhile are picked up', () => {
    const box = outbox();
    unit.reads.save(makeRead(1), { crop: null, overview: null });
    box.collect();
    box.markSent(
      box.due(10).map((d) => d.msgId),
      now,
    );
    unit.reads.save(makeRead(2), { crop: null, overview: null }); // committed, not yet collected: "crash"
    const again = outbox();
    again.resetInFlight();
    expect(again.collect()).toBe(1);
    expect(again.due(10)).toHaveLength(2);
  });
});

describe('reconnect backoff', () => {
  it('is full jitter, capped at the maximum', () => {
    expect(backoffDelay(0, 1000, 60_000, () => 0.999)).toBe(999);
    expect(backoffDelay(3, 1000, 60_000, () => 0.5)).toBe(4000);
    expect(backoffDelay(20, 1000, 60_000, () => 0.999)).toBe(59_940);
    expect(backoffDelay(5, 1000, 60_000, () => 0)).toBe(50); // never a zero-delay reconnect storm
  });
});
