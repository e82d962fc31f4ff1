import type { Db } from '../store/database.js';

/** Small JSON values the policy module keeps between runs (approved retention, last zones...). */
export function getState<T>(
  db: Db,
  key: string,
): { value: T; updatedBy: string | null; updatedAt: number } | undefined {
  const row = db.prepare('SELECT value, updated_by, updated_at FROM policy_state WHERE key = ?').get(key) as
    { value: string; updated_by: string | null; updated_at: number } | undefined;
  return row
    ? { value: JSON.parse(row.value) as T, updatedBy: row.updated_by, updatedAt: row.updated_at }
    : undefined;
}

export function setState(db: Db, key: string, value: unknown, by: string | null, at = Date.now()): void {
  db.prepare(
    `INSERT INTO policy_state (key, value, updated_by, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
  ).run(key, JSON.stringify(value), by, at);
}
