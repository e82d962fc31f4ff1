import { readFileSync, statSync, type Stats } from 'node:fs';

export interface FileProblem {
  kind: 'missing' | 'unreadable' | 'folder' | 'special';
  /** What is wrong and the fix, to follow "<file>: ". */
  message: string;
}

/**
 * Why `file` cannot be read as an input file, or null when it is a regular file (or a link to
 * one). Reading a named pipe blocks until something writes to it, forever if nothing does, and a
 * device or socket may never end either; so these are refused before anyone opens them.
 */
export function inputFileProblem(file: string): FileProblem | null {
  let stat: Stats;
  try {
    stat = statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing', message: 'no such file' };
    return { kind: 'unreadable', message: `cannot read (${code ?? String(err)})` };
  }
  if (stat.isFile()) return null;
  if (stat.isDirectory()) return { kind: 'folder', message: 'a folder, not a file; give a file' };
  const fix = stat.isFIFO() ? 'save what comes down the pipe to a file and give that' : 'give a regular file';
  return { kind: 'special', message: `${specialKind(stat)}, not a regular file; ${fix}` };
}

function specialKind(stat: Stats): string {
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'a special file';
}

/**
 * Read a file the configuration names (a certificate, a password file), refusing a named pipe,
 * device or socket first: the daemon would otherwise wait at start for ever. `key` is the config
 * key, so the one-line error says what to change.
 */
export function readConfiguredFile(file: string, key: string): Buffer {
  const problem = inputFileProblem(file);
  if (problem) throw new Error(`${key} ${file}: ${problem.message}`);
  return readFileSync(file);
}
