import { linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseError } from './database.js';
import { makeDataDir } from './data-dir-owner.js';

/** A takeover claim older than this was left by a starter that died mid-takeover. */
const CLAIM_STALE_MS = 10_000;

/**
 * One daemon per data directory: `<dataDir>/lpr-edge.lock` holds "<pid> <boot id> <holder> <start>" for as
 * long as its holder (the daemon, or a replay) runs. Two daemons on one directory would both sync (re-sending each other's
 * records) and fight over the database. A replay holds it too: it stores reads as the daemon
 * does, and a daemon running beside it takes them for its own (a hotlist update re-checks recent
 * reads, and a replayed plate would alert on the officer's console mid-shift). Other CLI commands
 * do not lock: they must work beside the daemon.
 *
 * Node has no flock, so the lock is a file that only one process can create: it is written to a
 * private file first and hard-linked into place (link fails if the name exists), so it is never
 * seen empty. A lock whose process is gone (a crash, or a power cut: the boot id differs) is
 * stale and taken over. So is one whose pid now names another process: after a crash the pid is
 * free for reuse (often by a process started early at the next start-up), so the holder's start
 * time (/proc/PID/stat field 22, clock ticks since boot) is recorded and compared. A lock written
 * before the start time was recorded is judged by its pid alone, as then; `lpr-edge.lock.takeover-<pid>` makes sure only one of two daemons
 * starting at once takes over the same stale lock.
 */

/** The lock file of `dataDir`. */
export function lockPath(dataDir: string): string {
  return path.join(dataDir, 'lpr-edge.lock');
}

/** What holds the lock; named in the refusal so the person knows what to stop or wait for. */
export type LockHolder = 'daemon' | 'replay';

/** The data directory is locked by a live daemon or replay (the message names which, and its pid). */
export class DataDirInUse extends DatabaseError {}

/** For a short synchronous pause between attempts (start-up only). */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));
export class DataDirLock {
  private constructor(
    readonly file: string,
    private readonly content: string,
  ) {}

  static acquire(
    dataDir: string,
    { holder = 'daemon', pid = process.pid }: { holder?: LockHolder; pid?: number } = {},
  ): DataDirLock {
    makeDataDir(dataDir);
    const file = lockPath(dataDir);
    const content = `${pid} ${bootId()} ${holder} ${processStartTime(pid) ?? '-'}\n`;
    const mine = `${file}.${pid}`;
    writeFileSync(mine, content);
    try {
      for (let attempt = 0; attempt < 20; attempt++) {
        // Daemons starting together on a stale lock: give the one taking it over time to finish.
        if (attempt > 0) Atomics.wait(PAUSE, 0, 0, 25);
        if (tryLink(mine, file)) return new DataDirLock(file, content);
        const current = readHolder(file);
        if (!current) continue; // released between our link and read: try again
        if (current.bootId === bootId() && isHolderRunning(current)) throw inUse(dataDir, current);
        takeOver(file, current.raw, current.pid);
      }
      throw new DatabaseError(`could not lock data directory ${dataDir} (${file} keeps changing)`);
    } finally {
      rmSync(mine, { force: true });
    }
  }

  /** Removes the lock, unless (after a takeover we did not notice) it is no longer ours. */
  release(): void {
    if (readText(this.file) === this.content) rmSync(this.file, { force: true });
  }
}

/**
 * Who holds `dataDir`'s lock now, when that holder is still running (a stale lock is nobody's);
 * null when nobody does. Read only: for commands that must not get in a running daemon's way
 * (selftest does not open the devices it holds).
 */
export function runningHolder(dataDir: string): { pid: number; holder: LockHolder } | null {
  const current = readHolder(lockPath(dataDir));
  if (!current || current.bootId !== bootId() || !isHolderRunning(current)) return null;
  return { pid: current.pid, holder: current.holder };
}

/** Removes a stale lock, if this process is the one to claim it and it is still the stale one. */
function takeOver(file: string, staleContent: string, stalePid: number): void {
  const claim = `${file}.takeover-${stalePid}`;
  try {
    if (Date.now() - statSync(claim).mtimeMs > CLAIM_STALE_MS) rmSync(claim, { force: true });
  } catch {
    // no claim yet
  }
  // The claim is a hard link to whatever the lock is now: if another starter has already
  // replaced the stale lock, the claim shows their content and we leave it alone.
  if (!tryLink(file, claim)) return;
  try {
    if (readText(claim) === staleContent) rmSync(file, { force: true });
  } finally {
    rmSync(claim, { force: true });
  }
}

function tryLink(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOENT') return false;
    throw err;
  }
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

interface LockRecord {
  raw: string;
  pid: number;
  bootId: string;
  holder: LockHolder;
  /** The holder's start time, when the lock recorded it (locks from older releases did not). */
  startTime: string | null;
}

function readHolder(file: string): LockRecord | null {
  const raw = readText(file);
  if (raw === null) return null;
  const [pid, boot = '', holder, start] = raw.trim().split(/\s+/);
  // Unparseable content is treated as a dead holder (pid 0 is never alive here). A lock written
  // before the holder was recorded is a daemon's: only the daemon locked then.
  return {
    raw,
    pid: Number.parseInt(pid ?? '', 10) || 0,
    bootId: boot,
    holder: holder === 'replay' ? 'replay' : 'daemon',
    startTime: start && start !== '-' ? start : null,
  };
}

function inUse(dataDir: string, current: LockRecord): DataDirInUse {
  const what =
    current.holder === 'replay'
      ? `an lpr-edge replay (pid ${current.pid}); wait for it to finish or stop it`
      : `another lpr-edge daemon (pid ${current.pid}); stop it first`;
  return new DataDirInUse(`data directory ${dataDir} is in use by ${what}`);
}

/** The lock's process still runs: its pid is alive and, when recorded, it started when the lock says. */
function isHolderRunning(lock: LockRecord): boolean {
  if (!alive(lock.pid)) return false;
  if (lock.startTime === null) return true;
  const now = processStartTime(lock.pid);
  // Unknown (no /proc): the pid alone decides, as it did before start times were recorded.
  return now === null || now === lock.startTime;
}

/** Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot; null if unknown. */
export function processStartTime(pid: number): string | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // Field 2, the command name, is in parentheses and may hold spaces or ')': count after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[22 - 3] ?? null;
}

function alive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Changes at every boot, so a pid recorded before a power cut is never mistaken for a live one. */
function bootId(): string {
  return readText('/proc/sys/kernel/random/boot_id')?.trim() ?? '';
}
