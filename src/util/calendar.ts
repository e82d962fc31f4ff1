/** What makes year-month-day no day of the calendar ("2026-02 has no day 30"), or null. */
export function dateProblem(year: number, month: number, day: number): string | null {
  if (month < 1 || month > 12) return `month ${month} (months run 01–12)`;
  // Day 0 of the next month is this month's last.
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > days)
    return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')} has no day ${day}`;
  return null;
}
