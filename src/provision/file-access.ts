import fs from 'node:fs';
import path from 'node:path';
import type { Answers } from './answers.js';
import { groupName } from '../util/accounts.js';

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
