import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { openDatabase } from '../store/database.js';
import { allMigrations } from '../store/all-migrations.js';
import { ReadStore } from '../store/reads.js';
import { silentLogger } from '../log.js';
import { buildHotlist } from '../hotlist/services.js';
import { importHotlist } from '../hotlist/import.js';
import { defaultConsoleConfig, defaultHotlistsConfig } from '../hotlist/config.js';
import { AuditLog } from '../policy/audit.js';
import { UserDirectory } from '../policy/users.js';
import { policySchema } from '../policy/config.js';
import { CHROMIUM_PATH, launchChromium } from './chromium.js';

/**
 * From a matching read being committed (what the tracker hands over) to the alert shown in the
 * officer console in Chromium: p50/p95 over a series of hits. Target: p95 < 250 ms.
 */
export async function benchConsoleLatency(opts: { alerts?: number } = {}): Promise<Record<string, unknown>> {
  if (!existsSync(CHROMIUM_PATH)) {
    console.log(JSON.stringify({ skipped: `${CHROMIUM_PATH} not installed (apt-get install chromium)` }));
    return {};
  }
  const N = Math.min(opts.alerts ?? 20, 23);
  // Every plate differs from every other in three places, so each read hits exactly one entry.
  const L = 'ABCDEFGHJKLMNPRSTUVWXYZ';
  const plateOf = (i: number) => `${L[i]}${L[(i + 5) % 23]}${L[(i + 11) % 23]}1234`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-console-'));
  const db = openDatabase(path.join(dir, 'lpr-edge.db'), allMigrations);
  const reads = new ReadStore(db, dir);
  const audit = new AuditLog(db);
  const users = new UserDirectory(db, { ...policySchema.parse({}), passwordCostLog2: 14 }, audit);
  users.bootstrapAdmin('admin', 'admin secret 1', '2026-01-05');
  users.addUser(users.signIn('admin', 'admin secret 1'), {
    name: 'ofc',
    role: 'officer',
    secret: 'officer secret 1',
    trained: '2026-01-05',
  });
  const parts = buildHotlist(
    {
      db,
      reads,
      log: silentLogger(),
      config: { hotlists: defaultHotlistsConfig(), console: { ...defaultConsoleConfig(), port: 0 } },
    },
    { audit, users },
  );
  const csv = path.join(dir, 'list.csv');
  writeFileSync(
    csv,
    'plate,state,list_type\n' +
      Array.from({ length: N }, (_, i) => `${plateOf(i)},NY,stolen-vehicle`).join('\n') +
      '\n',
  );
  await importHotlist(parts.store, { file: csv, listId: 'bench', actor: 'admin', audit });
  for (const s of parts.services) await s.start();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(parts.console.url);
    await page.fill('#signin-name', 'ofc');
    await page.fill('#signin-secret', 'officer secret 1');
    await page.click('#signin-form button');
    await page.waitForSelector('#no-alert', { state: 'visible' });
    // The page notes (wall clock, same machine) when each plate first appears on screen.
    await page.evaluate(() => {
      const w = window as unknown as { shownAt: Record<string, number> };
      w.shownAt = {};
      const el = document.getElementById('hit-entry')!;
      new MutationObserver(() => {
        const t = el.textContent ?? '';
        if (t && !(t in w.shownAt) && !document.getElementById('hit')!.hidden) w.shownAt[t] = Date.now();
      }).observe(el, { childList: true, subtree: true, characterData: true });
    });
    const ms: number[] = [];
    for (let i = 0; i < N; i++) {
      const plate = plateOf(i);
      const ts = Date.now();
      const t0 = Date.now();
      reads.save(
        {
          id: randomUUID(),
          unitId: 'bench',
          cameraId: 'front',
          ts,
          firstSeen: ts,
          lastSeen: ts,
          plate,
          state: 'NY',
          stateConfidence: 0.9,
          confidence: 0.9,
          charConfidences: [...plate].map(() => 0.9),
          candidates: [],
          frames: 3,
          box: [0, 0, 10, 10],
          gps: null,
          gpsFixAgeMs: null,
          flags: [],
        },
        { crop: null, overview: null },
      );
      const shown = await page.waitForFunction(
        (p) => (window as unknown as { shownAt: Record<string, number> }).shownAt[p],
        plate,
        { timeout: 10_000 },
      );
      ms.push(((await shown.jsonValue()) as number) - t0);
      const id = parts.hits.open()[0]!.id;
      parts.hits.reject(id, 'misread', null, 'ofc');
      await page.waitForSelector('#no-alert', { state: 'visible' });
    }
    ms.sort((a, b) => a - b);
    const pct = (p: number) => ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))]!;
    const result = {
      alerts: N,
      readToAlertMs: { p50: pct(50), p95: pct(95), max: ms.at(-1) },
      target: { p95Ms: 250 },
      loadAverage: os.loadavg().map((l) => +l.toFixed(1)),
    };
    console.log(JSON.stringify(result, null, 2));
    return result;
  } finally {
    await browser.close();
    for (const s of [...parts.services].reverse()) await s.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
