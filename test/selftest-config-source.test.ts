import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { canActAsServiceUser, letServiceUserReach, serviceUser } from './helpers/service-user.js';
import { stringify } from 'yaml';
import { DEFAULT_CONFIG_PATH } from '../src/config/load.js';
import { embeddedDefaults } from '../src/config/defaults.js';

/**
 * `lpr-edge selftest` without --config checks the unit's own config, /etc/lpr-edge/config.yaml. The
 * tests must not write in /etc: each command runs in a mount namespace of its own (unshare -m) in
 * which a copy of /etc, with or without an lpr-edge folder, is bound over /etc.
 */
const tmp = tempDir('selftest-source-');
const bin = path.join(ROOT, 'bin/lpr-edge.js');
const canUnshare =
  process.getuid?.() === 0 && spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;

/** A copy of /etc; `unit` puts a config in its lpr-edge folder (mode `dirMode`, root:root). */
function etcCopy(name: string, unit?: { dirMode: number }): string {
  const etc = path.join(tmp, name);
  execFileSync('cp', ['-a', '/etc', etc]);
  fs.rmSync(path.join(etc, 'lpr-edge'), { recursive: true, force: true });
  if (unit) {
    const dir = path.join(etc, 'lpr-edge');
    fs.mkdirSync(dir);
    const config = { unitId: 'car-1', agency: 'pd', dataDir: path.join(tmp, `${name}-data`), cameras: [] };
    fs.writeFileSync(
      path.join(dir, 'config.yaml'),
      stringify({ ...config, vision: embeddedDefaults().vision }),
      { mode: 0o640 },
    );
    fs.chownSync(dir, 0, 0);
    fs.chmodSync(dir, unit.dirMode);
  }
  return etc;
}

/** `lpr-edge selftest --json` with `etc` as /etc, as root or (`asUser`) as the service user. */
function selftestWith(etc: string, asUser?: string) {
  const user = asUser ? ['runuser', '-u', asUser, '--'] : [];
  return spawnSync(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount --bind "$1" /etc && shift && exec "$@"',
      'sh',
      etc,
      ...user,
      process.execPath,
      bin,
      'selftest',
      '--json',
      '--gps-seconds',
      '0',
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
}

type Check = { check: string; status: string; detail: string; fix?: string };

describe.skipIf(!canUnshare)('selftest without --config', () => {
  let restore = () => {};
  afterAll(() => restore());

  it.skipIf(!canActAsServiceUser)(
    'run by a user who may not read /etc/lpr-edge: fails naming the file and the fix, never checks the demo config',
    () => {
      restore = letServiceUserReach(bin);
      const r = selftestWith(etcCopy('etc-closed', { dirMode: 0o750 }), serviceUser.name);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(1);
      const checks = JSON.parse(r.stdout) as Check[];
      expect(checks).toHaveLength(1);
      expect(checks[0]).toMatchObject({ check: 'config', status: 'fail' });
      expect(checks[0]!.detail).toBe(
        `config ${DEFAULT_CONFIG_PATH}: cannot read (EACCES): run the command as root (sudo lpr-edge …), or add yourself to the lpr-edge group (sudo usermod -aG lpr-edge $USER, then log in again)`,
      );
    },
  );

  it('on a unit not provisioned: fails saying so instead of passing the built-in demo config', () => {
    const r = selftestWith(etcCopy('etc-none'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    const checks = JSON.parse(r.stdout) as Check[];
    expect(checks).toEqual([
      {
        check: 'config',
        status: 'fail',
        detail: `${DEFAULT_CONFIG_PATH} does not exist: this unit is not provisioned, and only the built-in demo config could be checked`,
        fix: 'run "sudo lpr-edge provision" (or give --config FILE for another config)',
      },
    ]);
  });

  it('names the config file it checks', () => {
    const r = selftestWith(etcCopy('etc-unit', { dirMode: 0o755 }));
    const checks = JSON.parse(r.stdout) as Check[];
    expect(checks[0]).toEqual({ check: 'config', status: 'pass', detail: `${DEFAULT_CONFIG_PATH} is valid` });
  });
});
