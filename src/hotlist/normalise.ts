/**
 * Plate text as stored and compared: upper-case A–Z and 0–9 only. Spaces, dashes, dots and other
 * punctuation that agencies write in extracts ("ABC-1234", "abc 1234") are dropped.
 */
export function normalisePlate(raw: string): string {
  return raw.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/** Why a plate is not acceptable, or null. Checked after normalisation. */
export function plateProblem(raw: string): string | null {
  if (/[^\x20-\x7e]/.test(raw)) return `plate "${raw}" has characters outside A–Z and 0–9`;
  const p = normalisePlate(raw);
  if (p.length === 0) return `plate "${raw}" is empty after removing punctuation`;
  if (p.length > 10) return `plate "${raw}" is longer than 10 characters`;
  return null;
}

const US_STATES = new Set(
  (
    'AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND ' +
    'OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC AS GU MP PR VI UM ' +
    // Government and diplomatic series some agencies list.
    'US'
  ).split(' '),
);

/** USPS code, or null for "any state" (empty, "ANY", "*"). Throws a message for anything else. */
export function normaliseState(raw: string | null | undefined): string | null {
  const s = (raw ?? '').trim().toUpperCase();
  if (s === '' || s === 'ANY' || s === '*') return null;
  if (!US_STATES.has(s)) throw new Error(`state "${raw}" is not a USPS code (e.g. NY) or ANY`);
  return s;
}

/**
 * Maps each character to the representative of its OCR-equivalence class, so that plates a reader
 * could confuse (0/O/D/Q, 1/I, ...) share one key.
 */
export class Equivalence {
  private readonly map = new Map<string, string>();
  /** The characters a key can contain: A–Z and 0–9, each class by its representative only. */
  readonly alphabet: readonly string[];

  constructor(readonly classes: readonly string[]) {
    for (const cls of classes) {
      const chars = normalisePlate(cls);
      const rep = chars[0];
      if (!rep) continue;
      for (const c of chars) this.map.set(c, rep);
    }
    this.alphabet = [
      ...new Set([...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'].map((c) => this.map.get(c) ?? c)),
    ];
  }

  key(plate: string): string {
    let out = '';
    for (let i = 0; i < plate.length; i++) {
      const c = plate[i]!;
      out += this.map.get(c) ?? c;
    }
    return out;
  }

  /**
   * The keys these classes make, as one string (each of A–Z, 0–9 as its key): two sets of
   * classes key every plate alike exactly when this is equal ("0ODQ" and "0DOQ" do; "O0DQ",
   * with another representative, does not).
   */
  get signature(): string {
    return this.key('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
  }

  same(a: string, b: string): boolean {
    return a === b || (this.map.get(a) ?? a) === (this.map.get(b) ?? b);
  }
}

/** Reversed (plates and keys are ASCII: no surrogate pairs to keep together). */
export function reverse(s: string): string {
  let out = '';
  for (let i = s.length - 1; i >= 0; i--) out += s[i];
  return out;
}
