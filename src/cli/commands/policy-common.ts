import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { openUnit, type Unit } from '../../unit.js';
import { loadConfig } from '../../config/load.js';
import { createLogger } from '../../log.js';
import { policyServices, type PolicyServices } from '../../policy/services.js';
import { UsageError, type CommandContext, type OptionValues } from '../command.js';

/** Open the unit plus the policy services for one command, closing the database afterwards. */
export async function withPolicy<T>(
  ctx: CommandContext,
  fn: (unit: Unit, p: PolicyServices) => Promise<T>,
): Promise<T> {
  const opts = { configPath: ctx.configPath, dataDir: ctx.dataDir };
  // Logs to stderr: stdout carries the command's result (often JSON).
  const unit = openUnit({ ...opts, log: createLogger(loadConfig(opts).config.log.level, 'stderr') });
  try {
    return await fn(unit, policyServices(unit, { recordStartup: true }));
  } finally {
    unit.close();
  }
}

export function str(values: OptionValues, key: string): string | undefined {
  const v = values[key];
  return typeof v === 'string' ? v : undefined;
}

export function required(values: OptionValues, key: string, usage: string): string {
  const v = str(values, key);
  if (!v) throw new UsageError(`missing --${key}\nUsage: lpr-edge ${usage}`);
  return v;
}

/**
 * A time given as an ISO date or date-time (UTC unless it carries an offset). A bare date as the
 * end of a range means the end of that day, so `--to 2026-11-28` includes the 28th.
 */
export function parseTime(value: string | undefined, key: string, endOfDay = false): number | undefined {
  if (value === undefined) return undefined;
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const ms = Date.parse(
    dateOnly ? `${value}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(value) ? value : `${value}Z`,
  );
  if (Number.isNaN(ms))
    throw new UsageError(
      `--${key}: got "${value}"; give a date (2026-11-28) or date-time (2026-11-28T14:30)`,
    );
  return dateOnly && endOfDay ? ms + 86_400_000 - 1 : ms;
}

export function parseNumber(value: string | undefined, key: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${key}: got "${value}"; give a number`);
  return n;
}

/**
 * Refuse an output file that cannot be written, before anything is queried, written or audited:
 * a folder (or device) in its place, or a parent folder that is missing or not writable.
 * `example` is a file name to suggest inside a folder given by mistake.
 */
export function checkOutFile(file: string, key: string, example: string): void {
  const existing = statOrNull(file);
  if (existing?.isDirectory())
    throw new UsageError(
      `--${key}: "${file}" is a folder; give a file name, such as ${path.join(file, example)}`,
    );
  if (existing && !existing.isFile())
    throw new UsageError(`--${key}: "${file}" exists and is not a regular file; give another file name`);
  const dir = path.dirname(path.resolve(file));
  const parent = statOrNull(dir);
  if (!parent)
    throw new UsageError(`--${key}: folder ${dir} does not exist; create it first or give another path`);
  if (!parent.isDirectory()) throw new UsageError(`--${key}: ${dir} is not a folder; give another path`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(
      `--${key}: cannot write in ${dir} (permission denied); give a folder you can write to`,
    );
  }
}

function statOrNull(p: string) {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}
