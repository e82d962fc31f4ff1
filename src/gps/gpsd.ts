import net from 'node:net';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { GpsFix } from '../store/types.js';
import type { Backoff } from '../capture/backoff.js';
import type { GpsHealth } from './latest-fix.js';
import { rolloverDate, rolloverProblem, type ClockHealth } from './clock-check.js';
import { ReconnectingGpsSource } from './reconnecting-source.js';

/**
 * A small client for gpsd's JSON protocol over TCP (`?WATCH={"enable":true,"json":true}`).
 *
 * Why not node-gpsd: 0.3.4 is barely maintained, does not reconnect, and an `error` event nobody
 * listens to kills the whole daemon — the wrong failure mode for a unit that must keep reading
 * plates when the GPS is unplugged. The protocol part we need (TPV and SKY reports) is a few dozen
 * lines, every message is validated with zod, and reconnects use the same backoff as the cameras.
 */

// gpsd reports: only the fields we use are validated; others pass through untouched.
const tpvSchema = z.looseObject({
  class: z.literal('TPV'),
  mode: z.number().int().min(0).max(3),
  time: z.string().optional(),
  lat: z.number().min(-90).max(90).optional(),
  lon: z.number().min(-180).max(180).optional(),
  alt: z.number().optional(),
  altHAE: z.number().optional(),
  altMSL: z.number().optional(),
  speed: z.number().optional(),
  track: z.number().optional(),
});
const skySchema = z.looseObject({
  class: z.literal('SKY'),
  hdop: z.number().optional(),
  uSat: z.number().int().optional(),
  satellites: z.array(z.looseObject({ used: z.boolean().optional() })).optional(),
});

/** gpsd's device list (sent after WATCH) and one device's change (`activated: 0` when it is gone). */
const devicesSchema = z.looseObject({
  class: z.literal('DEVICES'),
  devices: z.array(z.looseObject({ path: z.string().optional() })),
});
const deviceSchema = z.looseObject({
  class: z.literal('DEVICE'),
  path: z.string().optional(),
  activated: z.union([z.number(), z.string()]).optional(),
});

/** gpsd runs but reads no receiver: without this, health said only "no fix" and no reason. */
export const NO_RECEIVER = 'gpsd has no receiver attached: check the GPS USB cable';

export interface GpsdOptions {
  host: string;
  port: number;
  maxFixAgeMs: number;
  /** Default DEFAULT_MAX_CLOCK_OFFSET_MS (5 s). */
  maxClockOffsetMs?: number;
  log: Logger;
  backoff?: Backoff;
}

export class GpsdSource extends ReconnectingGpsSource {
  protected readonly lostMessage = 'gpsd connection lost';
  protected readonly unreachableMessage = 'gpsd unreachable; retrying';
  private socket: net.Socket | null = null;
  private hdop: number | null = null;
  private satellites: number | null = null;
  private mode: number | null = null;

  constructor(private readonly opts: GpsdOptions) {
    super(opts.log, opts.maxFixAgeMs, opts.backoff, opts.maxClockOffsetMs);
  }

  protected closeConnection(): void {
    this.socket?.destroy();
  }

  health(): GpsHealth & { source: string; clock: ClockHealth } {
    const l = this.latest.latest();
    return {
      source: `gpsd ${this.opts.host}:${this.opts.port}`,
      connected: this.connected,
      fixAgeMs: l?.ageMs ?? null,
      mode: this.mode,
      satellites: l?.fix.satellites ?? this.satellites,
      hdop: l?.fix.hdop ?? this.hdop,
      fixes: this.latest.fixes,
      lost: this.latest.lost,
      lastError: this.lastError,
      clock: this.clock.health(),
    };
  }

  /** One connection: resolves when gpsd closes it, rejects on a socket error. */
  protected session(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ host: this.opts.host, port: this.opts.port });
      this.socket = socket;
      let buffer = '';
      const onAbort = () => socket.destroy();
      signal.addEventListener('abort', onAbort, { once: true });
      socket.setEncoding('utf8');
      socket.on('connect', () => {
        this.connected = true;
        // Reconnected: the error that lost (or kept) the connection is over.
        this.lastError = null;
        this.opts.log.info({ host: this.opts.host, port: this.opts.port }, 'gpsd connected');
        socket.write('?WATCH={"enable":true,"json":true};\n');
      });
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        // A runaway line (not gpsd on that port) must not grow memory without bound.
        if (buffer.length > 1_000_000) {
          socket.destroy(new Error('gpsd sent a line longer than 1 MB; is this really gpsd?'));
          return;
        }
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line) this.handle(line);
        }
      });
      socket.on('error', (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      });
      socket.on('close', () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  private handle(line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.lastError = `not JSON from gpsd: ${line.slice(0, 60)}`;
      return;
    }
    const cls = (msg as { class?: unknown }).class;
    if (cls === 'DEVICES' || cls === 'DEVICE') {
      this.receiverChanged(msg);
      return;
    }
    if (cls === 'SKY') {
      const sky = skySchema.safeParse(msg);
      if (!sky.success) return;
      if (sky.data.hdop !== undefined) this.hdop = sky.data.hdop;
      const used = sky.data.uSat ?? sky.data.satellites?.filter((s) => s.used).length;
      if (used !== undefined) this.satellites = used;
      return;
    }
    if (cls !== 'TPV') return;
    const tpv = tpvSchema.safeParse(msg);
    if (!tpv.success) {
      this.lastError = `bad TPV from gpsd: ${tpv.error.issues[0]?.message}`;
      return;
    }
    const t = tpv.data;
    this.mode = t.mode;
    if (t.mode < 2 || t.lat === undefined || t.lon === undefined) {
      this.latest.clear();
      return;
    }
    const gpsTime = t.time ? Date.parse(t.time) : NaN;
    // Only a fix with the receiver's own time says anything about the unit's clock.
    if (Number.isFinite(gpsTime)) this.clock.observe(gpsTime);
    if (Number.isFinite(gpsTime) && rolloverDate(gpsTime)) {
      // As from a serial receiver: a read tagged with it would carry a fix time 19.6 years off.
      this.lastError = rolloverProblem(gpsTime);
      return;
    }
    const fix: GpsFix = {
      lat: t.lat,
      lon: t.lon,
      // Without the receiver's time the fix is dated on arrival: it then says nothing about the
      // unit's clock, which only the ClockCheck above (receiver times only) measures.
      time: Number.isFinite(gpsTime) ? gpsTime : Date.now(),
      mode: t.mode as 2 | 3,
    };
    const alt = t.altMSL ?? t.alt ?? t.altHAE;
    if (alt !== undefined) fix.altM = alt;
    if (t.speed !== undefined) fix.speedMps = t.speed;
    if (t.track !== undefined) fix.headingDeg = t.track;
    if (this.hdop !== null) fix.hdop = this.hdop;
    if (this.satellites !== null) fix.satellites = this.satellites;
    this.publish(fix);
  }

  /** A receiver unplugged behind gpsd (or gpsd started without one) is named, once in the log. */
  private receiverChanged(msg: unknown): void {
    const list = devicesSchema.safeParse(msg);
    const one = deviceSchema.safeParse(msg);
    let present: boolean;
    if (list.success) present = list.data.devices.length > 0;
    // `activated` is the time it was activated (a number or an ISO string), 0 when it went away.
    else if (one.success && one.data.activated !== undefined) present = one.data.activated !== 0;
    else return;
    if (!present && this.lastError !== NO_RECEIVER) {
      this.lastError = NO_RECEIVER;
      this.latest.clear();
      this.opts.log.warn({ host: this.opts.host, port: this.opts.port }, NO_RECEIVER);
    } else if (present && this.lastError === NO_RECEIVER) {
      this.lastError = null;
      this.opts.log.info({ device: one.success ? one.data.path : undefined }, 'gpsd receiver attached');
    }
  }
}
