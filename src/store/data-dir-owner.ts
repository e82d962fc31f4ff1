import { chownSync, statSync } from 'node:fs';

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
