/**
 * Plate character formats per state: `L` a letter, `D` a digit, `*` either, `[...]` one of the
 * characters listed (ranges such as `1-9` allowed), anything else that literal character. Plates
 * carry no spaces or dashes here (reads are normalised to A-Z 0-9).
 * These are the standard passenger series of recent years, and older series still on the road
 * where real plates show them in a shape the table already has (Maryland's `ABC 123`,
 * Massachusetts' and Tennessee's `123 ABC`: openalpr-dev crops-us). A new shape would let more
 * misreadings fit as read (Massachusetts' `12A B34` let a truncated `51TA60` stand). Specialty and
 * vanity plates follow no format, so a format match is evidence, never a requirement. Units
 * override or extend them per state in the `state.formats` config section.
 */
export const DEFAULT_FORMATS: Readonly<Record<string, readonly string[]>> = {
  AK: ['LLLDDD'],
  AL: ['DDLDDDD', 'DLDDDDL', 'DDLDDDL', 'DLLDDDD'],
  // Arizona's newest series (six characters, the fourth a digit, the rest either) is left out: a
  // pattern that fits most six-character readings would make "fits a format" say nothing.
  AZ: ['LLLDDDD', 'DLLDDD', 'LLLDDD'],
  AR: ['DDDLLL', 'LLLDDD', 'LLLDDL'],
  CA: ['DLLLDDD', 'DLLDDDD', 'DDDDDLD'],
  CO: ['LLLDDD', 'DDDLLL', 'LLLLDD', 'LLLDDDD'],
  CT: ['DLLLDD', 'LLDDDDD', 'DDDLLL', 'LLLDDDD'],
  DE: ['DDDDDD', 'DDDDD', 'DDDDDDD'],
  DC: ['LLDDDD', 'LDDDDD'],
  FL: ['LLLLDD', 'DDDLLL', 'LDDLLL', 'LLLDDL', 'LLLLDDD', 'LDDDLL', 'LLLDLL'],
  GA: ['LLLDDDD', 'DDDLLL', 'LLLDDD'],
  HI: ['LLLDDD', 'DDDLLL'],
  ID: ['DLDDDDD', 'DLLDDDD', 'DLDDDD', 'LDDDDDD', 'DDLDDDD'],
  IL: ['LDDDDDD', 'LLDDDDD', 'LLLDDDD', 'DDDDDDD'],
  IN: ['DDDLLL', 'DDDDLL', 'DDLDDDD'],
  IA: ['LLLDDD', 'DDDLLL'],
  KS: ['DDDLLL', 'LLLDDD', 'DDDDLLL'],
  KY: ['DDDLLL', 'LLLDDD'],
  LA: ['LLLDDD', 'DDDLLL'],
  ME: ['DDDDLL', 'DDDLL', 'DDDDDLL', 'DDDLLL'],
  MD: ['DLLDDDD', 'LLLDDDD', 'DLLLDD', 'LLLDDD'],
  MA: ['DLLDDD', 'DLLLDD', 'DDDLLD', 'DDLDDD', 'DLDDDD', 'DDDLLL'],
  MI: ['LLLDDDD', 'DLLDDD', 'LLLDDD', 'DLLLDD'],
  MN: ['DDDLLL', 'LLLDDD'],
  MS: ['LLLDDD', 'LLDDDDD', 'LLLDDDD'],
  MO: ['LLDLDL'],
  MT: ['DLDDDDL', 'DDLDDDDL', 'DDDDDDL'],
  NE: ['LLLDDD', 'DDLDDD', 'DLDDDD'],
  NV: ['DDLDDD', 'DDDLLL', 'DDLLDDD'],
  NH: ['DDDDDDD', 'DDDDDD', 'DDDDDDL'],
  NJ: ['LDDLLL', 'LLLDDL', 'LLLDDLL'],
  NM: ['LLLDDD', 'DDDLLL', 'LDDDD'],
  NY: ['LLLDDDD'],
  NC: ['LLLDDDD', 'LLLDDD'],
  ND: ['LLLDDD', 'DDDLLL'],
  OH: ['LLLDDDD', 'LLDDDDD'],
  OK: ['LLLDDD', 'DDDLLL'],
  OR: ['DDDLLL', 'LLLDDD'],
  PA: ['LLLDDDD'],
  RI: ['LLDDD', 'DDDDDD', 'DDDDD', 'LLDDDD'],
  SC: ['LLLDDD', 'DDDLLL'],
  SD: ['DLDDDD', 'DDLDDD', 'DDDLDDD'],
  TN: ['LDDDDL', 'DDDLLLL', 'LLLDDDD', 'DDDLLL'],
  TX: ['LLLDDDD', 'LLDLDDD', 'DLLDDD', 'LLLDDDL'],
  UT: ['LDDDLL', 'DDDLLL', 'LDDDDLL'],
  VT: ['LLLDDD', 'DDDLDDD'],
  VA: ['LLLDDDD', 'LLLDDD', 'DDDDDD'],
  WA: ['LLLDDDD', 'DDDLLL'],
  // West Virginia's first character is the month the registration expires: 1-9, then O, N and D
  // for October to December. So a plate there never starts with 0, and "0AM145" is "OAM145".
  WV: ['[1-9OND]LLDDD', '[1-9OND]LDDDD'],
  WI: ['LLLDDDD', 'DDDLLL', 'LLLDDD'],
  WY: ['DDDDDD', 'DDDDDDD', 'DDLDDDD', 'DLDDDD'],
  PR: ['LLLDDD'],
  GU: ['LLDDDD'],
  VI: ['LLLDDD'],
  AS: ['DDDDD'],
  MP: ['LLLDDD'],
};

export type FormatTable = Readonly<Record<string, readonly string[]>>;

/** The defaults with a unit's overrides: a state listed in `overrides` uses exactly those formats. */
export function mergeFormats(overrides: Record<string, string[]> = {}): FormatTable {
  return { ...DEFAULT_FORMATS, ...overrides };
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
/** One position of a pattern: `L`, `D`, `*`, a literal, or a bracketed class such as `[1-9OND]`. */
const SLOT = /L|D|\*|[A-Z0-9]|\[(?:[A-Z0-9](?:-[A-Z0-9])?)+\]/g;
const slotCache = new Map<string, string[] | null>();

/** Expands `[1-9OND]` to "123456789OND". */
function expandClass(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    if (body[i + 1] === '-' && i + 2 < body.length) {
      const from = body.charCodeAt(i);
      const to = body.charCodeAt(i + 2);
      if (to < from) return ''; // a reversed range: the pattern is refused
      for (let c = from; c <= to; c++) out += String.fromCharCode(c);
      i += 2;
    } else out += body[i];
  }
  return out;
}

function slotCharacters(token: string): string {
  if (token === 'L') return LETTERS;
  if (token === 'D') return DIGITS;
  if (token === '*') return LETTERS + DIGITS;
  return token.startsWith('[') ? expandClass(token.slice(1, -1)) : token;
}

/**
 * The characters each position of a pattern allows, or null when the pattern is not one (a
 * stray character, an empty or reversed range). Cached: the same few patterns are matched
 * against every reading.
 */
export function formatSlots(pattern: string): readonly string[] | null {
  const cached = slotCache.get(pattern);
  if (cached !== undefined) return cached;
  const tokens = pattern.match(SLOT) ?? [];
  let slots: string[] | null = tokens.map(slotCharacters);
  if (tokens.join('') !== pattern || slots.some((s) => s === '')) slots = null;
  slotCache.set(pattern, slots);
  return slots;
}

/** Whether a pattern can describe a plate (valid positions, plate length, not all literal). */
export function isValidFormat(pattern: string): boolean {
  const slots = formatSlots(pattern);
  return slots !== null && slots.length >= 2 && slots.length <= 10 && slots.some((s) => s.length > 1);
}

/** How many characters a plate of this pattern has. */
export function formatLength(pattern: string): number {
  return formatSlots(pattern)?.length ?? 0;
}

export function matchesFormat(plate: string, pattern: string): boolean {
  const slots = formatSlots(pattern);
  if (!slots || plate.length !== slots.length) return false;
  for (let i = 0; i < plate.length; i++) if (!slots[i]!.includes(plate[i]!)) return false;
  return true;
}

/** States whose formats the plate fits. */
export function statesFitting(plate: string, formats: FormatTable): string[] {
  return Object.entries(formats)
    .filter(([, patterns]) => patterns.some((p) => matchesFormat(plate, p)))
    .map(([code]) => code);
}
