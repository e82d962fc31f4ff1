import { LOCAL_SOURCE } from './manual.js';
import type { HotlistInfo } from './types.js';

/**
 * Hours since the list was generated at its source (policy IV.C.1 counts its age from there).
 * `generatedAt` is the source's clock, so this is one of the few ages taken on the wall clock
 * (nothing else can be compared with a time from elsewhere); a wrong unit clock skews it.
 */
export function listAgeHours(list: HotlistInfo, now: number): number {
  return (now - list.generatedAt) / 3_600_000;
}

/**
 * Whether the list can fall behind a source: entries made on the unit itself (source "local") are
 * as current as can be, however long ago the last was made.
 */
export function canFallBehind(list: HotlistInfo): boolean {
  return list.source !== LOCAL_SOURCE;
}

/** Policy IV.C.1: a list from elsewhere older than the limit is stale. */
export function isStale(list: HotlistInfo, now: number, maxAgeHours: number): boolean {
  return canFallBehind(list) && listAgeHours(list, now) > maxAgeHours;
}
