import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyServices } from '../src/policy/services.js';
import type { RosterDocument } from '../src/sync/schemas.js';
import { createSyncService, type SyncService } from '../src/sync/service.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { recordingLogger } from './helpers/logger.js';
import { openStore, unitConfig, until } from './helpers/unit.js';

// docs/sync.md (Down-link, 3): an older version is rejected as stale when sent to this unit, but
// ignored on a fleet topic: the retained fleet document comes again at every connect, and a unit
// HQ has since sent a later one of its own holds a later version, as designed. Hotlists did so;
// the roster was rejected and audited each time (the audit chain growing at every connect, and the
// status's lastRejected reporting HQ's normal practice as an error).
const AGENCY = 'nyspd';
const fixture = useBrokerAndHqSink('lpr-sync-roster-fleet-');
const { dir: tmp } = fixture;

const roster = (version: number, role: 'officer' | 'admin'): RosterDocument => ({
  type: 'roster',
  agency: AGENCY,
  rosterId: 'main',
  version,
  issuedAt: Date.now(),
  users: [{ name: 'jsmith', role, initialTraining: '2026-01-10' }],
});

describe('an older roster on the fleet topic', () => {
  it('is ignored, not rejected or audited, at every connect; one sent to the unit alone is still rejected', async () => {
    const dataDir = path.join(tmp, 'unit');
    const unit = openStore(dataDir);
    const config = unitConfig(dataDir, fixture.unitSync());
    const policy = policyServices({ db: unit.db, config });
    const inbound = () =>
      unit.db.prepare("SELECT outcome, reason FROM sync_inbound WHERE kind = 'roster' ORDER BY id").all() as {
        outcome: string;
        reason: string | null;
      }[];
    const rejectedAudits = () =>
      policy.audit.list({ type: 'roster.apply' }).filter((r) => r.details.outcome === 'rejected');
    const start = async (): Promise<SyncService> => {
      const sync = createSyncService(
        { config, db: unit.db, reads: unit.reads, log: recordingLogger().log },
        { roster: policy.users, audit: policy.audit },
      );
      await sync.start();
      await until(() => sync.link.connected, 10_000, 'unit to connect');
      return sync;
    };
    let sync = await start();
    try {
      // The fleet's roster v1 (retained), then v2 for this unit alone.
      await fixture.sink.publishRoster(roster(1, 'officer'));
      await until(() => inbound().length === 1, 10_000, 'fleet roster v1');
      await fixture.sink.publishRoster(roster(2, 'admin'), { unit: 'car-1' });
      await until(() => policy.users.get('jsmith')?.role === 'admin', 10_000, 'unit roster v2');
      // Reconnect: the retained fleet v1 comes again.
      await sync.stop();
      sync = await start();
      await until(() => inbound().length === 3, 10_000, 'fleet roster v1 again');
      expect(inbound().map((r) => r.outcome)).toEqual(['applied', 'applied', 'ignored']);
      expect(inbound()[2]!.reason).toMatch(/version 1 superseded: this unit holds version 2/);
      expect(rejectedAudits()).toEqual([]);
      expect(policy.users.get('jsmith')?.role).toBe('admin');
      // Sent to this unit, an older roster is HQ's mistake: rejected and audited, as before.
      await fixture.sink.publishRoster(roster(1, 'officer'), { unit: 'car-1' });
      await until(() => inbound().length === 4, 10_000, 'unit roster v1');
      expect(inbound()[3]).toMatchObject({ outcome: 'rejected' });
      expect(rejectedAudits()).toHaveLength(1);
      expect(policy.users.get('jsmith')?.role).toBe('admin');
    } finally {
      await sync.stop();
      unit.db.close();
    }
  });
});
