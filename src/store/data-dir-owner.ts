import { chownSync, mkdirSync, statSync } from 'node:fs';

export interface Owner {
  uid: number;
  gid: number;
}

/**
 * Whom files created in `dir` must belong to: the folder's owner, when this process is root and
 * the folder is someone else's (`sudo lpr-edge selftest` on /var/lib/lpr-edge, which belongs to the
 * service user). Otherwise null: what the process creates is already its own, as it should be.
 *
 * Without this, root's database, WAL and images were root:root 0644 and the daemon, running as
 * lpr-edge, failed on its next write ("attempt to write a readonly database").
 */
export function foreignOwnerOf(dir: string): Owner | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const st = statSync(dir);
    return st.uid === 0 ? null : { uid: st.uid, gid: st.gid };
  } catch {
    return null; // no folder: nothing created in it to give away
  }
}

/** Give the paths (those that exist) to `owner`; nothing when there is no one to give them to. */
export function giveTo(owner: Owner | null, paths: readonly string[]): void {
  if (!owner) return;
  for (const p of paths) {
    try {
      chownSync(p, owner.uid, owner.gid);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

// Plate reads are personal data (policy): what the unit creates for them is never open to others,
// whatever the umask. The service's UMask=0027 does not apply to a technician's `sudo lpr-edge ...`
// (umask 022), which left a new data folder 0755 and its database 0644. The group keeps read
// access: the service user's group, once the folder is given to it (giveTo).
const DATA_DIR_MODE = 0o750;
/** For the database (SQLite gives its -wal and -shm the same) and images. */
export const DATA_FILE_MODE = 0o640;

/**
 * `mkdir -p dir` for the unit's data, each new folder 0750 (the umask can only take more away);
 * folders already there keep the mode their admin gave them. Returns the first folder created.
 */
export function makeDataDir(dir: string): string | undefined {
  return mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
}
