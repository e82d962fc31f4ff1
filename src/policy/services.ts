import type { Config } from '../config/schema.js';
import type { Db } from '../store/database.js';
import { AuditLog } from './audit.js';
import { recordConfigChange } from './config-audit.js';
import { ExclusionZones } from './exclusion.js';
import { LegalHolds } from './holds.js';
import { ReadQueries } from './query.js';
import { UserDirectory } from './users.js';

export interface PolicyServices {
  audit: AuditLog;
  users: UserDirectory;
  queries: ReadQueries;
  holds: LegalHolds;
  zones: ExclusionZones;
}

/**
 * The policy module's objects over one database. With `recordStartup` (the daemon and every
 * policy CLI command) configuration and exclusion-zone changes since the last start are audited.
 */
export function policyServices(
  unit: { db: Db; config: Config },
  opts: { recordStartup?: boolean } = {},
): PolicyServices {
  const audit = new AuditLog(unit.db);
  const zones = new ExclusionZones(unit.db, unit.config.policy.exclusionZones, audit);
  if (opts.recordStartup) {
    recordConfigChange(unit.db, unit.config, audit);
    zones.recordZones();
  }
  return {
    audit,
    users: new UserDirectory(unit.db, unit.config.policy, audit),
    queries: new ReadQueries(unit.db, audit),
    holds: new LegalHolds(unit.db, audit),
    zones,
  };
}
