import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { openDatabase } from '../src/store/database.js';
import { allMigrations } from '../src/store/all-migrations.js';
import { HotlistStore } from '../src/hotlist/store.js';
import { Equivalence } from '../src/hotlist/normalise.js';
import { addManualEntry } from '../src/hotlist/manual.js';

/**
 * Policy IV.C.1 asks for the agency's current hotlist; the unit's own entries (a plate an officer
 * watches for, `hotlist add`) are no such list, and /healthz does not count them ("no hotlist
 * loaded"). selftest must not pass the unit on them either.
 */
const dir = tempDir('selftest-hotlist-local-');

describe('selftest hotlists check', () => {
  it('fails a unit whose only list is its own watch list, as /healthz does, naming what is missing', async () => {
    const dataDir = path.join(dir, 'data');
    const db = openDatabase(path.join(dataDir, 'lpr-edge.db'), allMigrations);
    addManualEntry(new HotlistStore(db, new Equivalence([])), { append: () => undefined }, 'ofc.a', {
      plate: 'WAT1234',
      state: 'NY',
      reason: 'BOLO robbery',
    });
    db.close();
    const config = path.join(dir, 'unit.yaml');
    fs.writeFileSync(
      config,
      stringify({ unitId: 'car-1', agency: 'pd', dataDir, cameras: [], vision: embeddedDefaults().vision }),
    );
    const r = await runCli(['selftest', '--json', '--gps-seconds', '0', '--config', config]);
    const checks = JSON.parse(r.stdout) as { check: string }[];
    expect(checks.find((c) => c.check === 'hotlists')).toEqual({
      check: 'hotlists',
      status: 'fail',
      detail: "no hotlist loaded (only the unit's own entries, which policy IV.C.1 does not count: local)",
      fix: 'connect to headquarters (sync) or import a list with "lpr-edge hotlist import"',
    });
  });
});
