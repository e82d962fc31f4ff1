import fs from 'node:fs';
import path from 'node:path';
import { tlsPairProblem } from '../sync/files.js';
import { X509Certificate } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { ConfigError, parseConfigText, parseInput, refuseSpecialFile, serialDevice } from '../config/load.js';
import { embeddedDefaults } from '../config/defaults.js';
import type { z } from 'zod';
import { answersSchema, type Answers } from './answers.js';
import { loadPublicKey } from '../sync/signing.js';

export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

const USER_KEYS = ['users', 'user', 'roles', 'admins', 'accounts', 'roster'];

/** Validate raw answers (file, flags or prompts); user-management keys are refused by policy. */
export function validateAnswers(raw: Record<string, unknown>, where: string): Answers {
  const forbidden = Object.keys(raw).filter((k) => USER_KEYS.includes(k));
  if (forbidden.length) {
    throw new PolicyError(
      `${where}: "${forbidden[0]}" is not allowed: provisioning cannot create users or grant roles (policy VI.A); the agency's administrator or headquarters manages the user roster`,
    );
  }
  // Worded as the config loader words a config's problems: the key, what it got, and the fix.
  return parseInput(answersSchema, raw, where);
}

/**
 * The config being replaced, parsed, or null when there is none (or it is not valid YAML: a broken
 * config is replaced, and kept as .prev). One this user may not read (on a unit /etc/lpr-edge is
 * root:lpr-edge 0750) is an error: taken as absent, the cameras, GPS and broker it holds would be
 * passed over, and provision asked for them again ("no camera given") or dropped them.
 */
export function readPreviousConfig(file: string): Record<string, unknown> | null {
  refuseSpecialFile(file, 'config');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    const fix =
      code === 'EACCES' || code === 'EPERM' ? ': run provision as root (sudo lpr-edge provision …)' : '';
    throw new ConfigError(`config ${file}: cannot read (${code ?? err})${fix}`, file);
  }
  try {
    return parseYaml(text) as Record<string, unknown>;
  } catch {
    return null;
  }
}

export function readAnswersFile(file: string): Record<string, unknown> {
  refuseSpecialFile(file, 'answers');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `answers ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`,
      file,
    );
  }
  const raw = parseConfigText(text, file, 'answers');
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(`answers ${file}: expected a mapping of keys to values`, file);
  return raw as Record<string, unknown>;
}

/**
 * The answers a previous config gave: each valid field of it, by the answers' own names. Its
 * relative paths are made absolute against `configDir`, the previous config's folder, as the config
 * loader reads them: carried over as written they would be taken from where provision runs.
 */
export function answersFromConfig(
  previous: Record<string, unknown> | null,
  configDir: string,
): Record<string, unknown> {
  if (!previous) return {};
  const sync = previous.sync as Record<string, unknown> | undefined;
  const candidates: Record<string, unknown> = {
    unitId: previous.unitId,
    agency: previous.agency,
    homeState: previous.homeState,
    dataDir: previous.dataDir,
    cameras: previous.cameras,
    gps: previous.gps,
    broker:
      sync?.enabled && typeof sync.brokerUrl === 'string'
        ? {
            url: sync.brokerUrl,
            ...(typeof sync.ca === 'string' ? { ca: sync.ca } : {}),
            ...(typeof sync.cert === 'string' ? { cert: sync.cert } : {}),
            ...(typeof sync.key === 'string' ? { key: sync.key } : {}),
          }
        : undefined,
  };
  // A field the previous config got wrong is asked for (or refused) as if it were not there.
  const shape = answersSchema.shape as Record<string, z.ZodType>;
  const valid = Object.fromEntries(
    Object.entries(candidates).filter(([k, v]) => v !== undefined && shape[k]!.safeParse(v).success),
  );
  return pathsFrom(valid as Partial<Answers>, configDir);
}

/**
 * The path fields of (partial) answers made absolute against `base`: a data folder, broker files,
 * file cameras and a serial GPS written as a path (a bare device name means /dev/NAME, as in a
 * config; a v4l2 camera's bare name is a /dev/v4l/by-id name and stays as it is).
 */
function pathsFrom<T extends Partial<Answers>>(a: T, base: string): T {
  const abs = (p: string) => path.resolve(base, p);
  const opt = (p: string | undefined) => (p === undefined ? undefined : abs(p));
  const broker = a.broker && {
    ...a.broker,
    ca: opt(a.broker.ca),
    cert: opt(a.broker.cert),
    key: opt(a.broker.key),
    hqKey: opt(a.broker.hqKey),
    hqAckKey: opt(a.broker.hqAckKey),
  };
  return {
    ...a,
    ...(a.dataDir !== undefined && { dataDir: abs(a.dataDir) }),
    // Undefined fields are left out: a zod strictObject and YAML both see them otherwise.
    ...(broker && { broker: Object.fromEntries(Object.entries(broker).filter(([, v]) => v !== undefined)) }),
    ...(a.cameras && {
      cameras: a.cameras.map((c) => (c.kind === 'file' ? { ...c, path: abs(c.path) } : c)),
    }),
    ...(a.gps?.source === 'serial' && { gps: { ...a.gps, path: serialDevice(a.gps.path, abs) } }),
  };
}

/**
 * The answers with every file path absolute, resolved against `cwd` (where the technician ran
 * provision). Stored relative, a path would later be taken relative to the config file's folder
 * (src/config/load.ts), which is not where the technician meant.
 */
export function absolutePaths(a: Answers, cwd = process.cwd()): Answers {
  return pathsFrom(a, cwd);
}

/**
 * The unit's config from the answers, keeping what provisioning does not ask about (vision,
 * tracker, storage… and any other section) from the previous config, else the shipped defaults.
 * `stopSync`: the technician took the broker away; the previous sync section is kept (its keys and
 * files, for when it comes back) but turned off.
 */
export function buildConfig(
  a: Answers,
  previous: Record<string, unknown> | null,
  opts: { stopSync?: boolean } = {},
): Record<string, unknown> {
  const base: Record<string, unknown> = previous ?? { vision: embeddedDefaults().vision };
  const config: Record<string, unknown> = {
    ...base,
    unitId: a.unitId,
    agency: a.agency,
    dataDir: a.dataDir,
    cameras: a.cameras,
    gps: a.gps,
  };
  if (a.homeState) config.homeState = a.homeState;
  else delete config.homeState;
  if (opts.stopSync && base.sync) config.sync = { ...(base.sync as Record<string, unknown>), enabled: false };
  if (a.broker) {
    const prevSync = (base.sync as Record<string, unknown> | undefined) ?? {};
    config.sync = {
      ...prevSync,
      enabled: true,
      brokerUrl: a.broker.url,
      ...(a.broker.ca ? { ca: a.broker.ca } : {}),
      ...(a.broker.cert ? { cert: a.broker.cert } : {}),
      ...(a.broker.key ? { key: a.broker.key } : {}),
      ...(a.broker.hqKey ? { hqPublicKey: a.broker.hqKey } : {}),
      ...(a.broker.hqAckKey && a.broker.hqAckKeyId
        ? { hqKeys: withAckKey(prevSync.hqKeys, a.broker.hqAckKeyId, a.broker.hqAckKey) }
        : {}),
    };
  }
  return config;
}

/**
 * The previous config's `sync.hqKeys` with the ack key given: it replaces an entry of the same
 * keyId (a renewed key), and signs acks only.
 */
function withAckKey(previous: unknown, keyId: string, publicKey: string): unknown[] {
  const kept = Array.isArray(previous)
    ? previous.filter((k) => (k as { keyId?: unknown } | null)?.keyId !== keyId)
    : [];
  return [...kept, { keyId, publicKey, signs: ['ack'] }];
}

/** The flag that sets each broker file, named with the answers' field in errors. */
const TLS_FLAGS = { ca: '--ca', cert: '--cert', key: '--key' } as const;

/**
 * Certificate paths given must exist and be what they claim: the CA and client certificate X.509
 * certificates, the key the private key of that client certificate. TLS itself (node's
 * createSecureContext, as the daemon's MQTT client uses) checks the key against the certificate: a
 * mismatched key or a certificate given as the key would otherwise pass and fail only in the car.
 */
export function checkCertificates(a: Answers): void {
  const pem: Partial<Record<keyof typeof TLS_FLAGS, string>> = {};
  for (const k of ['ca', 'cert', 'key'] as const) {
    const p = a.broker?.[k];
    if (!p) continue;
    refuseSpecialFile(p, `broker.${k}`);
    try {
      pem[k] = fs.readFileSync(p, 'utf8');
    } catch {
      throw new ConfigError(`broker.${k}: cannot read ${p}; copy the file onto the unit first`, p);
    }
    if (!pem[k].includes('-----BEGIN ')) throw new ConfigError(`broker.${k}: ${p} is not a PEM file`, p);
  }
  if (a.broker?.cert && !a.broker.key)
    throw new ConfigError('broker.cert given without broker.key: mutual TLS needs both', 'broker');
  const what = {
    ca: "the CA certificate that signed the broker's certificate",
    cert: 'the client certificate headquarters issued for this unit',
  };
  for (const k of ['ca', 'cert'] as const) {
    if (pem[k] === undefined) continue;
    try {
      new X509Certificate(pem[k]);
    } catch {
      throw new ConfigError(
        `broker.${k} (${TLS_FLAGS[k]}): ${a.broker![k]} is not a certificate: give ${TLS_FLAGS[k]} ${what[k]} (PEM)`,
        a.broker![k]!,
      );
    }
  }
  if (pem.cert !== undefined && pem.key !== undefined) {
    const pair = tlsPairProblem({ cert: pem.cert, key: pem.key, ca: pem.ca });
    if (pair) {
      const problem = pair.mismatch
        ? `does not belong to the client certificate ${a.broker!.cert}`
        : `is not a private key (${pair.why})`;
      throw new ConfigError(
        `broker.key (--key): ${a.broker!.key} ${problem}: give --key the private key made with that certificate (the .key file issued with its .crt)`,
        a.broker!.key!,
      );
    }
  }
  if (a.broker?.hqAckKey) {
    refuseSpecialFile(a.broker.hqAckKey, 'broker.hqAckKey');
    try {
      loadPublicKey(a.broker.hqAckKey, 'broker.hqAckKey');
    } catch (err) {
      throw new ConfigError(
        `${(err as Error).message}; give hq-ack.pub from "hq-sink keygen --name hq-ack"`,
        a.broker.hqAckKey,
      );
    }
  }
  if (a.broker?.hqKey) {
    refuseSpecialFile(a.broker.hqKey, 'broker.hqKey');
    try {
      loadPublicKey(a.broker.hqKey);
    } catch (err) {
      throw new ConfigError(
        `broker.hqKey: ${(err as Error).message.replace(/^sync\.hqPublicKey: /, '')}; give hq-signing.pub from "hq-sink keygen"`,
        a.broker.hqKey,
      );
    }
  }
}

/**
 * A unit that syncs checks every message from headquarters (hotlists, rosters, pull requests,
 * acks) against HQ's public signing key, and refuses them all without it: provisioned with a
 * broker but no key, it would send its records for ever and never receive a hotlist.
 */
export function checkHqKeyKnown(a: Answers, previous: Record<string, unknown> | null): void {
  if (!a.broker || a.broker.hqKey) return;
  const prevSync = previous?.sync as Record<string, unknown> | undefined;
  if (typeof prevSync?.hqPublicKey === 'string' && prevSync.hqPublicKey) return;
  throw new ConfigError(
    'broker.hqKey: a unit that syncs needs headquarters\' public signing key, to check hotlists, rosters, pull requests and acks: give --hq-key PATH (hq-signing.pub from "hq-sink keygen")',
    'broker',
  );
}
