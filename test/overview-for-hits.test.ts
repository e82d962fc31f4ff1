import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NJ_SEDAN, NY_SEDAN, renderShortDrive } from './helpers/video.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { openDatabase } from '../src/store/database.js';
import { allMigrations } from '../src/store/all-migrations.js';
import { ReadStore } from '../src/store/reads.js';
import { silentLogger } from '../src/log.js';
import { Vision } from '../src/vision/vision.js';
import { openRecording } from '../src/capture/file-source.js';
import { CameraPipeline } from '../src/pipeline/camera-pipeline.js';
import { noPosition } from '../src/gps/types.js';
import { buildHotlist } from '../src/hotlist/services.js';
import { importHotlist } from '../src/hotlist/import.js';
import { AuditLog } from '../src/policy/audit.js';
import { UserDirectory } from '../src/policy/users.js';
import { tempDir } from './helpers/tmp.js';

// Policy IV.C.2: the officer verifies a hit against the plate crop and the overview image. A unit
// that keeps no overviews (storage.keepOverview false, or a nearly full disk) still keeps the
// overview of a read that matches a hotlist.
describe('overview images when overviews are not kept (ffmpeg + ONNX + SQLite)', () => {
  it('keeps the overview of a hotlisted read only', async () => {
    const dir = tempDir('overview-hits-');
    const video = path.join(dir, 'drive.mp4');
    await renderShortDrive(video, [NY_SEDAN, NJ_SEDAN]);
    const defaults = embeddedDefaults();
    const config = {
      ...defaults,
      dataDir: path.join(dir, 'data'),
      cameras: [],
      storage: { ...defaults.storage, keepOverview: false },
    };
    const db = openDatabase(path.join(config.dataDir, 'lpr-edge.db'), allMigrations);
    const reads = new ReadStore(db, config.dataDir);
    const audit = new AuditLog(db);
    const users = new UserDirectory(db, { ...config.policy, passwordCostLog2: 14 }, audit);
    const parts = buildHotlist(
      { db, reads, log: silentLogger(), config: { ...config, console: { ...config.console, port: 0 } } },
      { audit, users },
    );
    const list = path.join(dir, 'ncic.csv');
    writeFileSync(list, 'plate,state,list_type,reference\nKDT4821,,stolen-vehicle,NCIC V-4821\n');
    await importHotlist(parts.store, { file: list, listId: 'ncic', actor: 'admin.ray', audit });
    await parts.matching.start();
    const vision = await Vision.open(config.vision);
    try {
      const source = await openRecording({ id: 'front', path: video, realtime: false, everyFrame: true });
      const pipeline = new CameraPipeline(source, {
        config,
        vision,
        reads,
        position: noPosition,
        log: silentLogger(),
        // As the daemon wires it (src/daemon.ts).
        hitsHotlist: (read) => parts.matching.wouldHit(read),
      });
      await pipeline.run();
      const byPlate = new Map(reads.list().map((r) => [r.plate, r]));
      expect([...byPlate.keys()].sort()).toEqual(['HZN5177', 'KDT4821']);
      expect(byPlate.get('KDT4821')!.overviewPath).not.toBeNull();
      expect(byPlate.get('HZN5177')!.overviewPath).toBeNull();
      expect(byPlate.get('HZN5177')!.cropPath).not.toBeNull();
      expect(parts.hits.count()).toBe(1);
    } finally {
      await parts.matching.stop();
      await vision.close();
      db.close();
    }
  }, 240_000);
});
