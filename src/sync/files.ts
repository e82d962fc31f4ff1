import { accessSync, constants } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { userInfo } from 'node:os';
import type { Config } from '../config/schema.js';
import { inputFileProblem, readConfiguredFile } from '../util/input-file.js';
import { loadHqKeys } from './signing.js';

/**
 * Why the files the `sync` section names cannot be used, with the config key and the fix, or null.
 * Checked before sync is built: a key the service user cannot read, or one that does not match its
 * certificate, is a fault of the headquarters link alone, and the daemon starts without it rather
 * than exiting (systemd would restart it for ever and no plate would be read).
 */
export function syncFilesProblem(cfg: Config['sync']): string | null {
  const files: [string, string | undefined][] = [
    ['sync.ca', cfg.ca],
    ['sync.cert', cfg.cert],
    ['sync.key', cfg.key],
    ['sync.passwordFile', cfg.passwordFile],
    // PEM text in the config is no file.
    ['sync.hqPublicKey', cfg.hqPublicKey?.includes('-----BEGIN') ? undefined : cfg.hqPublicKey],
    ...(cfg.hqKeys ?? []).map((k, i): [string, string | undefined] => [
      `sync.hqKeys[${i}].publicKey`,
      k.publicKey.includes('-----BEGIN') ? undefined : k.publicKey,
    ]),
  ];
  for (const [key, file] of files) {
    const problem = file === undefined ? null : fileProblem(key, file);
    if (problem) return problem;
  }
  if (cfg.cert && cfg.key) {
    const pair = tlsPairProblem({
      cert: readConfiguredFile(cfg.cert, 'sync.cert'),
      key: readConfiguredFile(cfg.key, 'sync.key'),
    });
    if (pair)
      return (
        `sync.key ${cfg.key} cannot be used with sync.cert ${cfg.cert} (${pair.why}): ` +
        'fix: install the key this certificate was issued for (or the certificate for this key)'
      );
  }
  try {
    loadHqKeys(cfg);
  } catch (err) {
    return `${(err as Error).message}: fix: install HQ's Ed25519 public key (PEM) there`;
  }
  return null;
}

function fileProblem(key: string, file: string): string | null {
  const problem = inputFileProblem(file);
  if (problem?.kind === 'missing')
    return `${key} ${file}: no such file: fix: correct ${key} or put the file there`;
  if (problem && problem.kind !== 'unreadable') return `${key} ${file}: ${problem.message}`;
  try {
    accessSync(file, constants.R_OK);
    if (!problem) return null;
  } catch {
    // not readable: said below, with the user who must be able to read it
  }
  const user = userInfo().username;
  return (
    `${key} ${file}: cannot be read by ${user}, the user lpr-edge runs as: ` +
    `fix: chgrp ${user} ${file} && chmod 640 ${file} (or correct ${key})`
  );
}

/**
 * What TLS makes of a client certificate and its key, as the MQTT client will at its first
 * connection (node's createSecureContext): null when they go together. `mismatch` tells a key
 * issued with another certificate from something that is no key at all; `why` is OpenSSL's reason
 * without its error number. Provision, selftest and the daemon word it each for their own reader.
 */
export function tlsPairProblem(files: {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
}): { mismatch: boolean; why: string } | null {
  try {
    createSecureContext(files);
    return null;
  } catch (err) {
    return {
      mismatch: (err as NodeJS.ErrnoException).code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH',
      why: (err as Error).message.replace(/^error:[0-9A-F]+:/, ''),
    };
  }
}
