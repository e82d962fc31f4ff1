import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Unit } from '../unit.js';
import { openDatabase, type Db } from '../store/database.js';
import { allMigrations } from '../store/all-migrations.js';
import { AuditLog } from '../policy/audit.js';
import { HotlistStore } from '../hotlist/store.js';
import { Equivalence } from '../hotlist/normalise.js';
import { importHotlist, type ImportReport } from '../hotlist/import.js';
import { HotlistService } from '../hotlist/service.js';
import { HitLog } from '../alerts/hits.js';

/**
 * The hotlist of a field-test replay (`replay --hotlist FILE`), held in a scratch database in a
 * temporary folder that is deleted when the replay ends. The reads of the unit are matched by the
 * daemon's own HotlistService and HitLog, so hits are raised exactly as on the road; only the list
 * and the hits live elsewhere.
 *
 * Why not the unit's database (and remove the list and hits at the end)? What is written there is
 * the unit's record: hits and their audit records go to HQ, and the audit log is hash-chained,
 * append-only, so nothing can be taken back out of it; a hotlist there is one the administrator
 * maintains with each entry's author known (policy III.C, VI.A), which an engineer's test list is
 * not. And a clean-up at the end never runs when the replay is killed or the car loses power:
 * the list would stay active and the next shift's officer be alerted by the test's hits (IV.C.2).
 * A scratch database leaves nothing in the unit whichever way the replay ends; killed outright,
 * it leaves a file in the temporary folder that no daemon ever reads.
 */
export class ReplayHotlist {
  private constructor(
    private readonly dir: string,
    private readonly db: Db,
    readonly imported: ImportReport,
    readonly hits: HitLog,
    readonly matching: HotlistService,
  ) {}

  /** Imports `file` into a new scratch database and starts matching the unit's new reads against it. */
  static async open(unit: Unit, file: string): Promise<ReplayHotlist> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lpr-edge-replay-'));
    let db: Db | null = null;
    try {
      db = openDatabase(path.join(dir, 'hotlist.db'), allMigrations);
      // A hit names the read that raised it, and that read is in the unit's database, not here.
      db.pragma('foreign_keys = OFF');
      const config = unit.config.hotlists;
      const audit = new AuditLog(db);
      const store = new HotlistStore(db, new Equivalence(config.equivalence));
      const imported = await importHotlist(store, { file, actor: 'replay', audit, source: 'replay' });
      const hits = new HitLog(db, config, audit);
      const matching = new HotlistService({
        // The reads (and their sequence) are the unit's: matching follows the reads it stores.
        db: unit.db,
        reads: unit.reads,
        store,
        hits,
        config,
        audit,
        log: unit.log,
      });
      await matching.start();
      return new ReplayHotlist(dir, db, imported, hits, matching);
    } catch (err) {
      db?.close();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Stops matching and deletes the list and its hits. */
  async close(): Promise<void> {
    try {
      await this.matching.stop();
    } finally {
      this.db.close();
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
