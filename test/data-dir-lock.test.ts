import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { DataDirLock } from '../src/store/data-dir-lock.js';
import { Daemon } from '../src/daemon.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { silentLogger } from '../src/log.js';
import { freePort } from './helpers/proc.js';
import { tempDir } from './helpers/tmp.js';

const root = tempDir('lpr-lock-');
const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

/** When process `pid` started (field 22 of /proc/PID/stat), read here as a technician would. */
function startTimeOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout;
  return Number(String(pid));
}

function dataDir(name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('data directory lock (one daemon per data directory)', () => {
  it('refuses a second daemon, naming the pid that holds the directory', () => {
    const dir = dataDir('twice');
    const first = DataDirLock.acquire(dir);
    expect(() => DataDirLock.acquire(dir)).toThrow(
      new RegExp(
        `^data directory .*twice is in use by another lpr-edge daemon \\(pid ${process.pid}\\); stop it first$`,
      ),
    );
    first.release();
  });

  it('release removes the lock, and the directory can be locked again', () => {
    const dir = dataDir('release');
    DataDirLock.acquire(dir).release();
    expect(existsSync(path.join(dir, 'lpr-edge.lock'))).toBe(false);
    DataDirLock.acquire(dir).release();
  });

  it('takes over a lock left by a process that died', () => {
    const dir = dataDir('stale');
    writeFileSync(path.join(dir, 'lpr-edge.lock'), `${deadPid()} ${bootId}\n`);
    const lock = DataDirLock.acquire(dir);
    expect(readFileSync(path.join(dir, 'lpr-edge.lock'), 'utf8')).toBe(
      `${process.pid} ${bootId} daemon ${startTimeOf(process.pid)}\n`,
    );
    lock.release();
  });

  it('takes over a lock from before a reboot even when its pid is in use again', () => {
    const dir = dataDir('reboot');
    // pid 1 is always alive: only the boot id shows the lock is from an earlier boot.
    writeFileSync(path.join(dir, 'lpr-edge.lock'), `1 some-earlier-boot\n`);
    DataDirLock.acquire(dir).release();
  });

  it('starts a daemon over a lock left by a crash whose pid another process now has', async () => {
    const dir = dataDir('reused-pid');
    const lockFile = path.join(dir, 'lpr-edge.lock');
    // The crashed daemon was pid 1's namesake, started at another time than the pid 1 running now.
    const otherStart = String(Number(startTimeOf(1)) + 12345);
    writeFileSync(lockFile, `1 ${bootId} daemon ${otherStart}\n`);
    const config = path.join(dir, 'config.yaml');
    writeFileSync(
      config,
      stringify({
        unitId: 'car-5',
        agency: 'nyspd',
        dataDir: dir,
        vision: embeddedDefaults().vision,
        cameras: [],
        console: { port: await freePort() },
        health: { enabled: false },
      }),
    );
    const daemon = await Daemon.start({ configPath: config, log: silentLogger() });
    try {
      expect(readFileSync(lockFile, 'utf8')).toMatch(new RegExp(`^${process.pid} ${bootId} daemon \\d+\n$`));
    } finally {
      await daemon.stop();
    }
  }, 60_000);

  it('still refuses when the pid and its start time are those of a running holder, or a lock from an older release names a live pid', () => {
    const dir = dataDir('live-holder');
    const lockFile = path.join(dir, 'lpr-edge.lock');
    writeFileSync(lockFile, `1 ${bootId} daemon ${startTimeOf(1)}\n`);
    expect(() => DataDirLock.acquire(dir)).toThrow(/in use by another lpr-edge daemon \(pid 1\)/);
    // Written before start times were recorded: the pid alone decides, as it did then.
    writeFileSync(lockFile, `1 ${bootId} daemon\n`);
    expect(() => DataDirLock.acquire(dir)).toThrow(/in use by another lpr-edge daemon \(pid 1\)/);
  });

  it('lets exactly one of several daemons starting at once take over a stale lock', async () => {
    const dir = dataDir('race');
    writeFileSync(path.join(dir, 'lpr-edge.lock'), `${deadPid()} ${bootId}\n`);
    const module = path.resolve('dist/store/data-dir-lock.js');
    // The starters all try at one agreed moment, then hold what they got so the others see it: the
    // moment far enough off that all four have started by then on a loaded machine, and held long
    // enough that one late all the same finds the winner alive (not its lock left stale).
    const at = Date.now() + 5000;
    const script = `
      const { DataDirLock } = await import(${JSON.stringify(module)});
      await new Promise((r) => setTimeout(r, ${at} - Date.now() - 10));
      while (Date.now() < ${at});
      try { DataDirLock.acquire(${JSON.stringify(dir)}); console.log('locked'); }
      catch (err) { console.log(err.message); }
      setTimeout(() => {}, 5000);`;
    const run = () =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script]);
        let out = '';
        child.stdout.on('data', (d) => (out += String(d)));
        child.on('close', () => resolve(out.trim()));
      });
    const results = await Promise.all([run(), run(), run(), run()]);
    expect(results.filter((r) => r === 'locked')).toHaveLength(1);
    for (const r of results.filter((r) => r !== 'locked'))
      expect(r).toMatch(/in use by another lpr-edge daemon \(pid \d+\)/);
  });
});
