import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { stringify } from 'yaml';
import { embeddedDefaults } from '../src/config/defaults.js';
import { ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { makeRead } from './helpers/unit.js';

// Plate reads are personal data (policy): a data folder the unit creates must not be readable by
// every local user, whatever umask the technician's shell (sudo) has; the systemd unit's UMask=0027
// does not apply to commands run by hand.
const dir = tempDir('lpr-modes-');
const bin = path.join(ROOT, 'bin/lpr-edge.js');

/** Run node with `args` as a technician's shell would, umask 022. */
function withUmask022(args: string[]) {
  return spawnSync('sh', ['-c', 'umask 022 && exec "$@"', 'sh', process.execPath, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
}

/** Each entry of `top` (itself included) that others (not owner, not group) may use, with its mode. */
function worldAccessible(top: string): string[] {
  return ['.', ...(fs.readdirSync(top, { recursive: true }) as string[])]
    .map((rel) => `${rel} ${(fs.statSync(path.join(top, rel)).mode & 0o777).toString(8)}`)
    .filter((entry) => !entry.endsWith('0'));
}

describe('a data folder the unit creates', () => {
  it('"lpr-edge selftest" with umask 022 leaves the new folders and the database closed to others', () => {
    const dataDir = path.join(dir, 'selftest', 'data');
    const config = path.join(dir, 'selftest.yaml');
    fs.writeFileSync(
      config,
      stringify({ unitId: 'car-1', agency: 'pd', dataDir, cameras: [], vision: embeddedDefaults().vision }),
    );
    const r = withUmask022([bin, 'selftest', '--json', '--gps-seconds', '0', '--config', config]);
    const checks = JSON.parse(r.stdout) as { check: string; status: string }[];
    expect(checks.find((c) => c.check === 'database')?.status).toBe('pass');
    expect(fs.existsSync(path.join(dataDir, 'lpr-edge.db'))).toBe(true);
    expect(worldAccessible(path.join(dir, 'selftest'))).toEqual([]);
  });

  it('reads saved with umask 022 leave the database, -wal, -shm and the image folders and files closed to others', () => {
    const dataDir = path.join(dir, 'store', 'data');
    // The real store, in a process of its own so the umask is the shell's; held open so -wal and
    // -shm are there to look at.
    const script = `
      const fs = await import('node:fs');
      const { openDatabase } = await import(${JSON.stringify(path.join(ROOT, 'dist/store/database.js'))});
      const { allMigrations } = await import(${JSON.stringify(path.join(ROOT, 'dist/store/all-migrations.js'))});
      const { ReadStore } = await import(${JSON.stringify(path.join(ROOT, 'dist/store/reads.js'))});
      const db = openDatabase(${JSON.stringify(path.join(dataDir, 'lpr-edge.db'))}, allMigrations);
      new ReadStore(db, ${JSON.stringify(dataDir)}).save(${JSON.stringify(makeRead(1))}, {
        crop: Buffer.from('jpeg'),
        overview: Buffer.from('jpeg'),
      });
      // Modes while open: -wal and -shm go when the database closes.
      const modes = {};
      for (const rel of fs.readdirSync(${JSON.stringify(dataDir)}, { recursive: true }))
        modes[rel] = (fs.statSync(${JSON.stringify(dataDir)} + '/' + rel).mode & 0o777).toString(8);
      console.log(JSON.stringify(modes));
      db.close();`;
    const r = withUmask022(['--input-type=module', '-e', script]);
    expect(r.stderr).toBe('');
    const modes = JSON.parse(r.stdout) as Record<string, string>;
    for (const f of ['lpr-edge.db', 'lpr-edge.db-wal', 'lpr-edge.db-shm']) expect(modes[f], f).toBeDefined();
    const images = Object.keys(modes).filter((rel) => rel.startsWith('images'));
    expect(images.filter((rel) => rel.endsWith('.jpg'))).toHaveLength(2);
    expect(Object.entries(modes).filter(([, mode]) => !mode.endsWith('0'))).toEqual([]);
    expect(worldAccessible(path.join(dir, 'store'))).toEqual([]);
  });
});
