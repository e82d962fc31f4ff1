import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../config/load.js';

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
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
  const folderGid = fs.statSync(dir).gid;
  // Later commands parse a .json config as JSON (src/config/load.ts); JSON has no comment for the header.
  const text = file.endsWith('.json') ? `${JSON.stringify(config, null, 2)}\n` : header + stringify(config);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
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
