/**
 * Character formats of current European national series, by ISO 3166 country code, in the same
 * notation as the US table (src/state/formats.ts): `L` letter, `D` digit, separators dropped.
 * With `region: eu` they take the place of the US states' formats for fixing look-alike
 * characters (0/O, 1/I, 8/B, ...) by position. Only the standard passenger series are listed;
 * personalised plates follow no format and are left as read.
 */
export const EUROPEAN_FORMATS: Readonly<Record<string, readonly string[]>> = {
  /** Slovakia: district, three digits, two letters (BA 302OZ). */
  SK: ['LLDDDLL'],
  /** Czechia: region digit-letter-digit or digit-letter-letter, four digits (1A2 3456). */
  CZ: ['DLDDDDD', 'DLLDDDD'],
  /** Poland, two-letter districts: WA 12345, WA 1234A, WA 123AB, WA 1A234, WA 1AB23. */
  PL: ['LLDDDDD', 'LLDDDDL', 'LLDDDLL', 'LLDLDDD', 'LLDLLDD'],
  /** Hungary: ABC-123, and the 2022 series AA AA-123. */
  HU: ['LLLDDD', 'LLLLDDD'],
  /** Croatia and Serbia: city, three or four digits, one or two letters (ZG 1234-AB). */
  HR: ['LLDDDL', 'LLDDDLL', 'LLDDDDL', 'LLDDDDLL'],
  RS: ['LLDDDLL', 'LLDDDDLL'],
  /** Slovenia: city, two characters, three digits (LJ AB-123). */
  SI: ['LLLLDDD', 'LLLDDDD'],
  /** Romania: county, two or three digits, three letters (B 123 ABC, CJ 12 ABC). */
  RO: ['LDDLLL', 'LDDDLLL', 'LLDDLLL'],
  /** Germany: district (1-3 letters), 1-2 letters, 1-4 digits. */
  DE: germanFormats(),
  /** France, Italy: AB-123-CD. */
  FR: ['LLDDDLL'],
  IT: ['LLDDDLL'],
  /** Spain: 1234 BCD. */
  ES: ['DDDDLLL'],
  /** Portugal: AA-00-AA and the older series. */
  PT: ['LLDDLL', 'DDLLDD', 'DDDDLL', 'LLDDDD'],
  /** Belgium: 1-ABC-123. */
  BE: ['DLLLDDD'],
  /** Netherlands: the current side codes. */
  NL: ['DLLLDD', 'DDLLLD', 'LDDDLL', 'LLDDDL', 'LLLDDL', 'DLLDDD', 'DDDLLD', 'LDDLLL'],
  /** United Kingdom: AB12 CDE. */
  GB: ['LLDDLLL'],
};

function germanFormats(): string[] {
  const out: string[] = [];
  for (let district = 1; district <= 3; district++)
    for (let letters = 1; letters <= 2; letters++)
      for (let digits = 1; digits <= 4; digits++)
        if (district + letters + digits <= 8) out.push('L'.repeat(district + letters) + 'D'.repeat(digits));
  return [...new Set(out)];
}

export const EUROPEAN_COUNTRIES = Object.keys(EUROPEAN_FORMATS);
