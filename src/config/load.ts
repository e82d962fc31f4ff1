import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { embeddedDefaults } from './defaults.js';
import { resolveSyncPaths } from '../sync/config.js';
import { inputFileProblem } from '../util/input-file.js';

export const DEFAULT_CONFIG_PATH = '/etc/lpr-edge/config.yaml';

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** "cameras[0].kind: got "usb"; allowed: file" — one line per problem, naming key, value and fix. */
export function describeIssues(error: z.ZodError, input: unknown): string {
  return error.issues.map((issue) => describeIssue(issue, input)).join('; ');
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const key = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const where = key ? `${key}.` : '';
    return `unknown key ${issue.keys.map((k) => `"${where}${k}"`).join(', ')}: remove it or check its spelling`;
  }
  const value = valueAt(input, issue.path);
  const got = value === undefined ? 'missing' : `got ${JSON.stringify(value)}`;
  let allowed = issue.message;
  if (issue.code === 'invalid_value')
    allowed = `allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (issue.code === 'invalid_union' && 'discriminator' in issue) allowed = issue.message;
  return `${key || '(root)'}: ${got}; ${allowed}`;
}

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

/** Validate an already-parsed object (from a file, the embedded defaults or provisioning). */
export function parseConfig(input: unknown, file = '(embedded)'): Config {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(`config ${file}: ${describeIssues(result.error, input)}`, file);
  }
  return result.data;
}

/** Read YAML or JSON; relative paths inside it are resolved against the file's folder. */
export function loadConfigFile(file: string): Config {
  refuseSpecialFile(file, 'config');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `config ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`,
      file,
    );
  }
  const raw = parseConfigText(text, file, 'config');
  return resolvePaths(parseConfig(raw, file), path.dirname(path.resolve(file)));
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
  } else if (existsSync(DEFAULT_CONFIG_PATH)) {
    config = loadConfigFile(DEFAULT_CONFIG_PATH);
    source = DEFAULT_CONFIG_PATH;
  } else {
    config = embeddedDefaults();
    source = '(embedded defaults)';
  }
  if (opts.dataDir) config = { ...config, dataDir: path.resolve(opts.dataDir) };
  return { config, source };
}

function resolvePaths(config: Config, base: string): Config {
  const abs = (p: string) => (path.isAbsolute(p) ? p : path.resolve(base, p));
  return {
    ...config,
    dataDir: abs(config.dataDir),
    cameras: config.cameras.map((c) => (c.kind === 'file' ? { ...c, path: abs(c.path) } : c)),
    vision: {
      ...config.vision,
      detector: { ...config.vision.detector, model: abs(config.vision.detector.model) },
      recogniser: { ...config.vision.recogniser, model: abs(config.vision.recogniser.model) },
    },
    sync: resolveSyncPaths(config.sync, abs),
  };
}
