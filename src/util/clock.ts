/**
 * Milliseconds on the unit's monotonic clock (from process start). It never steps: NTP or the GPS
 * setting the wall clock after boot (in a patrol car often backwards, or by minutes) leaves it
 * alone. Every duration, age and ordering on the unit is measured with it; wall-clock time
 * (Date.now()) is only what records carry.
 */
export function monotonicMs(): number {
  return performance.now();
}

/**
 * The steady clock to pair with a wall clock: the monotonic clock for the real one; the injected
 * clock itself otherwise (a test's clock, which never steps unless the test steps it).
 */
export function steadyClockFor(now: () => number = Date.now): () => number {
  return now === Date.now ? monotonicMs : now;
}
