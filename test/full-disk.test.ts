import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { stringify } from 'yaml';
import { ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { freePort } from './helpers/proc.js';
import { embeddedDefaults } from '../src/config/defaults.js';

/**
 * A unit whose data disk filled up (the database written on it before) and is started again: a
 * real small filesystem (tmpfs, in a mount namespace of the test's own: unshare -m) filled to the
 * last block.
 */
const tmp = tempDir('lpr-full-disk-');
const bin = path.join(ROOT, 'bin/lpr-edge.js');
const canUnshare =
  process.getuid?.() === 0 && spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;

/** A unit config whose data folder is on a disk (a folder to mount a tmpfs on) of its own. */
async function unitWithDataOn(name: string) {
  const disk = path.join(tmp, name);
  const dataDir = path.join(disk, 'data');
  fs.mkdirSync(disk);
  const config = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(
    config,
    stringify({
      unitId: 'car-1',
      agency: 'pd',
      dataDir,
      cameras: [],
      vision: embeddedDefaults().vision,
      health: { port: await freePort() },
      console: { port: await freePort() },
    }),
  );
  return { disk, dataDir, config };
}

describe.skipIf(!canUnshare)('a data disk that filled up or went read-only', () => {
  it('the daemon and selftest say the disk is full and what to do, not "unexpected error: disk I/O error" with a stack', async () => {
    const { disk, dataDir, config } = await unitWithDataOn('disk');
    const out = (name: string) => path.join(tmp, name);
    const cli = `${process.execPath} ${bin}`;
    const script = [
      'set -e',
      `mount -t tmpfs -o size=2m tmpfs ${disk}`,
      // The database as the unit left it, then everything else on the disk fills it.
      `${cli} hotlist status --config ${config} >/dev/null`,
      `dd if=/dev/zero of=${disk}/fill bs=64k 2>/dev/null || true`,
      `${cli} run --config ${config} >${out('run.out')} 2>${out('run.err')} || echo $? >${out('run.code')}`,
      `${cli} selftest --json --gps-seconds 0 --config ${config} >${out('selftest.out')} 2>&1 || true`,
    ].join('\n');
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const file = path.join(dataDir, 'lpr-edge.db');
    // SQLite's own words depend on what it could not grow first (here its -shm: "disk I/O error").
    const said = /\((disk I\/O error|database or disk is full)\)/.exec(
      fs.readFileSync(out('run.err'), 'utf8'),
    )?.[1];
    const problem = `cannot open the database ${file} (${said}): the disk is full (no space left on the filesystem of ${dataDir})`;
    const fix =
      "free space on it (files that are not lpr-edge's; the journal: sudo journalctl --vacuum-size=200M), then start lpr-edge again; do not delete the database: it holds reads not yet sent";
    expect(fs.readFileSync(out('run.err'), 'utf8')).toBe(`lpr-edge: ${problem}; ${fix}\n`);
    expect(fs.readFileSync(out('run.code'), 'utf8').trim()).toBe('2');
    const checks = JSON.parse(fs.readFileSync(out('selftest.out'), 'utf8')) as { check: string }[];
    expect(checks.find((c) => c.check === 'database')).toEqual({
      check: 'database',
      status: 'fail',
      detail: problem,
      fix,
    });
  }, 180_000);

  it('read-only (remounted after errors): the daemon and selftest say so, not "point --data-dir at a folder root can write"', async () => {
    const { disk, dataDir, config } = await unitWithDataOn('ro-disk');
    const out = (name: string) => path.join(tmp, `ro-${name}`);
    const cli = `${process.execPath} ${bin}`;
    const script = [
      'set -e',
      `mount -t tmpfs -o size=8m tmpfs ${disk}`,
      `${cli} hotlist status --config ${config} >/dev/null`,
      `mount -o remount,ro ${disk}`,
      `${cli} run --config ${config} >${out('run.out')} 2>${out('run.err')} || echo $? >${out('run.code')}`,
      `${cli} selftest --json --gps-seconds 0 --min-free-mb 1 --config ${config} >${out('selftest.out')} 2>&1 || true`,
    ].join('\n');
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const problem = `cannot write the database ${path.join(dataDir, 'lpr-edge.db')}: ${dataDir} is on a read-only filesystem`;
    const fix =
      'check the disk (dmesg; a card or disk turned read-only after errors), then mount it read-write and start lpr-edge again';
    expect(fs.readFileSync(out('run.err'), 'utf8')).toBe(`lpr-edge: ${problem}; ${fix}\n`);
    expect(fs.readFileSync(out('run.code'), 'utf8').trim()).toBe('2');
    const checks = JSON.parse(fs.readFileSync(out('selftest.out'), 'utf8')) as { check: string }[];
    expect(checks.find((c) => c.check === 'database')).toEqual({
      check: 'database',
      status: 'fail',
      detail: problem,
      fix,
    });
  }, 180_000);
});
