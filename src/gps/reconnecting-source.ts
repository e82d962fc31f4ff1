import type { Logger } from 'pino';
import type { GpsFix } from '../store/types.js';
import type { Service } from '../service.js';
import { Backoff, sleep } from '../capture/backoff.js';
import { LatestFix } from './latest-fix.js';
import { ClockCheck, DEFAULT_MAX_CLOCK_OFFSET_MS } from './clock-check.js';
import type { PositionSource } from './types.js';

/**
 * What every live GPS receiver shares: the latest fix, listeners, and one connection at a time,
 * reopened with backoff when it is lost (receiver unplugged, gpsd restarted). Reads meanwhile get
 * no position. Subclasses open one connection in `session` and report fixes with `publish`.
 */
export abstract class ReconnectingGpsSource implements PositionSource, Service {
  readonly name = 'gps';
  protected readonly latest: LatestFix;
  /** The unit's wall clock against the receiver's UTC (subclasses feed it each live fix's time). */
  protected readonly clock: ClockCheck;
  private readonly backoff: Backoff;
  private abort = new AbortController();
  private loop: Promise<void> | null = null;
  protected connected = false;
  protected lastError: string | null = null;
  /** The failure last logged: a receiver that stays away is logged once, not at every retry. */
  private loggedFailure: string | null = null;
  /** Listeners told about each new fix (tests, the console's position display). */
  private readonly listeners = new Set<(fix: GpsFix) => void>();

  constructor(
    protected readonly log: Logger,
    maxFixAgeMs: number,
    backoff?: Backoff,
    maxClockOffsetMs = DEFAULT_MAX_CLOCK_OFFSET_MS,
  ) {
    this.latest = new LatestFix(maxFixAgeMs);
    this.clock = new ClockCheck(maxClockOffsetMs, log);
    this.backoff = backoff ?? new Backoff(500, 10_000);
  }

  /** One connection: resolves when the other end closes it, rejects on an error. */
  protected abstract session(signal: AbortSignal): Promise<void>;
  /** Close the current connection so that `session` settles (on stop). */
  protected abstract closeConnection(): Promise<void> | void;
  /** What to log when the connection is lost. */
  protected abstract readonly lostMessage: string;
  /** What to log when no connection could be made (logged again only when the reason changes). */
  protected abstract readonly unreachableMessage: string;

  fixAt(timeMs: number, monoMs?: number) {
    return this.latest.fixAt(timeMs, monoMs);
  }

  lastKnownAt(timeMs: number, monoMs?: number) {
    return this.latest.lastKnownAt(timeMs, monoMs);
  }

  onFix(listener: (fix: GpsFix) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.closeConnection();
    await this.loop;
    this.loop = null;
  }

  /** A fix arrived: it becomes the latest, a working receiver resets the backoff and its last error. */
  protected publish(fix: GpsFix): void {
    this.lastError = null;
    this.latest.update(fix);
    this.backoff.reset();
    for (const l of this.listeners) l(fix);
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.session(signal);
        if (this.connected) this.loggedFailure = null;
      } catch (err) {
        this.lastError = (err as Error).message;
        // Logged when a working connection is lost or the reason changes; the same refusal at every
        // retry (gpsd not running, a receiver unplugged for the shift) would fill the journal.
        if (this.connected || this.lastError !== this.loggedFailure)
          this.log.warn(
            { err: this.lastError, retrying: true },
            this.connected ? this.lostMessage : this.unreachableMessage,
          );
        this.loggedFailure = this.lastError;
      }
      this.connected = false;
      this.latest.clear();
      if (signal.aborted) break;
      await sleep(this.backoff.next(), signal);
    }
  }
}
