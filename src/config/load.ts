import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { embeddedDefaults } from './defaults.js';
import { resolveSyncPaths } from '../sync/config.js';

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
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `config ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`,
      file,
    );
  }
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(
      `config ${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
      file,
    );
  }
  return resolvePaths(parseConfig(raw, file), path.dirname(path.resolve(file)));
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
