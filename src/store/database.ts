import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export type Db = Database.Database;

/**
 * A schema change owned by one module. Each module numbers its own migrations from 1, so modules
 * can evolve their tables independently; `schema_migrations` records what has been applied.
 */
export interface Migration {
  module: string;
  version: number;
  description: string;
  sql: string;
}

/** Open (creating if needed) the unit's database in WAL mode, then apply pending migrations in order. */
export function openDatabase(file: string, migrations: readonly Migration[]): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // NORMAL is durable across application crashes in WAL mode; a power cut may lose the last
  // transaction but never corrupts the file.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, migrations);
  return db;
}

export function migrate(db: Db, migrations: readonly Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    module TEXT NOT NULL,
    version INTEGER NOT NULL,
    description TEXT NOT NULL,
    applied_at INTEGER NOT NULL,
    PRIMARY KEY (module, version)
  )`);
  const applied = new Set(
    db
      .prepare('SELECT module, version FROM schema_migrations')
      .all()
      .map((r) => {
        const row = r as { module: string; version: number };
        return `${row.module}:${row.version}`;
      }),
  );
  const record = db.prepare(
    'INSERT INTO schema_migrations (module, version, description, applied_at) VALUES (?, ?, ?, ?)',
  );
  // Modules in the order allMigrations lists them (a later module may alter an earlier one's
  // tables, e.g. policy adds reads.acked_at), versions ascending within a module.
  const moduleOrder = [...new Set(migrations.map((m) => m.module))];
  const ordered = [...migrations].sort(
    (a, b) => moduleOrder.indexOf(a.module) - moduleOrder.indexOf(b.module) || a.version - b.version,
  );
  for (const m of ordered) {
    if (applied.has(`${m.module}:${m.version}`)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.module, m.version, m.description, Date.now());
    })();
  }
}
