import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

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
export function asServiceUser(
  command: string,
  args: string[],
  opts: Omit<SpawnSyncOptions, 'encoding'> = {},
) {
  return spawnSync('runuser', ['-u', serviceUser.name, '--', command, ...args], {
    timeout: 60_000,
    ...opts,
    encoding: 'utf8',
  });
}

/** Let the service user reach files below `dir` (a test's mkdtemp folder is 0700, root's only). */
export function letServiceUserThrough(dir: string): void {
  fs.chmodSync(dir, 0o711);
}

/**
 * Let the service user reach `file` and what lies beside it: the project itself, to run its CLI. A
 * clean clone can sit in a folder only root may pass (mktemp makes them 0700, /root is one), so each
 * folder above that the service user cannot pass is opened to it (o+x, no listing) until the
 * returned function puts the modes back.
 */
export function letServiceUserReach(file: string): () => void {
  const changed: [string, number][] = [];
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    const mode = fs.statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      changed.push([dir, mode]);
      fs.chmodSync(dir, mode | 0o001);
    }
    if (dir === path.dirname(dir)) break;
  }
  return () => {
    for (const [dir, mode] of changed.reverse()) fs.chmodSync(dir, mode);
  };
}
