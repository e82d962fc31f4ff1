import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { embeddedDefaults } from './defaults.js';
import { resolveSyncPaths } from '../sync/config.js';
import { inputFileProblem } from '../util/input-file.js';

export const DEFAULT_CONFIG_PATH = '/etc/lpr-edge/config.yaml';
/** The `source` of a config that is the built-in demo (no --config, and no default config file). */
export const EMBEDDED_SOURCE = '(embedded defaults)';

/**
 * What to do about a config file this user may not read: on a unit /etc/lpr-edge is root:lpr-edge
 * 0750 and its files 0640, for root and the service's group only.
 */
function unreadableFix(code: string | undefined): string {
  return code === 'EACCES' || code === 'EPERM'
    ? ': run the command as root (sudo lpr-edge …), or add yourself to the lpr-edge group (sudo usermod -aG lpr-edge $USER, then log in again)'
    : '';
}

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** "cameras[0].kind: got "usb"; kind must be one of file, v4l2, …" — one line per problem, naming key, value and fix. */
export function describeIssues(error: z.ZodError, input: unknown): string {
  // One problem per key: an empty id also fails its pattern, and the first problem says enough.
  const seen = new Set<string>();
  const first = error.issues.filter((issue) => {
    const key = formatPath(issue.path);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return first.map((issue) => describeIssue(issue, input)).join('; ');
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const key = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const where = key ? `${key}.` : '';
    return `unknown key ${issue.keys.map((k) => `"${where}${k}"`).join(', ')}: remove it or check its spelling`;
  }
  // A bad key of a record (state.formats, hotlists.mappings): its path ends with the key itself.
  if (issue.code === 'invalid_key') {
    const bad = issue.path.at(-1);
    const why = issue.issues.map((i) => i.message).join('; ');
    return `${formatPath(issue.path.slice(0, -1)) || '(root)'}: key ${JSON.stringify(String(bad))}: ${why}`;
  }
  const value = valueAt(input, issue.path);
  const got = value === undefined ? 'missing' : `got ${shown(value)}`;
  let allowed = issue.message;
  if (issue.code === 'invalid_value')
    allowed = `allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${key || '(root)'}: ${got}; ${allowed}`;
}

/** A value as the technician wrote it: YAML's .nan is NaN (JSON would say null), long ones cut. */
function shown(value: unknown): string {
  if (typeof value === 'number') return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  object: 'a mapping of keys to values',
  array: 'a list',
};

/**
 * Zod's own messages say what is wrong ("Invalid input: expected number, received string") but not
 * what to write instead. This per-parse error map words them as the fix. A message written in the
 * schema (a regex's, a refine's, a range's) takes precedence over it: those already say the fix.
 */
export const fixMessages: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      const want = TYPE_WORDS[issue.expected] ?? issue.expected;
      const input = issue.input;
      if (input === undefined) return `add it: ${want}`;
      // Quoted, YAML reads 100 or true as text; unquoted, it reads an id such as 007 as a number.
      if (typeof input === 'string') {
        const numeric = input.trim() !== '' && !isNaN(Number(input));
        if ((issue.expected === 'number' || issue.expected === 'int') && numeric)
          return `give ${want}, without quotes`;
        if (issue.expected === 'boolean' && (input === 'true' || input === 'false'))
          return `give ${want}, without quotes`;
      }
      if (issue.expected === 'string' && (typeof input === 'number' || typeof input === 'boolean'))
        return 'give text: put it in quotes';
      return `give ${want}`;
    }
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = Number(small ? issue.minimum : issue.maximum);
      if (issue.origin === 'number' || issue.origin === 'int') {
        if (issue.inclusive) return `give ${small ? 'at least' : 'at most'} ${bound}`;
        return `give a number ${small ? 'above' : 'below'} ${bound}`;
      }
      if (issue.origin === 'string')
        return small && bound === 1
          ? 'empty: give a value'
          : `give ${small ? 'at least' : 'at most'} ${bound} characters`;
      if (issue.origin === 'array') return `give ${small ? 'at least' : 'at most'} ${bound} entries`;
      return undefined;
    }
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      if (issue.discriminator && options)
        return `${issue.discriminator} must be one of ${options.join(', ')}`;
      // A union of literals (sync.protocolVersion: 5 or 4): list them.
      const values = issue.errors.map((branch) =>
        branch.length === 1 && branch[0]!.code === 'invalid_value' ? branch[0]!.values : null,
      );
      if (values.every((v) => v !== null))
        return `allowed: ${values
          .flat()
          .map((v) => JSON.stringify(v))
          .join(', ')}`;
      return undefined;
    }
    case 'not_multiple_of':
      return `give a multiple of ${issue.divisor}`;
    case 'invalid_format':
      return issue.format === 'regex' ? `must match ${issue.pattern}` : `give a valid ${issue.format}`;
    default:
      return undefined;
  }
};

function formatPath(p: PropertyKey[]): string {
  return p.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    return acc ? `${acc}.${String(part)}` : String(part);
  }, '');
}

function valueAt(input: unknown, p: PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const part of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[part];
  }
  return cur;
}

/**
 * Validate what a technician wrote (a config, provisioning answers) against `schema`: zod's messages
 * worded as the fix (`fixMessages`), and every problem named by key and value (`describeIssues`) in
 * one ConfigError line after `where`.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  where: string,
  file = where,
): z.output<S> {
  const result = schema.safeParse(input, { error: fixMessages });
  if (!result.success) throw new ConfigError(`${where}: ${describeIssues(result.error, input)}`, file);
  return result.data;
}

/** Validate an already-parsed object (from a file, the embedded defaults or provisioning). */
export function parseConfig(input: unknown, file = '(embedded)'): Config {
  return parseInput(configSchema, input, `config ${file}`, file);
}

/** Read YAML or JSON; relative paths inside it are resolved against the file's folder. */
export function loadConfigFile(file: string): Config {
  refuseSpecialFile(file, 'config');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`config ${file}: cannot read (${code ?? err})${unreadableFix(code)}`, file);
  }
  // A blank file (YAML reads one of only comments as null too) would otherwise be "(root): got null".
  const raw = text.trim() === '' ? null : parseConfigText(text, file, 'config');
  if (raw === null || raw === undefined)
    throw new ConfigError(
      `config ${file}: the file is empty (no settings in it): write the unit's settings (README, Configuration), or run "lpr-edge provision"`,
      file,
    );
  return resolvePaths(parseConfig(raw, file), path.dirname(path.resolve(file)));
}

/**
 * Whether the unit's config file is there. Not existsSync: it says "no" as well when /etc/lpr-edge
 * may not be searched by this user (EACCES), and the command would then silently run the built-in
 * demo config instead of the unit's.
 */
function defaultConfigExists(): boolean {
  try {
    statSync(DEFAULT_CONFIG_PATH);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw new ConfigError(
      `config ${DEFAULT_CONFIG_PATH}: cannot read (${code ?? err})${unreadableFix(code)}`,
      DEFAULT_CONFIG_PATH,
    );
  }
}

/**
 * A named pipe, device or socket would block a read forever (a pipe until something writes to
 * it): refused as config or answers before it is opened.
 */
export function refuseSpecialFile(file: string, what: string): void {
  const problem = inputFileProblem(file);
  if (problem?.kind === 'special') throw new ConfigError(`${what} ${file}: ${problem.message}`, file);
}

/**
 * Parse a config or answers file as JSON (by its .json name) or YAML. A syntax error becomes one
 * ConfigError line naming the file and where the error is (the parsers' own messages run over
 * several lines or, for JSON, give a character offset).
 */
export function parseConfigText(text: string, file: string, what: string): unknown {
  const json = file.endsWith('.json');
  try {
    return json ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const first = (err as Error).message
      .split('\n')[0]!
      .replace(/:$/, '')
      .replace(/ in JSON at position \d+$/, '');
    const where = json && !/line \d+/.test(first) ? ` at ${jsonErrorLine(text)}` : '';
    throw new ConfigError(`${what} ${file}: not valid ${json ? 'JSON' : 'YAML'}${where}: ${first}`, file);
  }
}

/**
 * "line L, column C" of the syntax error in a JSON text. V8 gives a character offset in most
 * messages, and for a text that is merely cut short the offset is its end. When it gives none
 * ("Unexpected token"), the shortest prefix of the text that fails before its end ends just after
 * the offending character.
 */
function jsonErrorLine(text: string): string {
  /** Where parsing text[0, n) fails: n when it is only incomplete (or fine), -1 when unknown. */
  const errorAt = (n: number): number => {
    try {
      JSON.parse(text.slice(0, n));
      return n;
    } catch (err) {
      const m = (err as Error).message;
      const at = /at position (\d+)/.exec(m);
      return at ? Number(at[1]) : m.startsWith('Unexpected end') ? n : -1;
    }
  };
  let pos = errorAt(text.length);
  if (pos < 0) {
    let [lo, hi] = [0, text.length];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (errorAt(mid) < mid) hi = mid;
      else lo = mid + 1;
    }
    pos = lo - 1;
  }
  const lines = text.slice(0, pos).split('\n');
  return `line ${lines.length}, column ${lines.at(-1)!.length + 1}`;
}

export interface LoadOptions {
  /** --config FILE; when absent, /etc/lpr-edge/config.yaml if it exists, else the embedded demo. */
  configPath?: string;
  /** --data-dir DIR overrides the config's data directory. */
  dataDir?: string;
}

export function loadConfig(opts: LoadOptions = {}): { config: Config; source: string } {
  let config: Config;
  let source: string;
  if (opts.configPath) {
    config = loadConfigFile(opts.configPath);
    source = opts.configPath;
  } else if (defaultConfigExists()) {
    config = loadConfigFile(DEFAULT_CONFIG_PATH);
    source = DEFAULT_CONFIG_PATH;
  } else {
    config = embeddedDefaults();
    source = EMBEDDED_SOURCE;
  }
  if (opts.dataDir) config = { ...config, dataDir: path.resolve(opts.dataDir) };
  return { config, source };
}

/**
 * Every path in the file made absolute against the file's folder, so the unit finds the same files
 * from whatever folder a command is run in. Devices are the exception: a v4l2 camera's bare
 * `device` is a /dev/v4l/by-id name (src/capture/v4l2.ts), and a serial GPS's, below.
 */
function resolvePaths(config: Config, base: string): Config {
  const abs = (p: string) => (path.isAbsolute(p) ? p : path.resolve(base, p));
  const { recogniser } = config.vision;
  return {
    ...config,
    dataDir: abs(config.dataDir),
    cameras: config.cameras.map((c) => (c.kind === 'file' ? { ...c, path: abs(c.path) } : c)),
    gps:
      config.gps.source === 'serial'
        ? { ...config.gps, path: serialDevice(config.gps.path, abs) }
        : config.gps,
    vision: {
      ...config.vision,
      detector: { ...config.vision.detector, model: abs(config.vision.detector.model) },
      recogniser: {
        ...recogniser,
        model: abs(recogniser.model),
        // Unset (the bundled model) and null (none) stay as they are.
        ...(typeof recogniser.secondOpinion === 'string' && { secondOpinion: abs(recogniser.secondOpinion) }),
      },
    },
    state: {
      ...config.state,
      ...(config.state.wordModel !== undefined && { wordModel: abs(config.state.wordModel) }),
    },
    sync: resolveSyncPaths(config.sync, abs),
  };
}

/**
 * `gps.path` names a device, and a device is never in the config's folder: a bare name such as
 * "ttyUSB0", "gps0" (the usual udev link) or "serial/by-id/usb-…" means that device under /dev.
 * Written as a path ("./gps0", "../dev/gps0") it is relative to the config's folder like any other
 * path in the file; an absolute one stays as it is.
 */
export function serialDevice(p: string, abs: (p: string) => string): string {
  if (path.isAbsolute(p)) return p;
  return /^\.\.?\//.test(p) ? abs(p) : path.join('/dev', p);
}
