import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import os from 'node:os';
import { ConfigError, parseConfig } from '../config/load.js';

/** Readable by the folder's group (the daemon's user on a unit), by nobody else: it may name secrets. */
const CONFIG_MODE = 0o640;

/**
 * Write a config file (JSON when its name ends in .json, else YAML) atomically, keeping the previous one as `<file>.prev`. The new text is
 * validated first (nothing is written when it is invalid), written to a temporary file beside the
 * target, flushed to disk, and renamed over the target: a power cut in the car leaves either the
 * old or the new config, never half of one. The file (and `.prev`) take the folder's group, mode
 * 0640 (see {@link shareWithFolderGroup}).
 */
export function writeConfigAtomic(
  file: string,
  config: Record<string, unknown>,
  header = '',
): { previous: string | null } {
  parseConfig(config, file);
  assertWritable(file);
  const dir = path.dirname(path.resolve(file));
  try {
    return writeFiles(file, dir, config, header);
  } catch (err) {
    // A write cut short (ENOSPC) leaves no stray file beside the config.
    try {
      fs.rmSync(tmpPath(file), { force: true });
    } catch {
      // nothing more to tidy than the error below says
    }
    throw cannotWrite(file, err as NodeJS.ErrnoException);
  }
}

function tmpPath(file: string): string {
  const dir = path.dirname(path.resolve(file));
  return path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
}

function writeFiles(
  file: string,
  dir: string,
  config: Record<string, unknown>,
  header: string,
): { previous: string | null } {
  fs.mkdirSync(dir, { recursive: true });
  const folderGid = fs.statSync(dir).gid;
  // Later commands parse a .json config as JSON (src/config/load.ts); JSON has no comment for the header.
  const text = file.endsWith('.json') ? `${JSON.stringify(config, null, 2)}\n` : header + stringify(config);
  const tmp = tmpPath(file);
  const fd = fs.openSync(tmp, 'w', CONFIG_MODE);
  try {
    shareWithFolderGroup(fd, folderGid);
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  let previous: string | null = null;
  if (fs.existsSync(file)) {
    previous = `${file}.prev`;
    fs.copyFileSync(file, previous);
    const prevFd = fs.openSync(previous, 'r');
    try {
      shareWithFolderGroup(prevFd, folderGid);
    } finally {
      fs.closeSync(prevFd);
    }
  }
  fs.renameSync(tmp, file);
  // Make the rename itself durable.
  const dfd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
  return { previous };
}

/**
 * Give a file the folder's group, mode 0640 whatever the umask. On a unit /etc/lpr-edge is
 * root:lpr-edge 0750 and the daemon runs as lpr-edge: a config written by `sudo lpr-edge provision`
 * would otherwise be root:root, which the daemon cannot read. Only root may hand a file to a group
 * it is not in; anyone else's file keeps their own group, as before.
 */
function shareWithFolderGroup(fd: number, folderGid: number): void {
  if (process.getuid?.() === 0) fs.fchownSync(fd, -1, folderGid);
  fs.fchmodSync(fd, CONFIG_MODE);
}

/**
 * Refuse, before anything is asked or written, a config this process cannot write: the folder it
 * goes in (or the nearest one that exists, to create it in) must be writable. On a unit that is
 * /etc/lpr-edge, root's: a technician who typed "lpr-edge provision" without sudo used to answer
 * every question and then get a stack trace (EACCES, exit 70).
 */
export function assertWritable(file: string): void {
  let dir = path.dirname(path.resolve(file));
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'EACCES' || e.code === 'EPERM'
        ? `${e.code}: user ${os.userInfo().username} may not write in ${dir}`
        : `${e.code ?? e.message}: ${dir}`;
    throw cannotWrite(file, e, why);
  }
}

/** One line naming the config, the cause and the fix, for the CLI to print instead of a stack trace. */
function cannotWrite(file: string, err: NodeJS.ErrnoException, why = err.code ?? err.message): ConfigError {
  const fix =
    err.code === 'EACCES' || err.code === 'EPERM'
      ? ': run provision as root (sudo lpr-edge provision …)'
      : err.code === 'EROFS'
        ? ': the filesystem is mounted read-only; remount it read-write, or give --config FILE on a writable one'
        : err.code === 'ENOSPC'
          ? ': the disk is full; free some space and run provision again'
          : '';
  return new ConfigError(`config ${file}: cannot write (${why})${fix}`, file);
}
