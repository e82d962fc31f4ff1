import { accessSync, constants, realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { openUnit, type Unit } from '../../unit.js';
import { loadConfig } from '../../config/load.js';
import { createLogger } from '../../log.js';
import { policyServices, type PolicyServices } from '../../policy/services.js';
import { UsageError, type CommandContext, type OptionValues } from '../command.js';
import { dateProblem } from '../../util/calendar.js';

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
 * A record id given on the command line (`name` as the usage writes it): only a plain positive
 * decimal integer. Number() alone reads "0x1", "1e0", " 1" and "+1" as 1, so a typo or a pasted
 * value would act on a record the admin did not name.
 */
export function parseRecordId(value: string | undefined, name: string, fix: string): number {
  const id = value !== undefined && /^[1-9][0-9]*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(id))
    throw new UsageError(
      `${name}: got ${value === undefined ? 'nothing' : `"${value}"`}; ${fix}, a whole number such as 12 (digits only)`,
    );
  return id;
}

/** YYYY-MM-DD, optionally THH:MM[:SS[.fff]] and Z or an offset ±HH:MM. */
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:Z|([+-])(\d{2}):?(\d{2}))?)?$/;

/**
 * A time given as an ISO 8601 date or date-time (UTC unless it carries an offset). A bare date as
 * the end of a range means the end of that day, so `--to 2026-11-28` includes the 28th. Only ISO
 * is accepted, and only real calendar dates: Date.parse alone takes "01/12/2026" (month first),
 * "1" (the year 2001) and "2026-02-30" (rolled over to March 2nd).
 */
export function parseTime(value: string | undefined, key: string, endOfDay = false): number | undefined {
  if (value === undefined) return undefined;
  const bad = (why: string) =>
    new UsageError(
      `--${key}: got "${value}"; ${why}give an ISO date (2026-11-28) or date-time (2026-11-28T14:30, UTC unless it ends in an offset such as +01:00)`,
    );
  const m = ISO_TIME.exec(value);
  if (!m) throw bad('');
  const [, y, mo, d, h, mi, s = '00', frac = '', sign, oh = '00', om = '00'] = m;
  if (dateProblem(Number(y), Number(mo), Number(d))) throw bad(`${y}-${mo}-${d} is not a calendar date; `);
  if (h === undefined) {
    const start = Date.parse(`${y}-${mo}-${d}T00:00:00.000Z`);
    return endOfDay ? start + 86_400_000 - 1 : start;
  }
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59 || Number(oh) > 23 || Number(om) > 59)
    throw bad('that is not a time of day; ');
  // Rebuilt in the one form Date.parse is specified to read.
  const offset = sign ? `${sign}${oh}:${om}` : 'Z';
  return Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${frac.padEnd(3, '0').slice(0, 3)}${offset}`);
}

/** Refuse a reversed range up front, as `query` does, rather than answering with nothing. */
export function checkRange(from: number | undefined, to: number | undefined): void {
  if (from !== undefined && to !== undefined && from > to)
    throw new UsageError(
      `time range: --from (${new Date(from).toISOString()}) is after --to (${new Date(to).toISOString()}); give the earlier time as --from`,
    );
}

/**
 * A count given as `--key N` (days, a limit, a sample size): plain decimal digits only, for the
 * same reason as parseRecordId; Number() alone also reads "" as 0.
 */
export function parseCount(value: string | undefined, key: string): number | undefined {
  if (value === undefined) return undefined;
  const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n))
    throw new UsageError(`--${key}: got "${value}"; give a whole number such as 30 (digits only)`);
  return n;
}

/**
 * Refuse an output file that cannot be written, before anything is queried, written or audited:
 * a folder (or device) in its place, or a parent folder that is missing or not writable.
 * `example` is a file name to suggest inside a folder given by mistake. `inputs`: the files the
 * command reads, each with what it is called ("the recording"); the output must be none of them,
 * since it is written over at the end (a report over the recording it reports on, an eval report
 * over the labels it measured, would lose them).
 */
export function checkOutFile(
  file: string,
  key: string,
  example: string,
  inputs: readonly { file: string; what: string }[] = [],
): void {
  const existing = statOrNull(file);
  // By name as well: an input may not exist yet when this is checked (SQLite's -wal, the lock)
  // and be there by the time the output is written.
  const where = resolvedPath(file);
  const same = inputs.find(
    (i) => (existing && sameFile(existing, statOrNull(i.file))) || resolvedPath(i.file) === where,
  );
  if (same)
    throw new UsageError(
      `--${key}: "${file}" is ${same.what} (${same.file}), which writing the ${key} would overwrite; give another file name, such as ${path.join(path.dirname(file), example)}`,
    );
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

/** The absolute path of `p`, its folder's links resolved (the file itself need not exist). */
function resolvedPath(p: string): string {
  const abs = path.resolve(p);
  try {
    return path.join(realpathSync(path.dirname(abs)), path.basename(abs));
  } catch {
    return abs;
  }
}

/** One file under two names (a path and a link, a relative and an absolute path). */
function sameFile(a: Stats, b: Stats | null): boolean {
  return b !== null && a.dev === b.dev && a.ino === b.ino;
}
