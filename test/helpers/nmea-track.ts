import { nmeaSentence } from '../../src/gps/nmea.js';

/** One point of a synthetic drive. */
export interface TrackPoint {
  time: number;
  lat: number;
  lon: number;
  speedMps: number;
  headingDeg: number;
}

function coord(v: number, degDigits: 2 | 3): string {
  const a = Math.abs(v);
  const d = Math.floor(a);
  const m = (a - d) * 60;
  return `${String(d).padStart(degDigits, '0')}${m.toFixed(4).padStart(7, '0')}`;
}

function hhmmss(t: number): string {
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}.${String(Math.floor(d.getUTCMilliseconds() / 10)).padStart(2, '0')}`;
}

function ddmmyy(t: number): string {
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}${p(d.getUTCMonth() + 1)}${p(d.getUTCFullYear() % 100)}`;
}

/** A straight drive north-east from (lat, lon), one point a second. */
export function straightDrive(
  start: number,
  seconds: number,
  lat = 42.6526,
  lon = -73.7562,
  stepDeg = 0.0001,
): TrackPoint[] {
  const pts: TrackPoint[] = [];
  for (let i = 0; i < seconds; i++) {
    pts.push({
      time: start + i * 1000,
      lat: lat + i * stepDeg,
      lon: lon + i * stepDeg,
      speedMps: 12.5,
      headingDeg: 38.5,
    });
  }
  return pts;
}

/** GGA + GSA + RMC for one point, as a real receiver's one-second burst. */
export function nmeaBurst(p: TrackPoint, opts: { sats?: number; hdop?: number } = {}): string[] {
  const sats = opts.sats ?? 9;
  const hdop = opts.hdop ?? 0.9;
  const lat = coord(p.lat, 2);
  const ns = p.lat >= 0 ? 'N' : 'S';
  const lon = coord(p.lon, 3);
  const ew = p.lon >= 0 ? 'E' : 'W';
  const knots = (p.speedMps / 0.514444).toFixed(1);
  // GSA lists the satellites used, GSV the ones in view (gpsd needs both to report SKY).
  const prns = Array.from({ length: Math.min(sats, 12) }, (_, i) => String(2 + i * 2).padStart(2, '0'));
  const gsa = [...prns, ...Array(12 - prns.length).fill('')].join(',');
  const gsv: string[] = [];
  const pages = Math.max(1, Math.ceil(prns.length / 4));
  for (let pg = 0; pg < pages; pg++) {
    const sv = prns
      .slice(pg * 4, pg * 4 + 4)
      .map((prn, i) => `${prn},${30 + i * 10},${(pg * 90 + i * 40) % 360},${35 + i}`);
    gsv.push(
      nmeaSentence(`GPGSV,${pages},${pg + 1},${String(prns.length).padStart(2, '0')},${sv.join(',')}`),
    );
  }
  return [
    nmeaSentence(
      `GPGGA,${hhmmss(p.time)},${lat},${ns},${lon},${ew},1,${String(sats).padStart(2, '0')},${hdop.toFixed(1)},85.0,M,-34.0,M,,`,
    ),
    nmeaSentence(`GPGSA,A,3,${gsa},1.6,${hdop.toFixed(1)},1.3`),
    ...gsv,
    nmeaSentence(
      `GPRMC,${hhmmss(p.time)},A,${lat},${ns},${lon},${ew},${knots},${p.headingDeg.toFixed(1)},${ddmmyy(p.time)},,,A`,
    ),
  ];
}

export function nmeaLog(points: TrackPoint[], opts: { sats?: number; hdop?: number } = {}): string {
  return points.flatMap((p) => nmeaBurst(p, opts)).join('\r\n') + '\r\n';
}
