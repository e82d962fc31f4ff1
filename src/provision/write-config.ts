import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../config/load.js';

/**
 * Write a config file (JSON when its name ends in .json, else YAML) atomically, keeping the previous one as `<file>.prev`. The new text is
 * validated first (nothing is written when it is invalid), written to a temporary file beside the
 * target, flushed to disk, and renamed over the target: a power cut in the car leaves either the
 * old or the new config, never half of one.
 */
export function writeConfigAtomic(
  file: string,
  config: Record<string, unknown>,
  header = '',
): { previous: string | null } {
  parseConfig(config, file);
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
  // Later commands parse a .json config as JSON (src/config/load.ts); JSON has no comment for the header.
  const text = file.endsWith('.json') ? `${JSON.stringify(config, null, 2)}\n` : header + stringify(config);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w', 0o640);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  let previous: string | null = null;
  if (fs.existsSync(file)) {
    previous = `${file}.prev`;
    fs.copyFileSync(file, previous);
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
