import { formatLength, formatSlots, matchesFormat, mergeFormats, type FormatTable } from './formats.js';
import { EUROPEAN_COUNTRIES, EUROPEAN_FORMATS } from './eu-formats.js';
import type { Config } from '../config/schema.js';
import type { TextCandidate } from '../vision/ctc.js';

/** Glyph pairs that differ on a plate mostly by which position they are in. */
const DIGIT_FOR: Record<string, string> = {
  O: '0',
  D: '0',
  Q: '0',
  I: '1',
  L: '1',
  B: '8',
  Z: '2',
  S: '5',
  G: '6',
  T: '7',
  A: '4',
};
const LETTER_FOR: Record<string, string> = {
  '0': 'O',
  '1': 'I',
  '8': 'B',
  '2': 'Z',
  '5': 'S',
  '6': 'G',
  '7': 'T',
  '4': 'A',
};

export interface SyntaxOptions {
  formats: FormatTable;
  /** Formats of these states are tried first (the unit's home state). */
  preferStates?: string[];
  /** A character read at or above this confidence is never changed: the image is clear there. */
  maxConfidence: number;
}

export interface SyntaxResult {
  plate: string;
  charConfidences: number[];
  /** Positions changed, with what was read there (`to` empty: dropped, not a character). */
  fixes: { pos: number; from: string; to: string }[];
  /** The format the result fits, if any. */
  format: string | null;
}

/**
 * Position-dependent fixing of look-alike characters (0/O, 1/I, 8/B, 2/Z, 5/S, 6/G): when a
 * reading fits no known plate format, but would fit one by swapping only characters that the
 * model itself was unsure of, swap them. A reading that already fits a format is left alone,
 * and the length never changes: the syntax ranks and repairs, it never invents characters.
 */
export function fixSyntax(
  plate: string,
  charConfidences: readonly number[],
  opts: SyntaxOptions,
): SyntaxResult {
  const unchanged = (format: string | null): SyntaxResult => ({
    plate,
    charConfidences: [...charConfidences],
    fixes: [],
    format,
  });
  const patterns = orderedPatterns(opts).filter((p) => formatLength(p) === plate.length);
  const fits = patterns.find((p) => matchesFormat(plate, p));
  if (fits) return unchanged(fits);
  let best: SyntaxResult | null = null;
  for (const pattern of patterns) {
    const fixes: SyntaxResult['fixes'] = [];
    let ok = true;
    const slots = formatSlots(pattern)!;
    for (let i = 0; i < plate.length && ok; i++) {
      const c = plate[i]!;
      const allowed = slots[i]!;
      if (allowed.includes(c)) continue;
      const to = [DIGIT_FOR[c], LETTER_FOR[c]].find((t) => t !== undefined && allowed.includes(t));
      if (!to || (charConfidences[i] ?? 0) >= opts.maxConfidence) ok = false;
      else fixes.push({ pos: i, from: c, to });
    }
    if (!ok) continue;
    // Fewest changes wins; the first (preferred) pattern wins ties.
    if (!best || fixes.length < best.fixes.length) {
      let fixed = plate;
      for (const f of fixes) fixed = fixed.slice(0, f.pos) + f.to + fixed.slice(f.pos + 1);
      // The swapped character is as uncertain as the one it replaces.
      best = { plate: fixed, charConfidences: [...charConfidences], fixes, format: pattern };
    }
  }
  return best ?? unchanged(null);
}

/** An interior character read below this may be a separator between the character groups. */
export const SEPARATOR_MAX_CONFIDENCE = 0.8;
/** An I or 1 at either end read below this may be a bolt or the edge of the plate's frame. */
export const EDGE_STROKE_MAX_CONFIDENCE = 0.95;

/** Whether a character is what a bolt or a frame's edge beside the characters reads as: a stroke. */
export function isEdgeStroke(ch: string): boolean {
  return ch === 'I' || ch === '1';
}

/**
 * A plate's line can hold a mark that is not a character, and the recogniser may read it as one:
 * - a separator between the character groups (an emblem, a registration sticker, a dash):
 *   Missouri's "PJ2 X1V", with a red sticker between the groups, read "PJ2JX1V", the J at 0.71;
 * - a bolt or the frame's edge at either end, a vertical stroke read as I or 1: "HK5R9C" read
 *   "HK5R9CI", the I at 0.94.
 * So a reading that fits no format even with look-alikes swapped (`fixSyntax`), but fits one
 * once such a character is dropped, loses it: at most one (the least certain that may go), an
 * interior one only if read below SEPARATOR_MAX_CONFIDENCE, one at an end only if it is I or 1
 * read below EDGE_STROKE_MAX_CONFIDENCE. The syntax removes what the image left in doubt; it
 * never adds a character. Null when nothing is dropped.
 */
export function withoutStrayMark(
  plate: string,
  charConfidences: readonly number[],
  opts: SyntaxOptions,
  minChars: number,
): SyntaxResult | null {
  if (plate.length <= Math.max(minChars, 2)) return null;
  const last = plate.length - 1;
  const mayGo = (i: number): boolean => {
    const c = charConfidences[i] ?? 0;
    if (i > 0 && i < last) return c < SEPARATOR_MAX_CONFIDENCE;
    return isEdgeStroke(plate[i]!) && c < EDGE_STROKE_MAX_CONFIDENCE;
  };
  let least = -1;
  for (let i = 0; i <= last; i++) {
    if (mayGo(i) && (least < 0 || charConfidences[i]! < charConfidences[least]!)) least = i;
  }
  if (least < 0) return null;
  const rest = plate.slice(0, least) + plate.slice(least + 1);
  // One change only: the rest must fit as read ("NEWYORK" less its W would need an O swapped to 0).
  const format = orderedPatterns(opts).find((p) => matchesFormat(rest, p));
  if (!format) return null;
  return {
    plate: rest,
    charConfidences: charConfidences.filter((_, i) => i !== least),
    fixes: [{ pos: least, from: plate[least]!, to: '' }],
    format,
  };
}

/** What the vision stage does to every reading: `fixSyntax`, and failing that `withoutStrayMark`. */
export function fixReading(
  plate: string,
  charConfidences: readonly number[],
  opts: SyntaxOptions,
  minChars: number,
): SyntaxResult {
  const swapped = fixSyntax(plate, charConfidences, opts);
  if (swapped.format !== null) return swapped;
  return withoutStrayMark(plate, charConfidences, opts, minChars) ?? swapped;
}

/** Rank candidates: those that fit a known format first, keeping the model's order otherwise. */
export function rankCandidates(candidates: readonly TextCandidate[], opts: SyntaxOptions): TextCandidate[] {
  const patterns = orderedPatterns(opts);
  const fits = (t: string) => patterns.some((p) => matchesFormat(t, p));
  return [...candidates.filter((c) => fits(c.text)), ...candidates.filter((c) => !fits(c.text))];
}

function orderedPatterns(opts: SyntaxOptions): string[] {
  const preferred = (opts.preferStates ?? []).flatMap((s) => opts.formats[s] ?? []);
  const rest = Object.values(opts.formats).flat();
  return [...new Set([...preferred, ...rest])];
}

/** The syntax options a unit's config asks for (undefined: syntax fixing off). */
export function syntaxOptions(config: Config): SyntaxOptions | undefined {
  if (!config.state.syntaxFix) return undefined;
  if (config.region === 'eu') {
    const countries = config.plateCountries.length ? config.plateCountries : EUROPEAN_COUNTRIES;
    return {
      formats: Object.fromEntries(countries.map((c) => [c, EUROPEAN_FORMATS[c]!])),
      preferStates: countries.slice(0, 1),
      maxConfidence: config.state.syntaxMaxConfidence,
    };
  }
  return {
    formats: mergeFormats(config.state.formats),
    preferStates: config.homeState ? [config.homeState] : [],
    maxConfidence: config.state.syntaxMaxConfidence,
  };
}

/** The parts of a reading that the plate's state can refine. */
export interface PlateReading {
  plate: string;
  charConfidences: number[];
  candidates: TextCandidate[];
}

/** Whether a reading fits none of a read state's own formats (false without a state or formats). */
export function misfitsStateFormats(
  plate: string,
  state: string | null,
  opts: SyntaxOptions | undefined,
): boolean {
  const patterns = (state && opts?.formats[state]) || [];
  return patterns.length > 0 && plate.length > 0 && !patterns.some((p) => matchesFormat(plate, p));
}

/**
 * Once the state of registration is read, its own formats are far stronger evidence than every
 * state's formats together: "O94NKC" fits New Jersey's format, but on an Arkansas plate it can
 * only be "094NKC". A reading that fits none of the state's formats is replaced by the model's
 * best candidate that does, however sure the model was of its first reading: the candidates are
 * the model's own readings of the image, and the state's formats rank them (the model is often
 * sure of the wrong one of two glyphs a state prints alike, O and 0). Failing a candidate,
 * look-alikes the model was unsure of are swapped; a swap never touches a character read with
 * confidence (`maxConfidence`). A reading that still fits nothing (a vanity plate) is left alone.
 */
export function fitStateFormats<T extends PlateReading>(
  reading: T,
  state: string | null,
  opts: SyntaxOptions | undefined,
): T {
  if (!state || !opts || !misfitsStateFormats(reading.plate, state, opts)) return reading;
  const patterns = opts.formats[state]!;
  const fits = (text: string) => patterns.some((p) => matchesFormat(text, p));
  const candidate = reading.candidates.find((c) => c.text.length === reading.plate.length && fits(c.text));
  const fixed =
    candidate?.text ??
    fixSyntax(reading.plate, reading.charConfidences, { ...opts, formats: { [state]: patterns } }).plate;
  if (fixed === reading.plate) return reading;
  const top = Math.max(0, ...reading.candidates.map((c) => c.confidence));
  const confidence = candidate?.confidence ?? top;
  const rest = reading.candidates.filter((c) => c.text !== fixed);
  return { ...reading, plate: fixed, candidates: [{ text: fixed, confidence }, ...rest] };
}
