import path from 'node:path';
import { loadConfig, type LoadOptions } from './config/load.js';
import type { Config } from './config/schema.js';
import { openDatabase, type Db } from './store/database.js';
import { allMigrations } from './store/all-migrations.js';
import { ReadStore } from './store/reads.js';
import { createLogger, type Logger } from './log.js';

/**
 * The unit's persistent state as every command sees it: validated config, the database with all
 * migrations applied, and the stores built on it. The daemon builds its services on top of this.
 */
export interface Unit {
  config: Config;
  configSource: string;
  db: Db;
  reads: ReadStore;
  log: Logger;
  close(): void;
}

export function databasePath(config: Config): string {
  return path.join(config.dataDir, 'lpr-edge.db');
}

export function openUnit(opts: LoadOptions & { log?: Logger } = {}): Unit {
  const { config, source } = loadConfig(opts);
  const log = opts.log ?? createLogger(config.log.level);
  const db = openDatabase(databasePath(config), allMigrations);
  const reads = new ReadStore(db, config.dataDir);
  return {
    config,
    configSource: source,
    db,
    reads,
    log,
    close: () => db.close(),
  };
}
