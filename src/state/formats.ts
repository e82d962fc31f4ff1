/**
 * Plate character formats per state: `L` a letter, `D` a digit, `*` either, anything else that
 * literal character. Plates carry no spaces or dashes here (reads are normalised to A-Z 0-9).
 * These are the standard passenger series of recent years; specialty and vanity plates follow
 * no format, so a format match is evidence, never a requirement. Units override or extend them
 * per state in the `state.formats` config section.
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
  MD: ['DLLDDDD', 'LLLDDDD', 'DLLLDD'],
  MA: ['DLLDDD', 'DLLLDD', 'DDDLLD', 'DDLDDD', 'DLDDDD'],
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
  TN: ['LDDDDL', 'DDDLLLL', 'LLLDDDD'],
  TX: ['LLLDDDD', 'LLDLDDD', 'DLLDDD', 'LLLDDDL'],
  UT: ['LDDDLL', 'DDDLLL', 'LDDDDLL'],
  VT: ['LLLDDD', 'DDDLDDD'],
  VA: ['LLLDDDD', 'LLLDDD', 'DDDDDD'],
  WA: ['LLLDDDD', 'DDDLLL'],
  WV: ['DLLDDD', 'LLLDDD', 'DDLDDD'],
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

/** Whether a pattern can describe a plate (valid characters, plate length). */
export function isValidFormat(pattern: string): boolean {
  return /^[LD*A-Z0-9]{2,10}$/.test(pattern) && /[LD*]/.test(pattern);
}

export function matchesFormat(plate: string, pattern: string): boolean {
  if (plate.length !== pattern.length) return false;
  for (let i = 0; i < plate.length; i++) {
    const c = plate[i]!;
    const p = pattern[i]!;
    if (p === 'L' ? !/[A-Z]/.test(c) : p === 'D' ? !/[0-9]/.test(c) : p === '*' ? false : c !== p)
      return false;
  }
  return true;
}

/** States whose formats the plate fits. */
export function statesFitting(plate: string, formats: FormatTable): string[] {
  return Object.entries(formats)
    .filter(([, patterns]) => patterns.some((p) => matchesFormat(plate, p)))
    .map(([code]) => code);
}
