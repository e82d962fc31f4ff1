/**
 * The audit record types the hotlist module writes. The policy module gathers every module's list
 * into AUDIT_TYPES, what `audit list --type` accepts.
 */
export const HOTLIST_AUDIT_TYPES = [
  'hotlist.import',
  'hotlist.import-rejected',
  'hotlist.change',
  'hotlist.stale',
] as const;
