import { z } from 'zod';
import { normalisePlate, normaliseState, plateProblem } from '../hotlist/normalise.js';
import { LIST_TYPES, listIdSchema, REASON_MAX_CHARS } from '../hotlist/types.js';
import { PURPOSES } from '../policy/purposes.js';
import { HIT_ACTIONS } from '../alerts/audit-types.js';

/**
 * Every payload on the wire, defined once. The link validates inbound messages with these, the
 * outbox builds outbound ones from them, the reference HQ consumer parses with them, and
 * docs/asyncapi.yaml is generated from them (scripts/gen-asyncapi.mjs).
 *
 * Conventions: times are UTC milliseconds since the epoch; every message carries `v` (the payload
 * version, 1) so a consumer can tell a future change apart.
 */

/**
 * A validation failure as one line naming each wrong field (`entries.0: Unrecognized key:
 * "expires"`), the first five: what the unit tells HQ, and the HQ tools tell their operator.
 */
export function describeIssues(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

const id = z.string().min(1).max(200);
/** Message ids of parked records the status names (the count covers them all). */
export const PARKED_IDS_SHOWN = 10;
const ms = z.number().int().nonnegative();
const segment = z.string().regex(/^[A-Za-z0-9_-]+$/);
const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');

// ---------------------------------------------------------------- up: outbox records

export const gpsFixSchema = z
  .object({
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
    time: ms,
    mode: z.union([z.literal(2), z.literal(3)]),
    hdop: z.number().optional(),
    satellites: z.number().int().optional(),
    speedMps: z.number().optional(),
    headingDeg: z.number().optional(),
    altM: z.number().optional(),
  })
  .meta({ description: 'The GPS fix the read was tagged with.' });

export const imageSchema = z
  .discriminatedUnion('encoding', [
    z.object({ encoding: z.literal('base64'), contentType: z.literal('image/jpeg'), data: b64 }),
    z.object({
      encoding: z.literal('binary'),
      contentType: z.literal('image/jpeg'),
      /** Byte offset and length of the image inside the binary frame, after the JSON. */
      offset: z.number().int().nonnegative(),
      length: z.number().int().nonnegative(),
    }),
  ])
  .meta({
    description:
      'A JPEG, either base64 inside the JSON, or raw bytes after the JSON in a binary frame ' +
      '("LPR1", 4-byte big-endian JSON length, JSON, images).',
  });

export const imageLeftOutSchema = z
  .object({
    image: z.enum(['crop', 'overview']),
    /** Why it did not come: the message with it would have been larger than the broker accepts. */
    reason: z.enum(['message-too-large']),
    /** The image's size in bytes. */
    bytes: z.number().int().nonnegative(),
    /** The largest packet the unit could send (sync.maxMessageBytes, or the broker's announced maximum). */
    limitBytes: z.number().int().positive(),
  })
  .meta({
    description:
      'An image the unit holds but left out of this message, and why. It stays on the unit (local retention; a pull request can ask for the crop).',
  });
export type ImageLeftOut = z.infer<typeof imageLeftOutSchema>;

export const readBodySchema = z
  .object({
    id,
    cameraId: z.string(),
    ts: ms,
    firstSeen: ms,
    lastSeen: ms,
    plate: z.string().min(1).max(16),
    state: z.string().nullable(),
    stateConfidence: z.number().nullable(),
    confidence: z.number().min(0).max(1),
    charConfidences: z.array(z.number()),
    candidates: z.array(z.object({ plate: z.string(), confidence: z.number() })),
    frames: z.number().int().nonnegative(),
    box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
    gps: gpsFixSchema.nullable(),
    gpsFixAgeMs: z.number().int().nullable(),
    flags: z.array(z.string()),
    crop: imageSchema.optional(),
    overview: imageSchema.optional(),
    imagesLeftOut: z.array(imageLeftOutSchema).optional().meta({
      description:
        "Images left out because the message with them would have exceeded the broker's maximum packet size: the overview first, then the crop.",
    }),
  })
  .meta({ title: 'Read', description: 'One plate read as the tracker decided it.' });

const textOrNull = z.string().nullable();
const HIT_STATUSES = [
  'raised',
  'seen',
  'verified',
  'rejected',
  'expired',
  'suppressed',
  'withdrawn',
  'superseded',
] as const;

// Loose objects: HQ keeps fields a later unit version adds; the ones below are always there.
export const hitBodySchema = z
  .looseObject({
    id,
    /** When the hit was raised (= raisedAt). */
    ts: ms,
    seq: z.number().int().positive(),
    readId: id,
    /** The hotlist entry as it was when the hit was raised. */
    entry: z.record(z.string(), z.unknown()),
    entryKey: z.string(),
    listId: z.string(),
    /** Which list version produced the hit (policy IV.C.1). */
    listVersion: z.string(),
    listGeneratedAt: ms,
    listType: z.enum(LIST_TYPES),
    priority: z.number().int().min(1).max(3).meta({ description: '1 high, 2 medium, 3 low' }),
    readPlate: z.string(),
    readState: textOrNull,
    /** The reading that matched: the unit's best, or one of its alternatives (`via`). */
    matchedText: z.string(),
    via: z.enum(['best', 'candidate']),
    rule: z.enum(['exact', 'equivalent', 'differences']),
    differences: z.array(
      z.looseObject({
        position: z.number().int(),
        read: z.string(),
        entry: z.string(),
        kind: z.enum(['equivalent', 'substitution', 'extra', 'missing']),
      }),
    ),
    stateNotRead: z.boolean(),
    retroactive: z.boolean(),
    duplicateOf: id.nullable(),
    /** The status when this copy was sent; later changes arrive as dispositions. */
    status: z.enum(HIT_STATUSES),
    raisedAt: ms,
    expiresAt: ms,
  })
  .meta({ title: 'Hit', description: 'A hotlist hit as raised on the unit.' });

export const dispositionBodySchema = z
  .looseObject({
    /** Numbered per unit database; the message id is what is unique at HQ. */
    id: z.number().int(),
    hitId: id,
    ts: ms,
    actor: z.string(),
    // A hit is stored raised or suppressed; every later step is one of HIT_ACTIONS.
    action: z.enum(['suppressed', ...HIT_ACTIONS]),
    fromStatus: z.enum(HIT_STATUSES).nullable(),
    toStatus: z.enum(HIT_STATUSES),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({
    title: 'Disposition',
    description:
      "One step of a hit's life: seen, each confirmation, the officer's outcome (with the reason); " +
      'an expiry (details.neverShown: no console ever showed the alert), and the officer acknowledging ' +
      "the console's notice of it (expiry-acknowledged); withdrawn (details.reason: its entry was " +
      'taken off its list or expired while the hit was open: no stop on it) and superseded ' +
      '(details.supersededBy: the hit of a newer sighting of the same vehicle that took its place); ' +
      'raised from suppressed (details.afterRejectOf: a repeat of the car read after the hit it was ' +
      'suppressed behind, raised when an officer rejected that hit; details.raisedAt and expiresAt are its own now).',
  });

export const auditBodySchema = z
  .object({
    seq: z.number().int().positive(),
    id,
    ts: ms,
    type: z.string(),
    actor: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    prevHash: z.string().regex(/^[0-9a-f]{64}$/),
    hash: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .meta({ title: 'AuditRecord', description: 'One link of the unit’s hash-chained audit log.' });

export const queryLogBodySchema = z
  .looseObject({
    /** Numbered per unit database; the message id is what is unique at HQ. */
    id: z.number().int(),
    ts: ms,
    requesterKind: z.string().meta({ description: 'user, hq, unauthenticated or none' }),
    requester: textOrNull,
    purpose: textOrNull,
    caseNumber: textOrNull,
    attested: z.boolean(),
    criteria: z.record(z.string(), z.unknown()),
    outcome: z.enum(['ok', 'refused']),
    refusal: textOrNull,
    resultCount: z.number().int().nonnegative(),
    /** The reads the query returned. */
    resultIds: z.array(z.string()),
    /** The hits an export released (a case's held hits); empty for a search. Absent from older units. */
    hitIds: z.array(z.string()).optional(),
    /** Its `query` record in the audit chain. */
    auditSeq: z.number().int().nullable(),
  })
  .meta({ title: 'QueryLogRecord', description: 'Who searched which data, why, and what came back.' });

const envelope = <K extends string, B extends z.ZodType>(kind: K, body: B, title: string) =>
  z
    .object({
      v: z.literal(1),
      /** Stable message id: `{unit}:{kind}:{record id}`. HQ de-duplicates on it. */
      id,
      kind: z.literal(kind),
      agency: segment,
      unit: segment,
      /** The record's commit position in its own stream on the unit. */
      seq: z.number().int().nonnegative(),
      /**
       * Random per unit database (`sync_install`). A unit re-imaged under the same unit id starts
       * every stream at seq 1 again: HQ orders a stream by (`install`, `seq`), never mixing the
       * records of two databases. Absent from older units.
       */
      install: z
        .string()
        .regex(/^[0-9a-f]{16}$/)
        .optional()
        .meta({
          description:
            "Random per unit database (16 hex digits). A re-imaged unit's streams start again at seq 1 under a new install: HQ orders a stream by (install, seq). Absent from older units.",
        }),
      /** When the unit sent this copy (a retry has a later sentAt, same id). */
      sentAt: ms,
      body,
    })
    .meta({ title });

export const upMessageSchemas = {
  read: envelope('read', readBodySchema, 'ReadMessage'),
  hit: envelope('hit', hitBodySchema, 'HitMessage'),
  disposition: envelope('disposition', dispositionBodySchema, 'DispositionMessage'),
  audit: envelope('audit', auditBodySchema, 'AuditMessage'),
  'query-log': envelope('query-log', queryLogBodySchema, 'QueryLogMessage'),
} as const;

export const upMessageSchema = z.discriminatedUnion('kind', [
  upMessageSchemas.read,
  upMessageSchemas.hit,
  upMessageSchemas.disposition,
  upMessageSchemas.audit,
  upMessageSchemas['query-log'],
]);
export type UpMessage = z.infer<typeof upMessageSchema>;

export const statusSchema = z
  .object({
    v: z.literal(1),
    state: z.enum(['online', 'offline']),
    /**
     * Set on the last will: the broker publishes it when the unit's connection dies. It ends that
     * connection (`connection`): it comes after every status sent over it, though its `ts` (when
     * the connection was made) is older, and before anything of a later connection or boot.
     */
    will: z.literal(true).optional().meta({
      description:
        'Set on the last will (offline). It ends the connection it names: after every status of that connection, before anything of a later one.',
    }),
    agency: segment,
    unit: segment,
    /**
     * The unit's wall clock when the status was made: a record only. A patrol car's clock is
     * stepped by NTP or the GPS after boot, often backwards, so HQ never orders statuses by it
     * (except from units older than `bootId`).
     */
    ts: ms.meta({
      description:
        "The unit's wall clock, a record only: it is stepped (often backwards), so HQ orders statuses by bootId, connection and seq.",
    }),
    /**
     * Random per start of the unit's daemon. HQ orders the statuses of one boot by `connection`
     * and `seq`; a status of another boot replaces the one HQ holds when it arrives later.
     */
    bootId: z.uuid().optional().meta({
      description:
        'Random per start of the unit. Same boot: HQ orders by connection, then the will, then seq. Another boot: the later arrival replaces what HQ holds. Absent (older units): ordered by ts, the will applied whatever its ts.',
    }),
    /**
     * The connection to the broker within the boot (1, 2, ...; numbers of attempts that never
     * connected are skipped). The last will carries the number of the connection it ends.
     */
    connection: z.number().int().positive().optional().meta({
      description:
        'The connection to the broker within the boot (increasing; the will carries the number of the connection it ends).',
    }),
    /**
     * Increases with every status of the boot (1, 2, ...), across connections. The last will has
     * none: it comes after every status of its connection and before those of the next.
     */
    seq: z.number().int().positive().optional().meta({
      description: 'Increases with every status of the boot, across connections; absent on the will.',
    }),
    software: z.string().optional(),
    models: z.record(z.string(), z.string()).optional(),
    /** Age of each hotlist in seconds, with its version. */
    hotlists: z
      .array(z.object({ listId: z.string(), version: z.number().int(), ageSec: z.number() }))
      .optional(),
    /** The roster this unit holds (absent until HQ has sent one). */
    roster: z.object({ rosterId: z.string(), version: z.number().int() }).optional(),
    /**
     * The last message from HQ this unit rejected (bad signature, stale version, invalid document,
     * ...), so HQ learns of it without the unit's log; also in the unit's sync_inbound table.
     */
    lastRejected: z.object({ ts: ms, topic: z.string(), reason: z.string() }).optional(),
    /** Records waiting for HQ acknowledgement. */
    queueDepth: z.number().int().nonnegative().optional(),
    /**
     * Records too large for the broker even without images: kept on the unit (counted in
     * queueDepth), not sent until a start finds a limit they fit. Absent when there are none.
     */
    parked: z
      .object({
        count: z.number().int().positive(),
        ids: z.array(id).max(PARKED_IDS_SHOWN),
      })
      .optional()
      .meta({
        description: `Records too large for the broker even without images: kept on the unit (counted in queueDepth) and not sent until a start of the unit finds a limit they fit (sync.maxMessageBytes raised, a broker taking larger packets). ids: the first ${PARKED_IDS_SHOWN} message ids.`,
      }),
    inFlight: z.number().int().nonnegative().optional(),
    cameras: z.record(z.string(), z.unknown()).optional(),
    gps: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({
    title: 'Status',
    description:
      'Retained. Published online at connect and periodically, offline at a clean stop; the last will (set at each connect) publishes offline when the connection dies.',
  });
export type Status = z.infer<typeof statusSchema>;

// ---------------------------------------------------------------- down: HQ → unit

export const ackSchema = z
  .object({
    v: z.literal(1),
    type: z.literal('ack'),
    /** The one unit it is for: signed, so an ack captured for one unit cannot be replayed to another. */
    agency: segment,
    unit: segment,
    /** Message ids HQ has durably stored. */
    ids: z.array(id).min(1).max(10_000),
    ts: ms.optional(),
  })
  .meta({
    title: 'Ack',
    description:
      'Batched application-level acknowledgement: HQ has committed these ids. Sent inside a SignedDocument, ' +
      'for exactly one unit of one agency: the unit stops sending what it acknowledges and may purge it.',
  });
export type Ack = z.infer<typeof ackSchema>;

export const signedEnvelopeSchema = z
  .object({
    v: z.literal(1),
    alg: z.literal('Ed25519'),
    keyId: z
      .string()
      .max(200)
      .optional()
      .meta({
        description:
          "Which of headquarters' keys signed it. A keyId the unit lists in sync.hqKeys is checked against that key, " +
          'and taken only for the kinds of document that key signs (an ack key: acks only); any other keyId, or none, ' +
          'against sync.hqPublicKey.',
      }),
    /** base64 of the UTF-8 JSON document that was signed (a HotlistDocument, RosterDocument, PullRequest or Ack). */
    payload: b64.min(1),
    /** base64 Ed25519 signature over the payload bytes (before base64). */
    signature: b64.min(1),
  })
  .meta({ title: 'SignedDocument', description: 'A document signed with headquarters’ Ed25519 key.' });
export type SignedEnvelope = z.infer<typeof signedEnvelopeSchema>;

/**
 * A plate read as the file importers read one (src/hotlist/normalise.ts): case, spaces and
 * punctuation dropped, then 1–10 characters A–Z, 0–9. A remove of "abc-1234" takes off the entry
 * ABC1234; one that cannot be a plate is refused rather than found to match nothing.
 */
const hotlistPlate = z
  .string()
  .transform((raw, ctx) => {
    const problem = plateProblem(raw);
    if (!problem) return normalisePlate(raw);
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  })
  .meta({ description: 'Stored as A–Z and 0–9 ("abc-1234" is ABC1234), 1–10 characters.' });

/** A USPS code as the file importers check it (case ignored); null, "ANY" or "*": any state. */
const hotlistState = z
  .string()
  .nullable()
  .transform((raw, ctx) => {
    try {
      return normaliseState(raw);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  })
  .meta({ description: 'USPS code (NY); null, "ANY" or "*" for any state.' });

// Strict, as the JSON file importer: a misspelt key (say "expires" for "expiresAt") would otherwise
// be dropped, and the entry applied without what it meant to say (one that never expires).
export const hotlistEntrySchema = z
  .strictObject({
    plate: hotlistPlate,
    state: hotlistState,
    listType: z.enum(LIST_TYPES),
    source: z.string().max(200).nullable().optional(),
    /** e.g. the NCIC number. */
    reference: z.string().max(200).nullable().optional(),
    /** 1 high, 2 medium, 3 low; default by list type. */
    priority: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional(),
    expiresAt: ms.nullable().optional(),
    vehicle: z.string().max(200).nullable().optional(),
    reason: z
      .string()
      .nullable()
      .optional()
      .meta({
        description: `Why the plate is wanted, shown on the alert. Longer than ${REASON_MAX_CHARS} characters is cut to them on the unit and the list applied (counted as cut in its hotlist.import audit record, named in its sync status).`,
      }),
    enteredBy: z.string().max(200).nullable().optional(),
  })
  // Policy III.C: a manual entry says who entered it and why, whichever way it reaches the unit
  // (the CSV and JSON importers refuse one without them too).
  .superRefine((e, ctx) => {
    if (e.listType !== 'manual') return;
    for (const key of ['enteredBy', 'reason'] as const) {
      if (!e[key]?.trim())
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `a manual entry needs ${key} (${key === 'enteredBy' ? 'who entered it' : 'why'}; policy III.C)`,
        });
    }
  })
  .meta({
    description:
      'One hotlist entry. A manual entry (listType "manual") must give enteredBy (who entered it) and reason (why): policy III.C.',
  });
export type HotlistEntry = z.infer<typeof hotlistEntrySchema>;

const hotlistCommon = {
  type: z.literal('hotlist'),
  agency: segment,
  /** Only for this unit when set; otherwise for every unit of the agency. */
  unit: segment.optional(),
  listId: listIdSchema,
  version: z.number().int().positive(),
  /** When HQ generated it: the list's age counts from here, so the unit refuses one dated ahead of its clock. */
  issuedAt: ms.meta({
    description:
      "When HQ generated the list: its age counts from here. More than 5 minutes ahead of the unit's clock is refused.",
  }),
};

/** One entry (plate, state and listType) given twice with other fields that differ is refused: which is meant is a guess. */
const ONCE =
  'Each plate, state and listType once: copies that differ in other fields are refused, identical ones kept once.';

// Strict like its entries (and rosters and pull requests, below): a misspelt top-level key dropped
// would apply the list without what it meant ("unti" for "unit" makes one car's list every car's).
export const hotlistDocumentSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      ...hotlistCommon,
      kind: z.literal('full'),
      entries: z.array(hotlistEntrySchema).meta({ description: ONCE }),
    }),
    z.strictObject({
      ...hotlistCommon,
      kind: z.literal('delta'),
      /** The version this delta applies to; the unit must hold exactly it. */
      baseVersion: z.number().int().nonnegative(),
      /** An add for an entry already on the list replaces its fields: how HQ renews an expiry. */
      add: z.array(hotlistEntrySchema).meta({
        description: `${ONCE} An entry already on the list (same plate, state and listType) has its other fields replaced (a renewed expiry, a new reference).`,
      }),
      /** Applied before `add`: a delta that removes and adds one entry leaves the added one. */
      remove: z
        .array(z.strictObject({ plate: hotlistPlate, state: hotlistState, listType: z.enum(LIST_TYPES) }))
        .meta({
          description:
            'Applied before add (removing and adding one entry leaves the added one). Plates and states are read as in entries; a remove that names no entry is counted (notFound in the audit record).',
        }),
    }),
  ])
  .meta({ title: 'HotlistDocument', description: 'A full list or a delta, inside a SignedDocument.' });
export type HotlistDocument = z.infer<typeof hotlistDocumentSchema>;

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');
// Roster and pull request are strict, as hotlist entries: a misspelt key dropped would apply the
// document without what it meant ("disable" for "disabled" leaves the user able to sign in; "form"
// for "from" searches, and discloses, every sighting of the plate instead of the window's).
export const rosterEntrySchema = z.strictObject({
  name: z.string().min(1).max(100),
  role: z.enum(['officer', 'technician', 'admin', 'auditor']),
  disabled: z.boolean().optional(),
  /** scrypt hash as the policy module stores it; absent = keep the local password. */
  passwordHash: z.string().optional(),
  initialTraining: date.optional(),
  inServiceTraining: z.array(date).optional(),
});
export type RosterEntry = z.infer<typeof rosterEntrySchema>;

export const rosterDocumentSchema = z
  .strictObject({
    type: z.literal('roster'),
    agency: segment,
    unit: segment.optional(),
    rosterId: segment.default('main'),
    version: z.number().int().positive(),
    issuedAt: ms,
    users: z.array(rosterEntrySchema),
  })
  .meta({
    title: 'RosterDocument',
    description: 'The complete list of authorised users, inside a SignedDocument.',
  });
export type RosterDocument = z.infer<typeof rosterDocumentSchema>;

export const pullCriteriaSchema = z
  .strictObject({
    plate: z.string().min(1).max(16).optional(),
    // Fewer than 2 letters or digits is not refused here but by the unit's query service, which
    // logs the refusal (policy III.B) and answers `refused` with the reason.
    platePrefix: z.string().min(1).max(16).optional().meta({
      description:
        'Plates starting with this. Needs at least 2 letters or digits once spaces and dashes are removed; fewer is refused (and logged): it would match nearly every read.',
    }),
    /** `?` one unknown character, `*` any run. */
    partial: z.string().min(1).max(16).optional().meta({
      description:
        '`?` one unknown character, `*` any run. Needs at least 2 letters or digits besides them; fewer is refused (and logged).',
    }),
    cameraId: z.string().min(1).max(100).optional(),
    from: ms.optional(),
    to: ms.optional(),
    near: z
      .strictObject({
        lat: z.number().min(-90).max(90),
        lon: z.number().min(-180).max(180),
        radiusM: z.number().positive().max(100_000),
      })
      .optional(),
  })
  .meta({
    description:
      'Plate (exact, prefix or partial), camera, time window and/or place. At least one must be given.',
  });
export type PullCriteria = z.infer<typeof pullCriteriaSchema>;

/**
 * A pull request. Purpose, case number and requester are optional in the *schema* on purpose: a
 * request without them must be answered with a refusal (and logged), not silently dropped.
 */
export const pullRequestSchema = z
  .strictObject({
    v: z.literal(1),
    requestId: id.meta({
      description:
        'HQ that lost the answer sends the same request again with the same requestId (re-signed or not): ' +
        "the unit answers again with the first answer's reads instead of searching again, at most once " +
        'every 30 s and 10 times per request; the same id with other criteria is rejected.',
    }),
    /** The request is signed like hotlists, for exactly one unit of one agency. */
    agency: segment,
    unit: segment,
    /** When HQ issued it: the unit refuses a request older than a day (one replayed or left queued). */
    issuedAt: ms,
    requester: z.string().min(1).max(200).optional(),
    purpose: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .meta({ description: `One of the policy purposes: ${PURPOSES.map((p) => p.code).join(', ')}.` }),
    caseNumber: z.string().min(1).max(200).optional(),
    /** The requester attests the query is for an official purpose (policy V). */
    attestation: z.boolean().optional(),
    criteria: pullCriteriaSchema,
    includeCrops: z.boolean().default(false),
    limit: z.number().int().min(1).max(10_000).optional(),
    /** HQ puts an answer in several messages together (PullResponse part/parts). */
    acceptsParts: z
      .boolean()
      .optional()
      .meta({
        description:
          'true: HQ puts together an answer sent in several messages (PullResponse part/parts), so the unit sends ' +
          "all of it, in as many messages as the broker's maximum packet size takes. Absent (an HQ tool that " +
          'predates parts and takes the first message as the whole answer): the answer is one message, cut after ' +
          'the last read that fits, with truncated: true and count the reads it holds; the query log lists those.',
      }),
  })
  .meta({
    title: 'PullRequest',
    description:
      'HQ asks a unit for reads, under the same rules as an officer query; sent inside a SignedDocument.',
  });
export type PullRequest = z.infer<typeof pullRequestSchema>;

export const pullResponseSchema = z
  .object({
    v: z.literal(1),
    requestId: id,
    agency: segment,
    unit: segment,
    status: z.enum(['answered', 'refused', 'error']),
    reason: z.string().optional(),
    /** Reads in the whole answer, every part: HQ knows how many to expect. */
    count: z.number().int().nonnegative().meta({ description: 'Reads in the whole answer (all its parts).' }),
    /** More matched than were returned (limit reached). */
    truncated: z.boolean().default(false),
    /** This part's reads; the parts of an answer together hold `count`, each read once. */
    reads: z.array(readBodySchema).default([]),
    ts: ms,
    /** An answer too large for one message (the broker's maximum packet size) comes in parts. */
    part: z
      .number()
      .int()
      .positive()
      .default(1)
      .meta({
        description:
          "This message's number within the answer, 1..parts. An answer larger than the broker's maximum packet size " +
          'comes in several messages (only when the request said acceptsParts), each with as many whole reads as fit ' +
          'and the same other fields; a read too large for a message of its own with its crop comes without it, ' +
          'listed in its imagesLeftOut.',
      }),
    parts: z.number().int().positive().default(1).meta({
      description: 'How many messages the answer takes; HQ has it all when it holds parts 1..parts.',
    }),
    repeat: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({
        description:
          'Set when this answers a repeat of a request already answered (same requestId): 1 for the first ' +
          "repeat. Status, reason and reads are the first answer's (reads deleted since are left out).",
      }),
  })
  .refine((r) => r.part <= r.parts, { message: 'part is beyond parts', path: ['part'] })
  .meta({ title: 'PullResponse', description: 'The answer to one pull request (refusals included).' });
export type PullResponse = z.infer<typeof pullResponseSchema>;
