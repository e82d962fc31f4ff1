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

/** The standard caps a sentence at 82 characters; some slack for proprietary receivers. */
export const MAX_SENTENCE_LENGTH = 120;

export function parseSentence(raw: string): NmeaResult {
  const line = raw.trim();
  if (line.length > MAX_SENTENCE_LENGTH) return { ok: false, reason: 'too-long', line };
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

const COORDINATE = { 2: /^\d{4}(\.\d+)?$/, 3: /^\d{5}(\.\d+)?$/ };

/**
 * ddmm.mmmm (latitude) or dddmm.mmmm (longitude) + hemisphere → signed decimal degrees; null when
 * the field is missing or not a place on Earth (latitude beyond 90°, longitude beyond 180°,
 * minutes of 60 or more, a hemisphere other than N/S or E/W). A checksum only proves the sentence
 * arrived as sent: a receiver's garbage must not become a read's position.
 */
export function parseCoordinate(
  value: string | undefined,
  hemi: string | undefined,
  degDigits: 2 | 3,
): number | null {
  if (!value || !COORDINATE[degDigits].test(value)) return null;
  const [plus, minus] = degDigits === 2 ? ['N', 'S'] : ['E', 'W'];
  if (hemi !== plus && hemi !== minus) return null;
  const deg = Number(value.slice(0, degDigits));
  const min = Number(value.slice(degDigits));
  const v = deg + min / 60;
  if (min >= 60 || v > (degDigits === 2 ? 90 : 180)) return null;
  return hemi === minus ? -v : v;
}

function num(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

type Day = { y: number; m: number; d: number };

/** ddmmyy → a calendar day, or null when it is none (month 13, 31 February). */
function parseDate(date: string): Day | null {
  if (!/^\d{6}$/.test(date)) return null;
  const day = {
    d: Number(date.slice(0, 2)),
    m: Number(date.slice(2, 4)),
    y: 2000 + Number(date.slice(4, 6)),
  };
  const t = new Date(Date.UTC(day.y, day.m - 1, day.d));
  return t.getUTCMonth() === day.m - 1 && t.getUTCDate() === day.d ? day : null;
}

/** hhmmss.ss → ms since midnight, or null when it is no time of day (25:61:70 would roll over). */
function timeOfDayMs(time: string | undefined): number | null {
  if (!time || !/^\d{6}(\.\d+)?$/.test(time)) return null;
  const h = Number(time.slice(0, 2));
  const mi = Number(time.slice(2, 4));
  const s = Number(time.slice(4));
  // 60 s: a leap second.
  if (h > 23 || mi > 59 || s >= 61) return null;
  return (h * 60 + mi) * 60_000 + Math.round(s * 1000);
}

const dayStart = (day: Day): number => Date.UTC(day.y, day.m - 1, day.d);

const KNOTS_TO_MPS = 0.514444;
const HALF_DAY_MS = 12 * 3_600_000;

/**
 * Turns a stream of sentences into fixes. A receiver sends one burst per second (RMC, GGA, GSA…
 * in any order); a fix is emitted once per second, carrying the values the other sentences gave
 * for that second. A receiver that sends both RMC (speed, heading) and GGA (satellites, altitude)
 * gets its fix on whichever of the two comes last in its burst: emitted on the first, the fix
 * would carry the previous second's values of the other.
 */
export class NmeaFixBuilder {
  private date: Day | null = null;
  private mode: 2 | 3 | null = null;
  private hdop: number | undefined;
  private satellites: number | undefined;
  private altM: number | undefined;
  private speedMps: number | undefined;
  private headingDeg: number | undefined;
  private lastFixTime: number | null = null;
  /** The time of day of the burst being read, and which of RMC and GGA it has had with a position. */
  private burstMs: number | null = null;
  private readonly burstTypes = new Set<string>();
  /** The last burst had both RMC and GGA: this one's fix waits for the second of the two. */
  private sendsBoth = false;
  /** The part of a line `feed` has not yet seen the end of. */
  private pending = '';
  /** `feed` is dropping the rest of an over-long line, up to its end. */
  private discarding = false;
  /**
   * Sentences rejected (reported in health): a bad or missing checksum, a line too long for NMEA,
   * or a fix whose position, date or time is none.
   */
  rejected = 0;
  /** Why the last one was rejected, in words a technician can act on. */
  lastRejection: string | null = null;
  /** Of those, lines longer than any sentence: not NMEA, or the wrong baud rate. */
  overlong = 0;
  /** Sentences whose checksum was right: proof that the line carries NMEA at the right baud rate. */
  accepted = 0;
  /**
   * Told the UTC time of each valid RMC (status A) whose own date and time parse: the receiver's
   * time, which a live source checks the unit's clock against. GGA has no date, so it is not used.
   */
  onTime?: (utcMs: number) => void;

  /**
   * Feed a chunk of the receiver's byte stream (as latin1 text). Lines end at CR, LF or CRLF:
   * receivers differ, and some end sentences with CR alone. A line longer than any sentence is
   * not NMEA (a wrong baud rate, another device on the port): it is dropped as it arrives, never
   * buffered whole, and counted once as rejected.
   */
  feed(chunk: string): (GpsFix | 'nofix')[] {
    const out: (GpsFix | 'nofix')[] = [];
    const parts = chunk.split(/[\r\n]/);
    parts.forEach((part, i) => {
      if (!this.discarding) this.pending += part;
      if (this.pending.length > MAX_SENTENCE_LENGTH) {
        this.pending = '';
        this.discarding = true;
        this.overlong++;
        this.reject(`a line of over ${MAX_SENTENCE_LENGTH} characters without a line end`);
      }
      // Every part but the last was ended by a line end.
      if (i === parts.length - 1) return;
      const r = this.discarding ? null : this.push(this.pending);
      if (r) out.push(r);
      this.pending = '';
      this.discarding = false;
    });
    return out;
  }

  /**
   * Forget a line begun before the port was (re)opened: a receiver unplugged mid-sentence would
   * have the old half joined to its first sentence once plugged back in, and that rejected.
   */
  dropPartialLine(): void {
    this.pending = '';
    this.discarding = false;
  }

  /** Feed one line; returns a fix when this sentence completes one, `'nofix'` when the receiver says it has none. */
  push(line: string): GpsFix | 'nofix' | null {
    if (line.trim() === '') return null;
    const s = parseSentence(line);
    if (!s.ok) {
      const why = { 'no-start': 'no "$"', 'no-checksum': 'no checksum', 'bad-checksum': 'a wrong checksum' };
      return this.reject(
        s.reason === 'too-long'
          ? `a line of over ${MAX_SENTENCE_LENGTH} characters`
          : `a sentence with ${why[s.reason]}`,
      );
    }
    this.accepted++;
    const f = s.fields;
    switch (s.type) {
      case 'RMC': {
        // time,status,lat,N,lon,E,speed(kn),course,date,...
        const [time, status, lat, ns, lon, ew, kn, course, date] = f;
        let day: Day | null = null;
        if (date) {
          day = parseDate(date);
          if (!day) return this.reject(`RMC with date "${date}", which is no date`);
          this.date = day;
        }
        if (status !== 'A') return 'nofix';
        const fix = this.position(s.type, time, lat, ns, lon, ew);
        if (typeof fix === 'string') return this.reject(fix);
        // Its own date: the sentence's time as it is (GGA's may need the next day, below).
        const t = day ? dayStart(day) + fix.ms : null;
        if (t !== null) this.onTime?.(t);
        const knots = num(kn);
        this.speedMps = knots === undefined ? undefined : knots * KNOTS_TO_MPS;
        this.headingDeg = num(course);
        return this.burstComplete(s.type, fix.ms) ? this.emit(fix, t) : null;
      }
      case 'GGA': {
        // time,lat,N,lon,E,quality,sats,hdop,alt,M,...
        const [time, lat, ns, lon, ew, quality, sats, hdop, alt] = f;
        this.satellites = num(sats);
        this.hdop = num(hdop);
        this.altM = num(alt);
        if (!quality || quality === '0') return 'nofix';
        const fix = this.position(s.type, time, lat, ns, lon, ew);
        if (typeof fix === 'string') return this.reject(fix);
        return this.burstComplete(s.type, fix.ms) ? this.emit(fix, null) : null;
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

  /**
   * Whether an RMC or GGA with a position at time of day `ms` completes its second's burst: it is
   * the second of the two, or the receiver is not known to send both. Known from the last burst, so
   * a receiver whose RMC was lost (a bad checksum) loses that second's fix, then is read as sending
   * one of them until a burst has both again.
   */
  private burstComplete(type: string, ms: number): boolean {
    if (ms !== this.burstMs) {
      this.sendsBoth = this.burstTypes.size === 2;
      this.burstMs = ms;
      this.burstTypes.clear();
    }
    this.burstTypes.add(type);
    return this.burstTypes.size === 2 || !this.sendsBoth;
  }

  private reject(why: string): null {
    this.rejected++;
    this.lastRejection = why;
    return null;
  }

  /** A sentence's position and time of day, or why they are none. */
  private position(
    type: string,
    time: string | undefined,
    lat: string | undefined,
    ns: string | undefined,
    lon: string | undefined,
    ew: string | undefined,
  ): { lat: number; lon: number; ms: number } | string {
    const la = parseCoordinate(lat, ns, 2);
    if (la === null) return `${type} with latitude "${lat ?? ''},${ns ?? ''}", which is no place on Earth`;
    const lo = parseCoordinate(lon, ew, 3);
    if (lo === null) return `${type} with longitude "${lon ?? ''},${ew ?? ''}", which is no place on Earth`;
    const ms = timeOfDayMs(time);
    if (ms === null) return `${type} with time "${time ?? ''}", which is no time of day`;
    return { lat: la, lon: lo, ms };
  }

  /** `dated`: the fix's UTC time from its own sentence's date; null for GGA, which has none. */
  private emit(p: { lat: number; lon: number; ms: number }, dated: number | null): GpsFix | null {
    let t = dated;
    if (t === null) {
      if (!this.date) return null;
      t = dayStart(this.date) + p.ms;
      // GGA carries no date: the first one after midnight, before that second's RMC, still has
      // yesterday's. A time of day half a day before the last fix is the next day's. (Never applied
      // to RMC: its own date stands, even a wrong one, which a track then drops as out of sequence.)
      if (this.lastFixTime !== null && t < this.lastFixTime - HALF_DAY_MS) {
        t += 2 * HALF_DAY_MS;
        const next = new Date(t);
        this.date = { y: next.getUTCFullYear(), m: next.getUTCMonth() + 1, d: next.getUTCDate() };
      }
    }
    // RMC and GGA of the same second both complete a fix; emit it once, with everything known.
    if (this.lastFixTime === t) return null;
    this.lastFixTime = t;
    const fix: GpsFix = {
      lat: p.lat,
      lon: p.lon,
      time: t,
      mode: this.mode ?? (this.altM !== undefined ? 3 : 2),
    };
    if (this.hdop !== undefined) fix.hdop = this.hdop;
    if (this.satellites !== undefined) fix.satellites = this.satellites;
    if (this.speedMps !== undefined) fix.speedMps = this.speedMps;
    if (this.headingDeg !== undefined) fix.headingDeg = this.headingDeg;
    if (this.altM !== undefined) fix.altM = this.altM;
    return fix;
  }
}
