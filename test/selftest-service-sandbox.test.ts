import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { stringify } from 'yaml';
import { ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { embeddedDefaults } from '../src/config/defaults.js';

/**
 * The installed service runs under ProtectSystem=strict: it may write only its ReadWritePaths=
 * (/var/lib/lpr-edge) and state directory. A data folder provisioned elsewhere (a data disk on
 * /data) is read-only to it, however the disk is mounted. Each selftest here runs in a mount
 * namespace of its own (unshare -m) in which a folder of the test's is bound over
 * /etc/systemd/system: the unit as install.sh installs it, naming the test's config.
 */
const tmp = tempDir('selftest-sandbox-');
const bin = path.join(ROOT, 'bin/lpr-edge.js');
const canUnshare =
  process.getuid?.() === 0 && spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;

/** A systemd/system folder holding the project's unit, run with `config`. */
function unitFolder(name: string, config: string, dropin?: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  const unit = fs
    .readFileSync(path.join(ROOT, 'systemd/lpr-edge.service'), 'utf8')
    .replace('--config /etc/lpr-edge/config.yaml', `--config ${config}`);
  fs.writeFileSync(path.join(dir, 'lpr-edge.service'), unit);
  if (dropin) {
    fs.mkdirSync(path.join(dir, 'lpr-edge.service.d'));
    fs.writeFileSync(path.join(dir, 'lpr-edge.service.d', 'data.conf'), dropin);
  }
  return dir;
}

function unitConfig(name: string, dataDir: string): string {
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(
    file,
    stringify({ unitId: 'car-1', agency: 'pd', dataDir, cameras: [], vision: embeddedDefaults().vision }),
  );
  return file;
}

type Check = { check: string; status: string; detail: string; fix?: string };

/** `lpr-edge ARGS` on a unit whose systemd/system is `units`. */
function cliWith(units: string, args: string[]) {
  return spawnSync(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount --bind "$1" /etc/systemd/system && shift && exec "$@"',
      'sh',
      units,
      process.execPath,
      bin,
      ...args,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
}

/** `sudo lpr-edge selftest --json --config CONFIG` on a unit whose systemd/system is `units`. */
function selftestWith(units: string, config: string): Check {
  const r = spawnSync(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount --bind "$1" /etc/systemd/system && shift && exec "$@"',
      'sh',
      units,
      process.execPath,
      bin,
      'selftest',
      '--json',
      '--gps-seconds',
      '0',
      '--config',
      config,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  expect(r.stderr).toBe('');
  return (JSON.parse(r.stdout) as Check[]).find((c) => c.check === 'disk')!;
}

describe.skipIf(!canUnshare)('selftest: a data folder the service may not write', () => {
  it('fails the disk check naming the folder, what the unit allows and the fix, where it passed as root', () => {
    const dataDir = path.join(tmp, 'data-disk', 'lpr-edge');
    const config = unitConfig('elsewhere', dataDir);
    const disk = selftestWith(unitFolder('units-plain', config), config);
    expect(disk).toEqual({
      check: 'disk',
      status: 'fail',
      detail: `the lpr-edge service may not write ${dataDir}: its unit (/etc/systemd/system/lpr-edge.service, ProtectSystem=strict) lets it write only /var/lib/lpr-edge`,
      fix: `put dataDir below /var/lib/lpr-edge (mount the data disk there), or let the service write it: "sudo systemctl edit lpr-edge", add the lines [Service] and ReadWritePaths=${dataDir}, create it for the service (sudo install -d -m 0750 -o lpr-edge -g lpr-edge ${dataDir}), then "sudo systemctl restart lpr-edge"`,
    });
    // Nothing made there as root for the daemon to trip over later.
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('passes once a drop-in lets the service write it', () => {
    const dataDir = path.join(tmp, 'data-disk2', 'lpr-edge');
    const config = unitConfig('allowed', dataDir);
    const units = unitFolder('units-dropin', config, `[Service]\nReadWritePaths=${dataDir}\n`);
    expect(selftestWith(units, config)).toMatchObject({ check: 'disk', status: 'pass' });
  });

  it("does not apply to a config the service does not run with (a field engineer's)", () => {
    const dataDir = path.join(tmp, 'data-disk3', 'lpr-edge');
    const config = unitConfig('other', dataDir);
    const units = unitFolder('units-other', path.join(tmp, 'elsewhere.yaml'));
    expect(selftestWith(units, config)).toMatchObject({ check: 'disk', status: 'pass' });
  });

  it("provision warns when it writes the service's config with such a data folder, naming the fix", () => {
    const dataDir = path.join(tmp, 'data-disk4', 'lpr-edge');
    const config = path.join(tmp, 'provisioned.yaml');
    const r = cliWith(unitFolder('units-provision', config), [
      'provision',
      '--config',
      config,
      '--unit-id',
      'car-1',
      '--agency',
      'pd',
      '--no-cameras',
      '--data-dir',
      dataDir,
    ]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(
      `lpr-edge: warning: the lpr-edge service may not write ${dataDir}: its unit (/etc/systemd/system/lpr-edge.service, ProtectSystem=strict) lets it write only /var/lib/lpr-edge; fix: put dataDir below /var/lib/lpr-edge (mount the data disk there), or let the service write it: "sudo systemctl edit lpr-edge", add the lines [Service] and ReadWritePaths=${dataDir}, create it for the service (sudo install -d -m 0750 -o lpr-edge -g lpr-edge ${dataDir}), then "sudo systemctl restart lpr-edge"\n`,
    );
  });
});
