/**
 * The one form a case or incident number (policy VI.E) is stored, compared and shown in. The
 * policy gives it no format: it is the agency's name for a case, so how it was typed must not make
 * another case. Two officers typing "cr-26-0042 " and "CR-26-0042" mean one case, and its export,
 * holds and audit report must find all of it. Compatibility forms are folded (NFKC: a full-width
 * "２６" is "26"), surrounding white space is dropped, runs inside become one space, and letters are
 * upper case (agencies do not tell cases apart by letter case).
 *
 * Applied where a case number enters the policy layer (queries and their log, exports, legal
 * holds and their lookups), so the command line, the officer console and headquarters' pull
 * requests all get it. Rows written before this rule keep the form they were written in: the query
 * log must keep matching its chained records.
 */
export function normaliseCaseNumber(raw: string): string;
export function normaliseCaseNumber(raw: string | undefined): string | undefined;
export function normaliseCaseNumber(raw: string | undefined): string | undefined {
  // Format characters (a zero-width space, a soft hyphen, a byte-order mark pasted with the
  // number) show as nothing, so they make no other case either.
  return raw
    ?.normalize('NFKC')
    .replace(/\p{Cf}/gu, '')
    .trim()
    .replace(/\s+/g, ' ')
    .toUpperCase();
}

/**
 * Whether `text` (a case number, a requester, a reason) says anything: a letter or digit in it.
 * Blank, only punctuation ("-", "."), or only characters that show as nothing (a zero-width
 * space) names no case and no person (policy VI.E), though `trim()` leaves it non-empty.
 */
export function saysSomething(text: string | undefined): boolean {
  return text !== undefined && /[\p{L}\p{N}]/u.test(text);
}
