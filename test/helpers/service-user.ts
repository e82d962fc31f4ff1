import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';

/**
 * `nobody` stands in for the unit's service user (`lpr-edge`, which tests must not create): an
 * unprivileged account whose group (`nogroup`) is not root's. Acting as it needs root and runuser,
 * which the tests have here; elsewhere those tests are skipped.
 */
function idOf(flag: '-u' | '-g'): number {
  return Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim());
}

export const serviceUser = { name: 'nobody', uid: idOf('-u'), gid: idOf('-g') };

export const canActAsServiceUser =
  process.getuid?.() === 0 && spawnSync('runuser', ['--version']).status === 0 && serviceUser.uid > 0;

/** Run a command as the service user, as systemd runs the daemon (User=). */
export function asServiceUser(command: string, args: string[], opts: SpawnSyncOptions = {}) {
  return spawnSync('runuser', ['-u', serviceUser.name, '--', command, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    ...opts,
  });
}

/** Let the service user reach files below `dir` (a test's mkdtemp folder is 0700, root's only). */
export function letServiceUserThrough(dir: string): void {
  fs.chmodSync(dir, 0o711);
}
