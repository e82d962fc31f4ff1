import { SerialPort, ReadlineParser } from 'serialport';
import type { Logger } from 'pino';
import type { GpsFix } from '../store/types.js';
import type { Service } from '../service.js';
import { Backoff, sleep } from '../capture/backoff.js';
import { LatestFix, type GpsHealth } from './latest-fix.js';
import { NmeaFixBuilder } from './nmea.js';
import type { PositionSource } from './types.js';

export interface SerialNmeaOptions {
  path: string;
  baud: number;
  maxFixAgeMs: number;
  log: Logger;
  backoff?: Backoff;
}

/**
 * NMEA 0183 read directly from a serial port: the fallback for units without gpsd. Lines are split
 * by serialport's readline parser, checksums verified by NmeaFixBuilder. When the port goes away
 * (USB receiver unplugged) it is reopened with backoff; reads meanwhile get no position.
 */
export class SerialNmeaSource implements PositionSource, Service {
  readonly name = 'gps';
  private readonly latest: LatestFix;
  private readonly backoff: Backoff;
  private readonly builder = new NmeaFixBuilder();
  private port: SerialPort | null = null;
  private abort = new AbortController();
  private loop: Promise<void> | null = null;
  private connected = false;
  private lastError: string | null = null;
  private readonly listeners = new Set<(fix: GpsFix) => void>();

  constructor(private readonly opts: SerialNmeaOptions) {
    this.latest = new LatestFix(opts.maxFixAgeMs);
    this.backoff = opts.backoff ?? new Backoff(500, 10_000);
  }

  fixAt(timeMs: number) {
    return this.latest.fixAt(timeMs);
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
    const port = this.port;
    if (port?.isOpen) await new Promise<void>((r) => port.close(() => r()));
    await this.loop;
    this.loop = null;
  }

  health(): GpsHealth & { source: string; rejectedSentences: number } {
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
    };
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.session(signal);
      } catch (err) {
        this.lastError = (err as Error).message;
        this.opts.log.warn({ path: this.opts.path, err: this.lastError }, 'GPS serial port lost');
      }
      this.connected = false;
      this.latest.clear();
      if (signal.aborted) break;
      await sleep(this.backoff.next(), signal);
    }
  }

  private session(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path: this.opts.path, baudRate: this.opts.baud, autoOpen: false });
      this.port = port;
      const parser = port.pipe(new ReadlineParser({ delimiter: '\n' }));
      const onAbort = () => {
        if (port.isOpen) port.close();
      };
      parser.on('data', (line: string) => {
        const r = this.builder.push(line);
        if (r === 'nofix') this.latest.clear();
        else if (r) {
          this.latest.update(r);
          this.backoff.reset();
          for (const l of this.listeners) l(r);
        }
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
        if (err) return reject(err);
        this.connected = true;
        signal.addEventListener('abort', onAbort, { once: true });
        this.opts.log.info({ path: this.opts.path }, 'GPS serial port open');
      });
    });
  }
}
