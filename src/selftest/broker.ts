import fs from 'node:fs';
import { tlsPairProblem } from '../sync/files.js';
import mqtt, { type MqttClient } from 'mqtt';
import type { CheckResult } from './checks.js';
import { loadHqKeys, uncoveredKinds } from '../sync/signing.js';

/** The broker settings selftest needs (the sync section's brokerUrl, TLS files and credentials). */
export interface BrokerSettings {
  enabled?: boolean;
  brokerUrl?: string;
  ca?: string;
  cert?: string;
  key?: string;
  username?: string;
  password?: string;
  passwordFile?: string;
  clientId?: string;
  hqPublicKey?: string;
  hqKeys?: { keyId: string; publicKey: string; signs: ('hotlist' | 'roster' | 'pull' | 'ack')[] }[];
}

/**
 * HQ's public signing keys: without one (or with a key that does not load) the unit refuses every
 * hotlist, roster, pull request and ack from HQ, so its records are never acknowledged. A unit with
 * `sync.hqKeys` and no `hqPublicKey` refuses the kinds of document none of them signs.
 */
export function checkHqKey(s: BrokerSettings | undefined): CheckResult {
  const name = 'hq key';
  if (!s?.enabled) return { check: name, status: 'skip', detail: 'sync with headquarters is off' };
  const fix = 'run "lpr-edge provision --hq-key hq-signing.pub …" (or set sync.hqPublicKey)';
  if (!s.hqPublicKey && !s.hqKeys?.length)
    return {
      check: name,
      status: 'fail',
      detail: 'sync.hqPublicKey is not set: every hotlist, roster, pull request and ack from HQ is refused',
      fix,
    };
  let uncovered: string[];
  try {
    uncovered = uncoveredKinds(loadHqKeys(s));
  } catch (err) {
    return { check: name, status: 'fail', detail: (err as Error).message, fix };
  }
  if (uncovered.length > 0)
    return {
      check: name,
      status: 'fail',
      detail: `no HQ key signs ${uncovered.join(', ')} (sync.hqPublicKey is not set, and no sync.hqKeys entry signs them): HQ's are refused`,
      fix,
    };
  const where = (k: string) => (k.includes('-----BEGIN') ? 'in the config' : k);
  const listed = (s.hqKeys ?? []).map((k) => `"${k.keyId}" (${k.signs.join(', ')}) ${where(k.publicKey)}`);
  const main = s.hqPublicKey ? [`Ed25519 public key ${where(s.hqPublicKey)}`] : [];
  return {
    check: name,
    status: 'pass',
    detail: [...main, ...(listed.length ? [`keys by keyId: ${listed.join('; ')}`] : [])].join('; '),
  };
}

/**
 * Connect once to the headquarters broker with the unit's own credentials and disconnect: proves
 * the network path, the TLS chain (pinned CA, client certificate) and the authentication. A
 * separate client id suffix keeps the daemon's persistent session untouched.
 */
export async function checkBroker(s: BrokerSettings | undefined, timeoutMs = 10_000): Promise<CheckResult> {
  const name = 'broker';
  if (!s?.enabled || !s.brokerUrl)
    return { check: name, status: 'skip', detail: 'no headquarters broker configured' };
  let password = s.password;
  try {
    if (s.passwordFile) password = fs.readFileSync(s.passwordFile, 'utf8').split('\n')[0];
  } catch {
    return {
      check: name,
      status: 'fail',
      detail: `cannot read passwordFile ${s.passwordFile}`,
      fix: 'provision the broker password file',
    };
  }
  let tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  try {
    tls = {
      ...(s.ca ? { ca: fs.readFileSync(s.ca) } : {}),
      ...(s.cert ? { cert: fs.readFileSync(s.cert) } : {}),
      ...(s.key ? { key: fs.readFileSync(s.key) } : {}),
    };
  } catch (err) {
    return {
      check: name,
      status: 'fail',
      detail: `cannot read a certificate: ${(err as Error).message}`,
      fix: 'run "lpr-edge provision" with the certificate paths',
    };
  }
  const url = s.brokerUrl;
  const unusable = tlsFilesProblem(s, tls);
  if (unusable) return { check: name, ...unusable };
  return new Promise((resolve) => {
    let client: MqttClient;
    try {
      client = mqtt.connect(url, {
        clientId: `${s.clientId ?? 'lpr-selftest'}-selftest-${process.pid}`,
        username: s.username,
        password,
        ...tls,
        rejectUnauthorized: true,
        reconnectPeriod: 0,
        connectTimeout: timeoutMs,
        clean: true,
      });
    } catch (err) {
      // mqtt.connect builds the TLS context at once and throws; the other checks' results must stand.
      resolve({
        check: name,
        status: 'fail',
        detail: `cannot connect to ${url}: ${(err as Error).message}`,
        fix: 'check sync.brokerUrl and the TLS files, or run "lpr-edge provision" again',
      });
      return;
    }
    const finish = (r: CheckResult) => {
      clearTimeout(timer);
      client.end(true);
      resolve(r);
    };
    const timer = setTimeout(
      () =>
        finish({
          check: name,
          status: 'fail',
          detail: `no answer from ${url} in ${timeoutMs / 1000} s`,
          fix: 'check the mobile data link and the broker address',
        }),
      timeoutMs,
    );
    client.once('connect', () =>
      finish({ check: name, status: 'pass', detail: `connected and authenticated to ${url}` }),
    );
    client.once('error', (err) => {
      const code = (err as Error & { code?: number | string }).code;
      const auth =
        code === 4 ||
        code === 5 ||
        code === 134 ||
        code === 135 ||
        /not authori[sz]ed|bad user name or password/i.test(err.message);
      finish(
        auth
          ? {
              check: name,
              status: 'fail',
              detail: `${url} refused the unit's credentials (${err.message})`,
              fix: 'ask headquarters to check the unit account, or re-provision its certificate/password',
            }
          : {
              check: name,
              status: 'fail',
              detail: `cannot connect to ${url}: ${err.message}`,
              fix: 'check the mobile data link, the broker address and the CA certificate',
            },
      );
    });
  });
}

/**
 * The unit's TLS files as TLS will take them (node's createSecureContext, which mqtt.connect calls
 * and throws from): a key that is not the certificate's, or is no private key, named by its field.
 */
function tlsFilesProblem(
  s: BrokerSettings,
  files: { ca?: Buffer; cert?: Buffer; key?: Buffer },
): { status: 'fail'; detail: string; fix: string } | null {
  if (!files.cert && !files.key) return null;
  const pair = tlsPairProblem(files);
  if (!pair) return null;
  return {
    status: 'fail',
    detail: pair.mismatch
      ? `sync.key ${s.key} does not belong to the client certificate sync.cert ${s.cert}`
      : `the client certificate sync.cert ${s.cert ?? '(none)'} and key sync.key ${s.key ?? '(none)'} cannot be used: ${pair.why}`,
    fix: 'give sync.key the private key issued with the certificate sync.cert (lpr-edge provision --cert CRT --key KEY …)',
  };
}
