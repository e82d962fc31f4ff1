import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_CONFIG_PATH } from '../config/load.js';

/** Where install.sh puts the unit, and the drop-ins an admin adds (`systemctl edit lpr-edge`). */
export const UNIT_FILE = '/etc/systemd/system/lpr-edge.service';

export interface ServiceSandbox {
  /** The config the service runs with (its ExecStart's --config). */
  configFile: string;
  /** The folders it may write; everything else is read-only to it. */
  writable: string[];
  /** The account and group it runs as (User=, Group=; install.sh --user changes them). */
  user: string;
  group: string;
}

/**
 * The config the installed lpr-edge service runs with and the folders it may write, as its unit
 * file and drop-ins say, or null
 * when that cannot be told here (no unit installed: a development machine, or a daemon run by hand;
 * or no ProtectSystem=strict, under which everything the user may write is writable).
 *
 * Read from the files rather than asked of systemd (`systemctl show`), which needs systemd running
 * as PID 1. Only what decides the data folder is read: ExecStart= (the last; a drop-in's replaces
 * the unit's), User=, Group=, ProtectSystem=, ReadWritePaths= (an empty one resets the list, as systemd reads it;
 * a leading "-" or "+" is no part of the path) and StateDirectory= (below /var/lib).
 */
export function serviceSandbox(unitFile = UNIT_FILE): ServiceSandbox | null {
  let texts: string[];
  try {
    texts = [fs.readFileSync(unitFile, 'utf8')];
  } catch {
    return null;
  }
  const dropins = `${unitFile}.d`;
  try {
    for (const f of fs
      .readdirSync(dropins)
      .filter((n) => n.endsWith('.conf'))
      .sort())
      texts.push(fs.readFileSync(path.join(dropins, f), 'utf8'));
  } catch {
    // no drop-ins
  }
  let strict = false;
  let execStart = '';
  const account = { User: 'lpr-edge', Group: 'lpr-edge' };
  let writable: string[] = [];
  let state: string[] = [];
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const m = /^\s*(ExecStart|User|Group|ProtectSystem|ReadWritePaths|StateDirectory)\s*=\s*(.*?)\s*$/.exec(
        line,
      );
      if (!m) continue;
      const [, key, value] = m as unknown as [string, string, string];
      const words = value.split(/\s+/).filter(Boolean);
      if (key === 'ExecStart') execStart = value;
      else if (key === 'User' || key === 'Group') account[key] = value;
      else if (key === 'ProtectSystem') strict = value === 'strict';
      else if (key === 'ReadWritePaths')
        writable = words.length ? [...writable, ...words.map((w) => w.replace(/^[-+]+/, ''))] : [];
      else state = words.length ? [...state, ...words.map((w) => path.join('/var/lib', w))] : [];
    }
  }
  if (!strict) return null;
  const config = /(?:^|\s)--config(?:=|\s+)(\S+)/.exec(execStart)?.[1] ?? DEFAULT_CONFIG_PATH;
  return {
    configFile: config,
    writable: [...new Set([...writable, ...state])],
    user: account.User,
    group: account.Group,
  };
}

/**
 * The real path of `p`, or of its nearest folder that exists with the rest appended: a symlink in
 * a writable folder that points elsewhere leads the service to where it points.
 */
function realPath(p: string): string {
  const rest: string[] = [];
  let at = path.resolve(p);
  for (;;) {
    try {
      return path.join(fs.realpathSync(at), ...rest.reverse());
    } catch {
      if (path.dirname(at) === at) return path.resolve(p);
      rest.push(path.basename(at));
      at = path.dirname(at);
    }
  }
}

/** Whether `dir` is one of `allowed` or below one, each by its real path. */
export function isBelowAny(dir: string, allowed: string[]): boolean {
  const real = realPath(dir);
  return allowed.some((a) => {
    const base = realPath(a);
    return real === base || real.startsWith(base.endsWith('/') ? base : `${base}/`);
  });
}
