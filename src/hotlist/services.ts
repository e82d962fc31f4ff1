import type { Service } from '../service.js';
import type { Unit } from '../unit.js';
import type { Config } from '../config/schema.js';
import { HitLog } from '../alerts/hits.js';
import { ConsoleServer, type UnitStatus } from '../alerts/server.js';
import type { ConsoleUsers } from '../alerts/sessions.js';
import { Equivalence } from './normalise.js';
import { HotlistService } from './service.js';
import { HotlistStore } from './store.js';
import type { AuditSink } from './types.js';
import type { ReadQueries } from '../policy/query.js';

/** What the hotlist needs of the unit (a full Unit fits). */
export type HotlistUnit = Pick<Unit, 'db' | 'reads' | 'log'> & {
  config: Pick<Config, 'hotlists' | 'console'>;
};

export interface HotlistDeps {
  audit: AuditSink;
  /** Officer sign-in and sessions for the console (policy's UserDirectory). */
  users: ConsoleUsers;
  /** Cameras, GPS and sync for the console's status bar. */
  unitStatus?: () => UnitStatus;
  /** Logged, purposeful searches of stored reads (policy's ReadQueries), for the watch list's look back. */
  queries?: Pick<ReadQueries, 'search'>;
  now?: () => number;
}

export interface HotlistParts {
  store: HotlistStore;
  hits: HitLog;
  matching: HotlistService;
  console: ConsoleServer;
  /** In start order: matching first, so the console never shows a read before it was checked. */
  services: Service[];
}

/** Build the hotlist store, matching, hit lifecycle and officer console on a unit. */
export function buildHotlist(unit: HotlistUnit, deps: HotlistDeps): HotlistParts {
  const config = unit.config.hotlists;
  const store = new HotlistStore(unit.db, new Equivalence(config.equivalence));
  // The hit log checks open hits against the lists as they are now (entries withdrawn meanwhile).
  const hits = new HitLog(unit.db, config, deps.audit, deps.now, undefined, store);
  const matching = new HotlistService({
    db: unit.db,
    reads: unit.reads,
    store,
    hits,
    config,
    audit: deps.audit,
    log: unit.log.child({ module: 'hotlist' }),
    now: deps.now,
  });
  const console = new ConsoleServer({
    config: unit.config.console,
    hotlists: config,
    hits,
    reads: unit.reads,
    service: matching,
    store,
    users: deps.users,
    audit: deps.audit,
    log: unit.log.child({ module: 'console' }),
    unitStatus: deps.unitStatus,
    queries: deps.queries,
    now: deps.now,
  });
  return { store, hits, matching, console, services: [matching, console] };
}
