import { z } from 'zod';
import { EUROPEAN_COUNTRIES } from '../state/eu-formats.js';
import { hotlistsSchema, consoleSchema } from '../hotlist/config.js';
import { v4l2CameraSchema, gigeCameraSchema, rtspCameraSchema } from '../capture/config.js';
import { gpsSchema } from '../gps/config.js';
import { healthSchema } from '../health/config.js';
import { policySchema } from '../policy/config.js';
import { syncSchema } from '../sync/config.js';
import { stateSchema } from '../state/config.js';
import { milliseconds } from './duration.js';

/**
 * The daemon's one configuration schema. Every section is strict: an unknown key is an error, so a
 * typo in a field name never silently falls back to a default.
 */

const cameraPosition = z.enum(['front', 'rear', 'left', 'right']);

/** A recorded video or an image folder, replayed as if it were a camera (field tests, the demo). */
const fileCamera = z.strictObject({
  id: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "-" or "_"'),
  kind: z.literal('file'),
  position: cameraPosition.default('front'),
  path: z.string().min(1),
  /** Play at the recording's own frame rate (as a live camera would) or as fast as possible. */
  realtime: z.boolean().default(true),
  /** Replay the recording again when it ends (demo units on a bench). */
  loop: z.boolean().default(false),
  fps: z.number().positive().max(120).optional(),
});

export const cameraSchema = z.discriminatedUnion('kind', [
  fileCamera,
  v4l2CameraSchema,
  gigeCameraSchema,
  rtspCameraSchema,
]);
export type CameraConfig = z.infer<typeof cameraSchema>;

const recogniserSchema = z.strictObject({
  /** ONNX model plus a JSON sidecar that describes its input and alphabet (see models/*.md). */
  model: z.string().min(1),
  /** Top-N candidates kept per plate. */
  candidates: z.number().int().min(1).max(10).default(5),
  /**
   * A second recogniser asked once per plate (a still's plates, a finished track), whose reading
   * replaces the first's when the two models together find it more probable (models/plate-rec-pp.md).
   * Unset: the bundled plate-rec-pp; null: none.
   */
  secondOpinion: z.string().min(1).nullable().optional(),
});

const sizeSchema = z
  .number()
  .int()
  .min(320)
  .max(2048)
  .refine((n) => n % 32 === 0, 'must be a multiple of 32');

const detectorFields = z.strictObject({
  model: z.string().min(1),
  /**
   * Longest side of a video frame given to the detector for a whole-frame search, in pixels
   * (multiple of 32). A vehicle stays in view for many frames and its plate grows as it nears, so
   * video can afford a coarser search than a still image. 1088 rather than 960: plates read
   * through the video path (`eval --video 1920x1080`) 61.5 → 70.5 %, at 13–15 frames/s instead of
   * 17–19 and peak RSS 525–558 MB instead of about 500 (docs/recognition.md).
   */
  inputSize: sizeSchema.default(1088),
  /** The same for a still image (`read`, `eval`): one look only, so finer. */
  stillInputSize: sizeSchema.default(1280),
  boxThreshold: z.number().min(0).max(1).default(0.3),
  /**
   * Search the whole frame every N frames; in between, search only around plates being tracked.
   * 1 searches every whole frame (most thorough, slowest).
   */
  fullFrameEvery: z.number().int().min(1).max(30).default(3),
  /**
   * A whole frame much larger than `inputSize` (a 1080p camera's, searched at about half its size)
   * is also swept at its own size, one tile of `inputSize` at a time: a tile is searched in the
   * frame after every Nth whole-frame search. 0 turns the sweep off; it needs `fullFrameEvery` > 1.
   * 2 rather than 1: `eval --video 1920x1080` 78.2 -> 80.8 % at 12.0 instead of 14.7 frames/s
   * (1: 82.1 %, 9.8 frames/s; docs/recognition.md). Unset: 2, or 0 with `fullFrameEvery` 1.
   */
  sweepEvery: z.number().int().min(0).max(30).optional(),
});

/**
 * The sweep's tiles are searched in the frames between whole-frame searches, and with
 * `fullFrameEvery` 1 there are none: a sweep asked for would silently never run, so it is refused,
 * and left unset it is off.
 */
const detectorSchema = detectorFields
  .superRefine((d, ctx) => {
    if (d.fullFrameEvery === 1 && d.sweepEvery !== undefined && d.sweepEvery > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['sweepEvery'],
        message:
          'needs vision.detector.fullFrameEvery above 1 (at 1 every frame is searched whole, leaving no frame to sweep in): set sweepEvery: 0, or fullFrameEvery: 2 or more',
      });
  })
  .transform((d) => ({ ...d, sweepEvery: d.sweepEvery ?? (d.fullFrameEvery > 1 ? 2 : 0) }));

export const visionSchema = z
  .strictObject({
    detector: detectorSchema,
    recogniser: recogniserSchema,
    /**
     * onnxruntime intra-op threads per session. 2 by default, the unit's core count: every camera
     * shares the one detector and recogniser, whose runs take turns, so each run may use both cores.
     */
    threads: z.number().int().min(1).max(16).default(2),
    /** Reads below this confidence are not stored. */
    minConfidence: z.number().min(0).max(1).default(0.5),
    minPlateChars: z.number().int().min(1).max(10).default(4),
    maxPlateChars: z.number().int().min(1).max(12).default(8),
  })
  // Readings shorter than minPlateChars or longer than maxPlateChars are dropped: crossed, every
  // reading is, and the unit would store nothing (selftest then blamed the models).
  .superRefine((v, ctx) => {
    if (v.minPlateChars > v.maxPlateChars)
      ctx.addIssue({
        code: 'custom',
        path: ['minPlateChars'],
        message: `must not be above vision.maxPlateChars (${v.maxPlateChars}), or no plate is ever read: lower vision.minPlateChars or raise vision.maxPlateChars`,
      });
  });

export const trackerSchema = z.strictObject({
  /** A track ends when its plate has not been seen for this long. */
  idleMs: milliseconds(1, 60_000).default(1500),
  /** A track is emitted at the latest after this long, even if the plate is still in view. */
  maxTrackMs: milliseconds(1, 600_000).default(10_000),
  /** Text similarity (0..1) above which an observation joins an existing track. */
  minSimilarity: z.number().min(0).max(1).default(0.6),
});

export const storageSchema = z.strictObject({
  /** Cap on disk used by the data directory (database plus images), in megabytes. */
  maxDiskMb: z.number().int().positive().default(20_000),
  /** Keep full overview frames with each read (the first thing dropped under disk pressure). */
  keepOverview: z.boolean().default(true),
  jpegQuality: z.number().int().min(30).max(100).default(80),
});

export const logSchema = z.strictObject({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /**
   * Put each stored read's plate in its log line. Off on a unit: the journal is kept outside the
   * approved retention window, so plates belong only in the store (policy VI.B, VI.D). The
   * embedded demo turns it on, for the engineer watching it.
   */
  plates: z.boolean().default(false),
});

/** The unit's cameras: reads, health and metrics tell them apart by id, so no two share one. */
export const camerasSchema = z
  .array(cameraSchema)
  .superRefine((cams, ctx) =>
    cams.forEach((c, i) => {
      const first = cams.findIndex((o) => o.id === c.id);
      if (first < i)
        ctx.addIssue({
          code: 'custom',
          path: [i, 'id'],
          message: `cameras[${first}] has this id too: give each camera its own id`,
        });
    }),
  )
  .default([]);

export const configSchema = z.strictObject({
  unitId: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "-" or "_"')
    // The sync topics address every unit of the agency as "fleet" (src/sync/topics.ts).
    .refine(
      (id) => id !== 'fleet',
      '"fleet" is reserved (it addresses every unit on the sync link); choose another id',
    ),
  agency: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "-" or "_"'),
  /** USPS code of the unit's home state: a prior for state recognition. */
  homeState: z
    .string()
    .regex(/^[A-Z]{2}$/, 'a two-letter USPS code such as NY')
    .optional(),
  /**
   * Where the plates this unit reads are issued. 'us': US states (state of registration read,
   * state formats fix look-alike characters). 'eu': European national plates: the formats of
   * `plateCountries` fix look-alikes, and reads carry no US state.
   */
  region: z.enum(['us', 'eu']).default('us'),
  /** With region 'eu': ISO codes of the countries whose formats apply, the unit's own first (default: all known). */
  plateCountries: z
    .array(
      z.string().refine((c) => EUROPEAN_COUNTRIES.includes(c), `one of ${EUROPEAN_COUNTRIES.join(', ')}`),
    )
    .default([]),
  dataDir: z.string().min(1),
  cameras: camerasSchema,
  gps: gpsSchema.default({ source: 'none' }),
  health: healthSchema.default(healthSchema.parse({})),
  vision: visionSchema,
  tracker: trackerSchema.default(trackerSchema.parse({})),
  storage: storageSchema.default(storageSchema.parse({})),
  log: logSchema.default(logSchema.parse({})),
  hotlists: hotlistsSchema.default(hotlistsSchema.parse({})),
  console: consoleSchema.default(consoleSchema.parse({})),
  policy: policySchema.default(policySchema.parse({})),
  sync: syncSchema.default(syncSchema.parse({})),
  state: stateSchema.default(stateSchema.parse({})),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
