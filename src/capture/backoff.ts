/**
 * Exponential backoff for reconnecting to a lost device (camera, gpsd, serial GPS). Doubling from
 * `initialMs` up to `maxMs`, with ±20 % jitter so that several cameras on one switch that drop
 * together do not retry in lock step. `reset()` after a connection has delivered data again.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    readonly initialMs = 500,
    readonly maxMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** Delay before the next attempt (and count it). */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    this.attempt++;
    const jitter = 1 + (this.random() * 0.4 - 0.2);
    return Math.round(Math.min(this.maxMs, base * jitter));
  }

  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** A sleep that `signal` can cut short (returns false when aborted). */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
