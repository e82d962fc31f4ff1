import fs from 'node:fs';
import path from 'node:path';
import type { Answers } from './answers.js';
import { groupName } from '../util/accounts.js';
import { PROJECT_ROOT } from '../config/defaults.js';

/**
 * Files the config names that the daemon could not read. On a unit the config's folder is
 * root:lpr-edge and the daemon runs in that group; a certificate or key left 0600 root (openssl's
 * default) would stop it with EACCES in the car. A folder whose group is root (no install yet) says
 * nothing about the service: install.sh gives those files the group later.
 */
export function unreadableByService(configFile: string, a: Answers): string[] {
  let gid: number;
  try {
    gid = fs.statSync(path.dirname(path.resolve(configFile))).gid;
  } catch {
    return [];
  }
  if (gid === 0) return [];
  const files = {
    ca: a.broker?.ca,
    cert: a.broker?.cert,
    key: a.broker?.key,
    hqKey: a.broker?.hqKey,
    hqAckKey: a.broker?.hqAckKey,
  };
  const warnings: string[] = [];
  for (const [k, file] of Object.entries(files)) {
    if (!file) continue;
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      continue;
    }
    const readable = (st.gid === gid && (st.mode & 0o040) !== 0) || (st.mode & 0o004) !== 0;
    if (readable) continue;
    const group = groupName(gid);
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    warnings.push(
      `broker.${k} ${file} is mode ${mode}, group ${groupName(st.gid)}: the daemon (group ${group}) cannot read it and would stop with EACCES; fix: sudo chgrp ${group} ${file} && sudo chmod 0640 ${file}`,
    );
  }
  return warnings;
}

/** What systemd's ProtectHome=yes (systemd/lpr-edge.service) makes empty and unreachable to the daemon. */
const HIDDEN_BY_PROTECT_HOME = ['/home', '/root', '/run/user'];

const COPY_TO_ETC = 'copy it to a folder such as /etc/lpr-edge and give that path';
const COPY_MODEL = 'copy it to a folder such as /etc/lpr-edge/models and give that path';

/**
 * Settings of a config (as provision writes it) naming a path under /home, /root or /run/user: the
 * service runs with ProtectHome=yes, so it would find no such file (a technician's certificates in
 * ~/certs, a data folder in /home) and fail only once installed. Relative paths are taken from the
 * config's folder, as the config loader takes them. Each warning names the setting and the fix.
 */
export function hiddenFromService(configFile: string, config: Record<string, unknown>): string[] {
  const base = path.dirname(path.resolve(configFile));
  const at = (o: unknown, key: string): unknown => (o as Record<string, unknown> | undefined)?.[key];
  const sync = config.sync;
  const vision = config.vision;
  const settings: [string, unknown, string][] = [
    ['dataDir', config.dataDir, 'use a folder such as /var/lib/lpr-edge (--data-dir)'],
    ...(Array.isArray(config.cameras) ? config.cameras : []).map((c, i): [string, unknown, string] => [
      `cameras[${i}].path`,
      at(c, 'kind') === 'file' ? at(c, 'path') : undefined,
      'copy it to a folder such as /var/lib/lpr-edge and give that path',
    ]),
    ...(['ca', 'cert', 'key', 'passwordFile', 'hqPublicKey'] as const).map((k): [string, unknown, string] => [
      `sync.${k}`,
      at(sync, k),
      COPY_TO_ETC,
    ]),
    ...(Array.isArray(at(sync, 'hqKeys')) ? (at(sync, 'hqKeys') as unknown[]) : []).map(
      (k, i): [string, unknown, string] => [`sync.hqKeys[${i}].publicKey`, at(k, 'publicKey'), COPY_TO_ETC],
    ),
    ['vision.detector.model', at(at(vision, 'detector'), 'model'), COPY_MODEL],
    ['vision.recogniser.model', at(at(vision, 'recogniser'), 'model'), COPY_MODEL],
    ['vision.recogniser.secondOpinion', at(at(vision, 'recogniser'), 'secondOpinion'), COPY_MODEL],
    ['state.wordModel', at(config.state, 'wordModel'), COPY_MODEL],
  ];
  const warnings: string[] = [];
  for (const [setting, value, fix] of settings) {
    // An inline PEM key is no path.
    if (typeof value !== 'string' || !value || value.includes('-----BEGIN')) continue;
    const file = path.resolve(base, value);
    // The models this lpr-edge ships with are where it is installed (/opt/lpr-edge on a unit); a
    // development clone in /root or /home provisioning for itself is not the service.
    if (file.startsWith(`${PROJECT_ROOT}/`)) continue;
    const hidden = HIDDEN_BY_PROTECT_HOME.find((d) => file === d || file.startsWith(`${d}/`));
    if (hidden)
      warnings.push(
        `${setting} ${file} is under ${hidden}, which the lpr-edge service cannot see (ProtectHome=yes in lpr-edge.service): ${fix}`,
      );
  }
  return warnings;
}
