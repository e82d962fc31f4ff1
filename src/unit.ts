import path from 'node:path';
import { loadConfig, type LoadOptions } from './config/load.js';
import type { Config } from './config/schema.js';
import { openDatabase, type Db } from './store/database.js';
import { allMigrations } from './store/all-migrations.js';
import { ReadStore } from './store/reads.js';
import { createLogger, type Logger } from './log.js';
import { lockPath } from './store/data-dir-lock.js';

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
  return dataDirFiles(config.dataDir)[0]!.file;
}

/**
 * The files of a data directory that a command's output (a report, an export) must never be
 * written over: the database, with the -wal and -shm SQLite keeps beside it while it is open (they
 * are gone between runs, so they are named, not looked for), and the lock.
 */
export function dataDirFiles(dataDir: string): { file: string; what: string }[] {
  const db = path.join(dataDir, 'lpr-edge.db');
  return [
    { file: db, what: "the unit's database" },
    { file: `${db}-wal`, what: "the unit's database (its write-ahead log)" },
    { file: `${db}-shm`, what: "the unit's database (its shared-memory index)" },
    { file: lockPath(dataDir), what: "the data directory's lock" },
  ];
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
