import { z } from 'zod';
import { MQTT_MAX_PACKET_BYTES } from './message-size.js';
import { milliseconds } from '../config/duration.js';

/** What a headquarters key may sign (`sync.hqKeys[].signs`). */
export const SIGNED_KINDS = ['hotlist', 'roster', 'pull', 'ack'] as const;
export type SignedKind = (typeof SIGNED_KINDS)[number];

/**
 * A headquarters public key named by the `keyId` HQ writes in the envelopes it signs with it,
 * taken only for the documents it `signs`: a separate ack key held by every HQ consumer can then
 * acknowledge records, and nothing else (no hotlist, roster or pull request).
 */
const hqKeySchema = z.strictObject({
  keyId: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9._:-]+$/, 'use letters, digits, ".", "_", ":" or "-" (e.g. hq-ack-2026)'),
  /** Ed25519 public key: PEM text or a path to a PEM file. */
  publicKey: z.string().min(1),
  signs: z
    .array(z.enum(SIGNED_KINDS))
    .min(1, `name what this key signs: some of ${SIGNED_KINDS.join(', ')}`)
    .refine((k) => new Set(k).size === k.length, 'each kind once'),
});

/**
 * The `sync` config section: the MQTT link to headquarters. Off by default so a bench unit or a
 * demo never tries to reach a broker.
 */
export const syncSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** mqtt://host:1883 or mqtts://host:8883 (TLS needs `ca`; mutual TLS adds `cert` + `key`). */
    brokerUrl: z
      .string()
      .regex(/^(mqtt|mqtts|tcp|tls|ssl):\/\/[^\s/]+(:\d+)?\/?$/, 'a URL such as mqtts://hq.example.org:8883')
      .optional(),
    /** 5 = MQTT 5; 4 = MQTT 3.1.1. With 5 the link falls back to 3.1.1 if the broker refuses v5. */
    protocolVersion: z.union([z.literal(5), z.literal(4)]).default(5),
    /** Pinned CA certificate (PEM path): only a broker certificate signed by it is accepted. */
    ca: z.string().min(1).optional(),
    /** Client certificate and key (PEM paths) for mutual TLS. */
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** Read the password from this file (first line) instead of putting it in the config. */
    passwordFile: z.string().min(1).optional(),
    /** MQTT client id; default `lpr-{agency}-{unitId}`. Must be stable for the persistent session. */
    clientId: z.string().min(1).max(128).optional(),
    /** How long the broker keeps the session (subscriptions, queued acks and requests) offline. */
    sessionExpirySec: z
      .number()
      .int()
      .min(0)
      .max(0xffffffff)
      .default(7 * 24 * 3600),
    keepaliveSec: z.number().int().min(5).max(3600).default(30),
    /** Reconnect backoff: full jitter between 0 and min(max, initial * 2^attempt). */
    reconnectInitialMs: milliseconds(50, 60_000).default(1000),
    reconnectMaxMs: milliseconds(100, 600_000).default(60_000),
    /**
     * Ed25519 public key of headquarters (PEM text or a path to a PEM file): checks every document
     * HQ signs without a `keyId`, or with one `hqKeys` does not list.
     */
    hqPublicKey: z.string().min(1).optional(),
    /** More HQ keys, each for the documents it `signs`, picked by the envelope's `keyId`. */
    hqKeys: z.array(hqKeySchema).optional(),
    /** Records sent but not yet acknowledged by headquarters, at most. */
    window: z.number().int().min(1).max(100_000).default(1000),
    /** Messages per second, at most (0 = no limit). */
    rate: z.number().int().min(0).default(1000),
    /**
     * A record not acknowledged this long after it was sent is sent again (same id). At most an
     * hour: until then a record whose ack was lost is not sent again and keeps its place in
     * `window`, and enough of them stop the unit sending anything. At least a second: an ack comes
     * back over the car's mobile link (a round trip to the broker and HQ, hundreds of ms on a weak
     * signal); a shorter timeout sends each record again before its ack could arrive.
     */
    ackTimeoutMs: milliseconds(
      1000,
      3_600_000,
      "an ack takes a round trip to HQ over the car's mobile link, so below 1 s records would be sent again before it could come",
    ).default(30_000),
    /** How the plate crop travels: base64 inside JSON, or JSON + raw JPEG in one binary frame. */
    imageEncoding: z.enum(['base64', 'binary']).default('base64'),
    /** Send the overview frame with each read (large; off by default). */
    sendOverview: z.boolean().default(false),
    /**
     * Largest MQTT packet one outbound message may make (payload, topic and headers: what brokers
     * limit as their maximum packet size). Default 1 MiB, EMQX's default; a broker that announces a
     * smaller Maximum Packet Size in its MQTT 5 CONNACK is honoured too, but one speaking 3.1.1
     * cannot say, so set this to its limit. Larger reads go without images (see docs/sync.md).
     */
    maxMessageBytes: z
      .number()
      .int()
      .min(8 * 1024)
      .max(MQTT_MAX_PACKET_BYTES)
      .default(1024 * 1024),
    /** Inbound messages larger than this are rejected before parsing. */
    maxPayloadBytes: z
      .number()
      .int()
      .min(1024)
      .default(16 * 1024 * 1024),
    /** Status topic refresh period. */
    statusIntervalMs: milliseconds(1000, 3_600_000).default(60_000),
    /** Most reads one pull request may return. */
    pullMaxResults: z.number().int().min(1).max(10_000).default(500),
  })
  .refine((s) => !s.enabled || s.brokerUrl !== undefined, {
    message: 'sync.enabled is true: set sync.brokerUrl (e.g. mqtts://hq.example.org:8883)',
    path: ['brokerUrl'],
  })
  .refine((s) => (s.cert === undefined) === (s.key === undefined), {
    message: 'mutual TLS needs both sync.cert and sync.key',
    path: ['cert'],
  })
  .refine((s) => !(s.password !== undefined && s.passwordFile !== undefined), {
    message: 'set either sync.password or sync.passwordFile, not both',
    path: ['passwordFile'],
  })
  .refine((s) => new Set((s.hqKeys ?? []).map((k) => k.keyId)).size === (s.hqKeys ?? []).length, {
    message: 'two keys with one keyId: the unit could not tell which one a document names',
    path: ['hqKeys'],
  })
  // As a camera's reconnect (src/capture/config.ts): above the cap, the first delay would not apply.
  .refine((s) => s.reconnectInitialMs <= s.reconnectMaxMs, {
    message: 'must not be above sync.reconnectMaxMs: lower reconnectInitialMs or raise reconnectMaxMs',
    path: ['reconnectInitialMs'],
  });

export type SyncConfig = z.infer<typeof syncSchema>;

/** Relative PEM and password paths are relative to the config file, like every other path. */
export function resolveSyncPaths(s: SyncConfig, abs: (p: string) => string): SyncConfig {
  const opt = (p: string | undefined) => (p === undefined ? undefined : abs(p));
  return {
    ...s,
    ca: opt(s.ca),
    cert: opt(s.cert),
    key: opt(s.key),
    passwordFile: opt(s.passwordFile),
    // hqPublicKey may be the PEM text itself.
    hqPublicKey: pemOrPath(s.hqPublicKey, abs),
    ...(s.hqKeys ? { hqKeys: s.hqKeys.map((k) => ({ ...k, publicKey: pemOrPath(k.publicKey, abs)! })) } : {}),
  };
}

function pemOrPath(value: string | undefined, abs: (p: string) => string): string | undefined {
  return value && !value.includes('-----BEGIN') ? abs(value) : value;
}
