import { SerialPort, ReadlineParser } from 'serialport';
import type { Logger } from 'pino';
import type { Backoff } from '../capture/backoff.js';
import type { GpsHealth } from './latest-fix.js';
import type { ClockHealth } from './clock-check.js';
import { NmeaFixBuilder } from './nmea.js';
import { ReconnectingGpsSource } from './reconnecting-source.js';

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
 * by serialport's readline parser, checksums verified by NmeaFixBuilder. When the port goes away
 * (USB receiver unplugged) it is reopened with backoff; reads meanwhile get no position.
 */
export class SerialNmeaSource extends ReconnectingGpsSource {
  protected readonly lostMessage: string;
  private readonly builder = new NmeaFixBuilder();
  private port: SerialPort | null = null;

  constructor(private readonly opts: SerialNmeaOptions) {
    super(opts.log, opts.maxFixAgeMs, opts.backoff, opts.maxClockOffsetMs);
    this.lostMessage = `GPS serial port ${opts.path} lost`;
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
      const parser = port.pipe(new ReadlineParser({ delimiter: '\n' }));
      // Listening before `open`: a stop that comes while the port is still opening must close it
      // as soon as it is open, or `stop` (and a failed daemon start) would wait for ever.
      const onAbort = () => {
        if (port.isOpen) port.close();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      parser.on('data', (line: string) => {
        const r = this.builder.push(line);
        if (r === 'nofix') this.latest.clear();
        else if (r) this.publish(r);
      });
      port.on('error', (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      });
      port.on('close', () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
      port.open((err) => {
        if (err) {
          signal.removeEventListener('abort', onAbort);
          return reject(err);
        }
        if (signal.aborted) return void port.close();
        this.connected = true;
        this.opts.log.info({ path: this.opts.path }, 'GPS serial port open');
      });
    });
  }
}
