import { PolicyError } from './errors.js';

/** A calendar date as the agency's training records give it. */
export function parseTrainingDate(value: string, field = '--trained', now = Date.now()): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!m || !d || d.toISOString().slice(0, 10) !== value) {
    throw new PolicyError(`${field}: got "${value}"; give the training date as YYYY-MM-DD`, 'bad-date');
  }
  if (d.getTime() > now)
    throw new PolicyError(
      `${field}: ${value} is in the future; give the date training took place`,
      'bad-date',
    );
  return value;
}

/** The date in-service training falls due: `months` after the latest training of any kind. */
export function inServiceDue(latest: string, months: number): Date {
  const [y, mo, d] = latest.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, mo - 1 + months, d));
}

export function isOverdue(latest: string, months: number, now = Date.now()): boolean {
  return inServiceDue(latest, months).getTime() < now;
}
