import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
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
import { launchChromium } from './helpers/chromium.js';

const dir = tempDir('console-replay-');
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
});

describe('replayed drive to the officer console (ffmpeg + ONNX + SQLite + Chromium)', () => {
  it('a hotlisted plate read from video raises an alert on the console', async () => {
    const video = path.join(dir, 'drive.mp4');
    await renderShortDrive(video, [NJ_SEDAN, NY_SEDAN]);
    const config = { ...embeddedDefaults(), dataDir: path.join(dir, 'data'), cameras: [] };
    const db = openDatabase(path.join(config.dataDir, 'lpr-edge.db'), allMigrations);
    const reads = new ReadStore(db, config.dataDir);
    const audit = new AuditLog(db);
    const users = new UserDirectory(db, { ...config.policy, passwordCostLog2: 14 }, audit);
    users.bootstrapAdmin('admin.ray', 'admin secret 1', '2026-01-05');
    users.addUser(users.signIn('admin.ray', 'admin secret 1'), {
      name: 'ofc.diaz',
      role: 'officer',
      secret: 'correct horse 42',
      trained: '2026-02-01',
    });
    const parts = buildHotlist(
      { db, reads, log: silentLogger(), config: { ...config, console: { ...config.console, port: 0 } } },
      { audit, users },
    );
    const list = path.join(dir, 'ncic.csv');
    writeFileSync(
      list,
      'plate,state,list_type,reference,vehicle\nKDT4821,,stolen-vehicle,NCIC V-4821,Blue sedan\n',
    );
    await importHotlist(parts.store, { file: list, listId: 'ncic', actor: 'admin.ray', audit });
    for (const s of parts.services) await s.start();
    const vision = await Vision.open(config.vision);
    try {
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(parts.console.url);
      await page.fill('#signin-name', 'ofc.diaz');
      await page.fill('#signin-secret', 'correct horse 42');
      await page.click('#signin-form button');
      await page.waitForSelector('#no-alert', { state: 'visible' });

      const source = await openRecording({ id: 'front', path: video, realtime: false, everyFrame: true });
      const pipeline = new CameraPipeline(source, {
        config,
        vision,
        reads,
        position: noPosition,
        log: silentLogger(),
      });
      await pipeline.run();
      expect(reads.list().map((r) => r.plate)).toContain('KDT4821');

      await page.waitForFunction(
        () => document.getElementById('hit-entry')?.textContent === 'KDT4821',
        undefined,
        { timeout: 10_000 },
      );
      expect(await page.locator('#hit-type').innerText()).toBe('Stolen vehicle');
      expect(await page.locator('#hit-ref').innerText()).toContain('NCIC V-4821');
      // The crop the pipeline stored is what the officer compares against.
      await page.waitForFunction(
        () => (document.getElementById('hit-crop') as HTMLImageElement).naturalWidth > 0,
      );
      expect(await page.locator('#verify').isDisabled()).toBe(true);
      // Only the hotlisted vehicle raised a hit.
      expect(parts.hits.recent().map((h) => h.entry.plate)).toEqual(['KDT4821']);
    } finally {
      await vision.close();
      for (const s of [...parts.services].reverse()) await s.stop();
      db.close();
    }
  }, 240_000);
});
