import { LOCAL_SOURCE, type HotlistInfo } from './types.js';

/** How far ahead of this unit's clock a list's generation time may be: clock skew, not a date. */
export const FUTURE_SKEW_MS = 5 * 60_000;

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

/**
 * Why a list said to be generated at `generatedAt` cannot be taken now, or null. Its age counts
 * from then (IV.C.1): a list dated ahead of now would show a negative age and not go stale until
 * that date, however old it really is. Files (`hotlist import`) and lists from HQ alike. `field`
 * names where the time came from; `how` says how to give the right one.
 */
export function generatedInFuture(
  generatedAt: number,
  field: string,
  now: number,
  how = `set ${field} to that time`,
): string | null {
  if (generatedAt <= now + FUTURE_SKEW_MS) return null;
  return (
    `${field} ${new Date(generatedAt).toISOString()} is in the future (this unit's clock says ` +
    `${new Date(now).toISOString()}; ${FUTURE_SKEW_MS / 60_000} minutes of clock difference are allowed). ` +
    `A list's age counts from when it was generated: ${how}`
  );
}
