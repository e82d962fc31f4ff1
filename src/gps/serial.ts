import { SerialPort } from 'serialport';
import type { Logger } from 'pino';
import type { Backoff } from '../capture/backoff.js';
import type { GpsHealth } from './latest-fix.js';
import { rolloverDate, rolloverProblem, type ClockHealth } from './clock-check.js';
import { MAX_SENTENCE_LENGTH, NmeaFixBuilder } from './nmea.js';
import { ReconnectingGpsSource } from './reconnecting-source.js';
import { monotonicMs } from '../util/clock.js';

/**
 * A receiver sends a burst of sentences every second: this long without one valid sentence is no
 * hiccup, and the technician is told what to check (lastError).
 */
export const NO_SENTENCE_MS = 3000;

export interface SerialNmeaOptions {
  path: string;
  baud: number;
  maxFixAgeMs: number;
  /** Default DEFAULT_MAX_CLOCK_OFFSET_MS (5 s). */
  maxClockOffsetMs?: number;
  log: Logger;
  backoff?: Backoff;
}

/**
 * NMEA 0183 read directly from a serial port: the fallback for units without gpsd. Lines are split
 * and sentences checked by NmeaFixBuilder (line ends CR, LF or CRLF; over-long lines dropped;
 * checksums, positions and times verified). When the port goes away (USB receiver unplugged) it is
 * reopened with backoff; reads meanwhile get no position. A fix dated before 2020 (a receiver with
 * the GPS week-rollover bug) is not taken, as a recorded track drops it (`rolloverDate`). What keeps
 * fixes from coming (no data, data that is not NMEA, rejected sentences, rollover dates) is told in
 * `lastError`, cleared by the next fix.
 */
export class SerialNmeaSource extends ReconnectingGpsSource {
  protected readonly lostMessage: string;
  protected readonly unreachableMessage: string;
  private readonly builder = new NmeaFixBuilder();
  private port: SerialPort | null = null;

  constructor(private readonly opts: SerialNmeaOptions) {
    super(opts.log, opts.maxFixAgeMs, opts.backoff, opts.maxClockOffsetMs);
    this.lostMessage = `GPS serial port ${opts.path} lost`;
    this.unreachableMessage = `GPS serial port ${opts.path} cannot be opened; retrying`;
    // Each valid RMC (status A, its own date and time) measures the unit's clock on arrival.
    this.builder.onTime = (utcMs) => this.clock.observe(utcMs);
  }

  protected async closeConnection(): Promise<void> {
    const port = this.port;
    if (port?.isOpen) await new Promise<void>((r) => port.close(() => r()));
  }

  health(): GpsHealth & { source: string; rejectedSentences: number; clock: ClockHealth } {
    const l = this.latest.latest();
    return {
      source: `serial ${this.opts.path}@${this.opts.baud}`,
      connected: this.connected,
      fixAgeMs: l?.ageMs ?? null,
      mode: l?.fix.mode ?? null,
      satellites: l?.fix.satellites ?? null,
      hdop: l?.fix.hdop ?? null,
      fixes: this.latest.fixes,
      lost: this.latest.lost,
      lastError: this.lastError,
      rejectedSentences: this.builder.rejected,
      clock: this.clock.health(),
    };
  }

  protected session(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path: this.opts.path, baudRate: this.opts.baud, autoOpen: false });
      this.port = port;
      // Listening before `open`: a stop that comes while the port is still opening must close it
      // as soon as it is open, or `stop` (and a failed daemon start) would wait for ever.
      const onAbort = () => {
        if (port.isOpen) port.close();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      // Since the last valid sentence (or the port's opening): when, and what came instead.
      let lastSentenceAt = monotonicMs();
      let bytes = 0;
      let sentences = this.builder.accepted;
      let rejected = this.builder.rejected;
      let overlong = this.builder.overlong;
      port.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        // latin1: NMEA is ASCII, and line noise must not turn into multi-byte characters.
        for (const r of this.builder.feed(chunk.toString('latin1'))) {
          if (r === 'nofix') this.latest.clear();
          // A week-rollover date (2007 for 2026): the position may be right, but a read tagged with
          // it would carry a fix time 19.6 years off. Not taken, as a recorded track drops it.
          else if (rolloverDate(r.time)) this.lastError = rolloverProblem(r.time);
          else this.publish(r);
        }
        if (this.builder.accepted > sentences) {
          sentences = this.builder.accepted;
          lastSentenceAt = monotonicMs();
          bytes = 0;
          overlong = this.builder.overlong;
        }
        // Sentences arrive but are rejected (a position that is none): say why. Once none has
        // arrived for a while, the silence (below) says more.
        if (this.builder.rejected > rejected && monotonicMs() - lastSentenceAt < NO_SENTENCE_MS) {
          rejected = this.builder.rejected;
          this.lastError = `${rejected} NMEA sentence(s) rejected, the last: ${this.builder.lastRejection}`;
        }
      });
      const silence = setInterval(() => {
        const quietMs = monotonicMs() - lastSentenceAt;
        if (quietMs >= NO_SENTENCE_MS)
          this.lastError = this.silenceProblem(quietMs, bytes, this.builder.overlong > overlong);
      }, 500);
      const done = () => {
        signal.removeEventListener('abort', onAbort);
        clearInterval(silence);
      };
      port.on('error', (err) => {
        done();
        reject(err);
      });
      port.on('close', () => {
        done();
        resolve();
      });
      port.open((err) => {
        if (err) {
          done();
          return reject(err);
        }
        if (signal.aborted) return void port.close();
        this.connected = true;
        this.builder.dropPartialLine();
        // The port is back: the error that closed it (or kept it from opening) is over.
        this.lastError = null;
        lastSentenceAt = monotonicMs();
        this.opts.log.info({ path: this.opts.path }, 'GPS serial port open');
      });
    });
  }

  /** Why no sentence has come for `quietMs`, in words that say what to check. */
  private silenceProblem(quietMs: number, bytes: number, overlong: boolean): string {
    const what = `no NMEA sentence in ${Math.floor(quietMs / 1000)} s`;
    const baud = `check the baud rate (gps.baud ${this.opts.baud}) against the receiver's`;
    if (bytes === 0)
      return `${what}: nothing arrives on ${this.opts.path}; check that the receiver is powered and its cable`;
    if (overlong)
      return `${what}: lines too long for NMEA (over ${MAX_SENTENCE_LENGTH} characters without a line end); ${baud}`;
    return `${what}: ${bytes} bytes arrived, none a valid sentence; ${baud}`;
  }
}
