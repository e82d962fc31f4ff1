/**
 * An entry's expiry as files and the CLI write it: "2026-12-31" (valid through that day, UTC),
 * "20261231", or an ISO 8601 time with its offset. Each part is checked against the calendar and
 * the clock: Date.parse rolls "2026-02-30T10:00Z" over into March and reads hour 24 as the next
 * day, and an entry would then expire on a day nobody wrote.
 */

import { dateProblem } from '../util/calendar.js';

const DATE = /^(\d{4})-?(\d{2})-?(\d{2})$/;
const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(?:Z|([+-])(\d{2}):?(\d{2}))$/;

/** When the entry expires (UTC ms), or what is wrong with `s`, worded to follow `expires "…"`. */
export function readExpiry(s: string): number | string {
  const d = DATE.exec(s);
  if (d) {
    const [year, month, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
    const wrong = dateProblem(year, month, day);
    if (wrong) return `is not a date: ${wrong}`;
    return Date.UTC(year, month - 1, day + 1);
  }
  const t = TIME.exec(s);
  if (!t) return 'is not a date (use 2026-12-31 or 2026-12-31T18:00:00Z)';
  const n = (group: number) => Number(t[group] ?? 0);
  const [year, month, day, hour, minute, second] = [n(1), n(2), n(3), n(4), n(5), n(6)];
  const sign = t[8];
  const wrongDate = dateProblem(year, month, day);
  if (wrongDate) return `is not a date: ${wrongDate}`;
  const wrongTime = timeProblem(hour, minute, second, sign, n(9), n(10));
  if (wrongTime) return `is not a time: ${wrongTime}`;
  // Milliseconds: the first three digits of the fraction, as Date.parse takes them.
  const ms = t[7] ? Number(t[7].slice(1, 4).padEnd(3, '0')) : 0;
  const offsetMinutes = sign ? (sign === '-' ? -1 : 1) * (n(9) * 60 + n(10)) : 0;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
}

/** What makes a time of day, or its offset from UTC, no time on a clock, or null. */
function timeProblem(
  hour: number,
  minute: number,
  second: number,
  sign: string | undefined,
  offsetHours: number,
  offsetMinutes: number,
): string | null {
  if (hour > 23) return `hour ${hour} (hours run 00–23; midnight is T00:00 of the next day)`;
  if (minute > 59) return `minute ${minute} (minutes run 00–59)`;
  if (second > 59) return `second ${second} (seconds run 00–59)`;
  if (sign && (offsetHours > 23 || offsetMinutes > 59))
    return `offset ${sign}${String(offsetHours).padStart(2, '0')}:${String(offsetMinutes).padStart(2, '0')} (offsets run to ±23:59)`;
  return null;
}
