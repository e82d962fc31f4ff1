import type { GpsFix } from '../store/types.js';

/**
 * NMEA 0183 sentences as GPS receivers send them over a serial line. Only what a fix needs is
 * parsed: RMC (time, date, position, speed, course, validity), GGA (fix quality, satellites, HDOP,
 * altitude) and GSA (2D/3D mode). Every sentence's checksum is verified; a sentence with a wrong
 * or missing checksum is rejected, because a corrupted digit in a latitude puts a read kilometres
 * off and nothing downstream could tell.
 */

export type NmeaResult =
  | { ok: true; talker: string; type: string; fields: string[] }
  | { ok: false; reason: 'no-start' | 'no-checksum' | 'bad-checksum' | 'too-long'; line: string };

/** XOR of every character between "$" and "*". */
export function nmeaChecksum(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum ^= body.charCodeAt(i);
  return sum;
}

/** Build a sentence with its checksum (used by tests and the fake receiver). */
export function nmeaSentence(body: string): string {
  return `$${body}*${nmeaChecksum(body).toString(16).toUpperCase().padStart(2, '0')}`;
}

export function parseSentence(raw: string): NmeaResult {
  const line = raw.trim();
  // The standard caps a sentence at 82 characters; allow some slack for proprietary receivers.
  if (line.length > 120) return { ok: false, reason: 'too-long', line };
  const start = line.indexOf('$');
  if (start < 0) return { ok: false, reason: 'no-start', line };
  const star = line.lastIndexOf('*');
  if (star < start || star + 3 > line.length) return { ok: false, reason: 'no-checksum', line };
  const body = line.slice(start + 1, star);
  const given = Number.parseInt(line.slice(star + 1, star + 3), 16);
  if (!Number.isFinite(given) || given !== nmeaChecksum(body))
    return { ok: false, reason: 'bad-checksum', line };
  const fields = body.split(',');
  const address = fields[0] ?? '';
  // "GPRMC" → talker GP, type RMC; proprietary "PXXX" sentences are passed through as type.
  const talker = address.startsWith('P') ? 'P' : address.slice(0, 2);
  const type = address.startsWith('P') ? address : address.slice(2);
  return { ok: true, talker, type, fields: fields.slice(1) };
}

/** ddmm.mmmm + hemisphere → signed decimal degrees. */
export function parseCoordinate(
  value: string | undefined,
  hemi: string | undefined,
  degDigits: 2 | 3,
): number | null {
  if (!value || !hemi) return null;
  const deg = Number.parseInt(value.slice(0, degDigits), 10);
  const min = Number.parseFloat(value.slice(degDigits));
  if (!Number.isFinite(deg) || !Number.isFinite(min)) return null;
  const v = deg + min / 60;
  return hemi === 'S' || hemi === 'W' ? -v : v;
}

function num(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** hhmmss.ss on day ddmmyy → UTC ms. */
function utcMs(time: string, date: { y: number; m: number; d: number }): number | null {
  const h = Number(time.slice(0, 2));
  const mi = Number(time.slice(2, 4));
  const s = Number(time.slice(4));
  if (![h, mi, s].every(Number.isFinite)) return null;
  return Date.UTC(date.y, date.m - 1, date.d, h, mi, 0) + Math.round(s * 1000);
}

const KNOTS_TO_MPS = 0.514444;

/**
 * Turns a stream of sentences into fixes. A receiver sends one burst per second (RMC, GGA, GSA…
 * in any order); a fix is emitted on each RMC or GGA that has a valid position, carrying the latest
 * values the other sentences gave for that second.
 */
const HALF_DAY_MS = 12 * 3_600_000;

export class NmeaFixBuilder {
  private date: { y: number; m: number; d: number } | null = null;
  private mode: 2 | 3 | null = null;
  private hdop: number | undefined;
  private satellites: number | undefined;
  private altM: number | undefined;
  private speedMps: number | undefined;
  private headingDeg: number | undefined;
  private lastFixTime: number | null = null;
  /** Sentences rejected for a bad or missing checksum (reported in health). */
  rejected = 0;
  accepted = 0;
  /**
   * Told the UTC time of each valid RMC (status A) whose own date and time parse: the receiver's
   * time, which a live source checks the unit's clock against. GGA has no date, so it is not used.
   */
  onTime?: (utcMs: number) => void;

  /** Feed one line; returns a fix when this sentence completes one, `'nofix'` when the receiver says it has none. */
  push(line: string): GpsFix | 'nofix' | null {
    if (line.trim() === '') return null;
    const s = parseSentence(line);
    if (!s.ok) {
      this.rejected++;
      return null;
    }
    this.accepted++;
    const f = s.fields;
    switch (s.type) {
      case 'RMC': {
        // time,status,lat,N,lon,E,speed(kn),course,date,...
        const [time, status, lat, ns, lon, ew, kn, course, date] = f;
        let day: { y: number; m: number; d: number } | null = null;
        if (date && /^\d{6}$/.test(date)) {
          day = {
            d: Number(date.slice(0, 2)),
            m: Number(date.slice(2, 4)),
            y: 2000 + Number(date.slice(4, 6)),
          };
          this.date = day;
        }
        if (status !== 'A') return 'nofix';
        if (this.onTime && day && time && /^\d{6}(\.\d+)?$/.test(time)) {
          const t = utcMs(time, day);
          if (t !== null) this.onTime(t);
        }
        const knots = num(kn);
        this.speedMps = knots === undefined ? undefined : knots * KNOTS_TO_MPS;
        this.headingDeg = num(course);
        return this.emit(time, lat, ns, lon, ew);
      }
      case 'GGA': {
        // time,lat,N,lon,E,quality,sats,hdop,alt,M,...
        const [time, lat, ns, lon, ew, quality, sats, hdop, alt] = f;
        this.satellites = num(sats);
        this.hdop = num(hdop);
        this.altM = num(alt);
        if (!quality || quality === '0') return 'nofix';
        return this.emit(time, lat, ns, lon, ew);
      }
      case 'GSA': {
        // mode(A/M),fix type(1 none, 2 2D, 3 3D),sv…,pdop,hdop,vdop
        const t = f[1];
        this.mode = t === '3' ? 3 : t === '2' ? 2 : null;
        const hdop = num(f[15]);
        if (hdop !== undefined) this.hdop = hdop;
        return null;
      }
      case 'VTG': {
        const course = num(f[0]);
        const kmh = num(f[6]);
        if (course !== undefined) this.headingDeg = course;
        if (kmh !== undefined) this.speedMps = kmh / 3.6;
        return null;
      }
      default:
        return null;
    }
  }

  private emit(
    time: string | undefined,
    lat: string | undefined,
    ns: string | undefined,
    lon: string | undefined,
    ew: string | undefined,
  ): GpsFix | null {
    const la = parseCoordinate(lat, ns, 2);
    const lo = parseCoordinate(lon, ew, 3);
    if (la === null || lo === null || !time || !this.date) return null;
    let t = utcMs(time, this.date);
    if (t === null) return null;
    // GGA carries no date: the first one after midnight, before that second's RMC, still has
    // yesterday's. A time of day half a day before the last fix is the next day's.
    if (this.lastFixTime !== null && t < this.lastFixTime - HALF_DAY_MS) {
      t += 2 * HALF_DAY_MS;
      const next = new Date(t);
      this.date = { y: next.getUTCFullYear(), m: next.getUTCMonth() + 1, d: next.getUTCDate() };
    }
    // RMC and GGA of the same second both complete a fix; emit it once, with everything known.
    if (this.lastFixTime === t) return null;
    this.lastFixTime = t;
    const fix: GpsFix = { lat: la, lon: lo, time: t, mode: this.mode ?? (this.altM !== undefined ? 3 : 2) };
    if (this.hdop !== undefined) fix.hdop = this.hdop;
    if (this.satellites !== undefined) fix.satellites = this.satellites;
    if (this.speedMps !== undefined) fix.speedMps = this.speedMps;
    if (this.headingDeg !== undefined) fix.headingDeg = this.headingDeg;
    if (this.altM !== undefined) fix.altM = this.altM;
    return fix;
  }
}
