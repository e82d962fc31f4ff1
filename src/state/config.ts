import { z } from 'zod';
import { isValidFormat } from './formats.js';
import { STATE_CODES } from './states.js';

/**
 * The `state` config section: how the state of registration is read and how sure the unit must
 * be before it shows one. The defaults for textWeight, formatWeight and threshold come from
 * `node scripts/calibrate-state.mjs` on the calibration part of openalpr-dev crops-us
 * (docs/recognition.md); re-run it after changing the word list or the recogniser.
 */
const formatPattern = z
  .string()
  .refine(
    isValidFormat,
    'use L (letter), D (digit), * (either), [1-9OND] (one of those) or literal A-Z 0-9, 2-10 long',
  );

export const stateSchema = z
  .strictObject({
    /** Read the state at all (off: every read has state null). */
    enabled: z.boolean().default(true),
    /**
     * Recogniser used to read the printed words (its full alphabet); default: the bundled generic
     * PP-OCR recogniser (models/ppocr-rec.json). A plate-only model cannot read words.
     */
    wordModel: z.string().min(1).optional(),
    /** Below this calibrated confidence a read gets `state: null` ("state not read"). */
    threshold: z.number().min(0).max(1).default(0.8),
    /**
     * Share of the plates this unit sees that are from its home state (config `homeState`). Kept
     * modest by default: it breaks ties between weak readings. Always below `threshold`, so it never
     * names a state alone; with a plate in a format only the home state issues, 0.6 or more names it
     * (docs/recognition.md, "The home state on full frames").
     */
    homePrior: z.number().min(0).max(0.95).default(0.5),
    /** Log-odds added per line of printed state words that matches a state (fitted). */
    textWeight: z.number().min(0).max(50).default(10),
    /** Likelihood ratio of a plate that fits a state's character format (fitted). */
    formatWeight: z.number().min(1).max(20).default(3),
    /** Word matches below this similarity (1 - edits / length) are ignored. */
    minSimilarity: z.number().min(0.3).max(1).default(0.6),
    /** Fix look-alike characters (0/O, 1/I, 8/B, ...) by plate format where the image is ambiguous. */
    syntaxFix: z.boolean().default(true),
    /** A character read at or above this confidence is never swapped for a look-alike by the format. */
    syntaxMaxConfidence: z.number().min(0).max(1).default(0.9),
    /** Per-state character formats replacing the defaults, e.g. {"NY": ["LLLDDDD"]}. */
    formats: z
      .record(
        z.string().refine((c) => STATE_CODES.includes(c), 'a USPS code such as NY (upper case)'),
        z.array(formatPattern).min(1),
      )
      .default({}),
  })
  // The posterior of the home state is the prior itself when nothing else is known (no words
  // read, the plate fits no state's format): a prior at the threshold would name it on no evidence.
  .refine((s) => s.homePrior < s.threshold, {
    path: ['homePrior'],
    message:
      'must be below state.threshold, or the home state is named with no evidence at all (0.7 suits a unit that sees mostly home-state plates)',
  });

export type StateConfig = z.infer<typeof stateSchema>;
