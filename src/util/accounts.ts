import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The name of entry `id` (third field) in a passwd or group file, or null when not listed. */
function nameIn(file: '/etc/passwd' | '/etc/group', id: number): string | null {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [name, , entryId] = line.split(':');
      if (name && Number(entryId) === id) return name;
    }
  } catch {
    // no file to look in
  }
  return null;
}

/** An account's name for a message (`uid N` when the passwd file does not list it). */
export function userName(uid: number): string {
  if (uid === os.userInfo().uid) return os.userInfo().username;
  return nameIn('/etc/passwd', uid) ?? `uid ${uid}`;
}

/** A group's name for a message or a command (its number when /etc/group does not list it). */
export function groupName(gid: number): string {
  return nameIn('/etc/group', gid) ?? String(gid);
}

/**
 * The account this process runs as, by name: under systemd the unit's User= and its group, which
 * install.sh --user makes another account than "lpr-edge".
 */
export function runningAccount(): { user: string; group: string } {
  const me = os.userInfo();
  return { user: me.username, group: groupName(me.gid) };
}
