import { createHash } from 'node:crypto';
import type { Db } from '../store/database.js';
import { AuditLog } from './audit.js';
import { canonicalJson } from './canonical.js';
import { getState, setState } from './state.js';

/**
 * Configuration changes are audited (issue: "configuration changes"): at startup the effective
 * config is compared with the one recorded at the last start; a difference writes one
 * 'config.change' record naming the changed keys and both hashes. `dataDir` is left out: it is
 * where the data lives, not how the unit behaves.
 */
export function recordConfigChange(
  db: Db,
  config: object,
  audit = new AuditLog(db),
  actor: string | null = null,
): string[] | null {
  const rest: Record<string, unknown> = { ...(config as Record<string, unknown>) };
  delete rest.dataDir;
  const current = JSON.parse(canonicalJson(rest)) as Record<string, unknown>;
  const last = getState<Record<string, unknown>>(db, 'config.last');
  const hash = (v: unknown) => createHash('sha256').update(canonicalJson(v)).digest('hex').slice(0, 16);
  if (last && canonicalJson(last.value) === canonicalJson(current)) return null;
  const changed = last ? diffPaths(last.value, current) : ['(first start)'];
  db.transaction(() => {
    audit.append({
      type: 'config.change',
      actor,
      details: {
        changed: changed.slice(0, 100),
        before: last ? hash(last.value) : null,
        after: hash(current),
      },
    });
    setState(db, 'config.last', current, actor);
  })();
  return changed;
}

function diffPaths(a: unknown, b: unknown, prefix = ''): string[] {
  if (canonicalJson(a) === canonicalJson(b)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObj(a) || !isObj(b)) return [prefix || '(root)'];
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((k) => diffPaths(a[k], b[k], prefix ? `${prefix}.${k}` : k));
}
