import path from 'node:path';
import { silentLogger } from '../../src/log.js';
import { policyServices } from '../../src/policy/services.js';
import { createSyncService } from '../../src/sync/service.js';
import type { BrokerAndHqSink } from './broker-and-hq-sink.js';
import { openStore, unitConfig } from './unit.js';

/**
 * A unit `unitId` syncing with the fixture's broker and HQ, its data folder `<fixture dir>/<unitId>`,
 * its sync service wired to the audit log and read queries as the daemon wires them, so that it
 * answers HQ's pull requests; not started. `settings` add to or replace its sync settings
 * (fixture.unitSync). The unit side of the pull tests; the test saves the reads it needs.
 */
export function unitAnsweringPulls(
  fixture: BrokerAndHqSink,
  unitId: string,
  settings: Record<string, unknown> = {},
) {
  const dataDir = path.join(fixture.dir, unitId);
  const car = openStore(dataDir);
  const config = unitConfig(dataDir, fixture.unitSync(settings), unitId);
  const policy = policyServices({ db: car.db, config });
  const sync = createSyncService(
    { config, db: car.db, reads: car.reads, log: silentLogger() },
    { audit: policy.audit, queries: policy.queries },
  );
  return { car, sync };
}
