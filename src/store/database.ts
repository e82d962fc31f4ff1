import Database from 'better-sqlite3';
import { accessSync, constants, existsSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DATA_FILE_MODE, foreignOwnerOf, giveTo, makeDataDir } from './data-dir-owner.js';
import { whyNotWritable } from './unwritable.js';
import { runningAccount } from '../util/accounts.js';

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

/**
 * The data directory or database cannot be used (a file where the folder should be, a file that
 * is not a database). The message names the path and the fix; cli.ts prints it as one line.
 * `fix`, when given apart, is appended to the message; selftest shows it as the check's fix.
 */
export class DatabaseError extends Error {
  constructor(
    readonly problem: string,
    readonly fix?: string,
  ) {
    super(fix ? `${problem}; ${fix}` : problem);
    this.name = 'DatabaseError';
  }
}

const WHERE = '--data-dir (or dataDir in the config)';

/** Open (creating if needed) the unit's database in WAL mode, then apply pending migrations in order. */
export function openDatabase(file: string, migrations: readonly Migration[]): Db {
  if (file !== ':memory:') {
    const dir = path.dirname(file);
    try {
      makeDataDir(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTDIR')
        throw new DatabaseError(
          `data directory ${dir} is not a folder (a file is in the way)`,
          `point ${WHERE} at a folder`,
        );
      // A permissions problem of the folder above, not a damaged database: the fix is ownership,
      // for the account this runs as (root would have created it): the daemon's User=, which is
      // not "lpr-edge" after install.sh --user.
      const { user, group } = runningAccount();
      throw new DatabaseError(
        `cannot create the data directory ${dir} (${code})`,
        code === 'EACCES' || code === 'EPERM'
          ? `create it for the service user (sudo install -d -m 0750 -o ${user} -g ${group} ${dir}), or point ${WHERE} at a folder ${user} can write`
          : `point ${WHERE} at a folder ${user} can write`,
      );
    }
  }
  const inFolder = file === ':memory:' ? [] : [file, `${file}-wal`, `${file}-shm`];
  const created = inFolder.filter((f) => !existsSync(f));
  let db: Db | undefined;
  try {
    // SQLite would create it 0644 less the umask; an empty file is a new database to it, and its
    // -wal and -shm get the database's mode.
    if (created.includes(file)) {
      try {
        writeFileSync(file, '', { flag: 'wx', mode: DATA_FILE_MODE });
      } catch {
        // SQLite's own open below says why, in the words databaseError turns into the fix.
      }
    }
    db = new Database(file);
    db.pragma('journal_mode = WAL'); // creates -wal and -shm
    if (inFolder.length) {
      // Root in the service user's data folder (`sudo lpr-edge selftest`): what it created there
      // goes to the folder's owner, or the daemon could no longer write its own database.
      giveTo(foreignOwnerOf(path.dirname(file)), created);
      const unwritable = whyNotWritable(file);
      if (unwritable) throw new DatabaseError(unwritable.problem, unwritable.fix);
    }
    // NORMAL is durable across application crashes in WAL mode; a power cut may lose the last
    // transaction but never corrupts the file.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, migrations);
    return db;
  } catch (err) {
    db?.close();
    throw databaseError(file, err);
  }
}

/** A user-facing error for the ways a database file cannot be opened; anything else unchanged. */
function databaseError(file: string, err: unknown): unknown {
  const code = (err as { code?: string }).code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    // Never suggest deleting it: a damaged database may still hold reads not yet sent to HQ.
    return new DatabaseError(
      `${file} is not a usable database (${(err as Error).message}); check that ${WHERE} names the unit's data folder; if it does, stop lpr-edge, copy the folder aside and call support (do not delete it)`,
    );
  }
  // A full disk: SQLite says "database or disk is full", or only "disk I/O error" when it cannot
  // even grow its -shm. Said as such, since the daemon cannot free space it never gets to open.
  if ((code === 'SQLITE_FULL' || code?.startsWith('SQLITE_IOERR')) && diskFull(path.dirname(file)))
    return new DatabaseError(
      `cannot open the database ${file} (${(err as Error).message}): the disk is full (no space left on the filesystem of ${path.dirname(file)})`,
      "free space on it (files that are not lpr-edge's; the journal: sudo journalctl --vacuum-size=200M), then start lpr-edge again; do not delete the database: it holds reads not yet sent",
    );
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY') {
    // A data disk the kernel remounted read-only (SD card errors): said as such, rather than
    // "point --data-dir at a folder root can write" to root. A database that is there but another
    // account's (root's, 0640, so this user cannot even read it): whose it is and the chown.
    const notMine =
      onReadOnlyFilesystem(path.dirname(file)) || existsSync(file) ? whyNotWritable(file) : null;
    if (notMine) return new DatabaseError(notMine.problem, notMine.fix);
    // The account this runs as (the daemon's User=, not "lpr-edge" after install.sh --user).
    return new DatabaseError(
      `cannot open the database ${file} (${(err as Error).message}); point ${WHERE} at a folder ${runningAccount().user} can write`,
    );
  }
  return err;
}

function onReadOnlyFilesystem(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EROFS';
  }
}

/** Whether the filesystem of `dir` has less than a megabyte left for this user. */
function diskFull(dir: string): boolean {
  try {
    const st = statfsSync(dir);
    return st.bavail * st.bsize < 1024 * 1024;
  } catch {
    return false;
  }
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
