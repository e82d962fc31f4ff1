import { z } from 'zod';
import { camerasSchema } from '../config/schema.js';
import { gpsSchema } from '../gps/config.js';
import { STATE_CODES } from '../state/states.js';

/**
 * What a technician provides when provisioning a unit (interactively, by flags, or in an answers
 * file). Deliberately no users or roles: technicians cannot create users (policy VI.A); the
 * agency's roster comes from an admin or headquarters.
 */
export const answersSchema = z.strictObject({
  unitId: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "-" or "_"'),
  agency: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "-" or "_"'),
  homeState: z
    .string()
    .refine(
      (c) => STATE_CODES.includes(c),
      'not a US state, DC or territory: use its two-letter USPS code such as NY',
    )
    .optional(),
  dataDir: z.string().min(1).default('/var/lib/lpr-edge'),
  broker: z
    .strictObject({
      url: z
        .string()
        .regex(/^(mqtt|mqtts):\/\/[^\s/]+(:\d+)?\/?$/, 'a URL such as mqtts://hq.example.org:8883'),
      ca: z
        .string()
        .min(1, "empty: give the path of the CA certificate (PEM) that signed the broker's certificate")
        .optional(),
      cert: z
        .string()
        .min(1, 'empty: give the path of the client certificate (PEM), or leave it out')
        .optional(),
      key: z.string().min(1, "empty: give the path of the client certificate's key (PEM)").optional(),
      hqKey: z
        .string()
        .min(1, "empty: give the path of headquarters' public signing key (hq-signing.pub)")
        .optional(),
      /** A separate key HQ's consumers sign acks with (written to sync.hqKeys, signing acks only). */
      hqAckKey: z
        .string()
        .min(1, "empty: give the path of headquarters' public ack key (hq-ack.pub), or leave it out")
        .optional(),
      hqAckKeyId: z
        .string()
        .regex(
          /^[A-Za-z0-9._:-]{1,200}$/,
          'letters, digits, ".", "_", ":" or "-", as HQ signs with (--key-id)',
        )
        .optional(),
    })
    .refine((b) => (b.hqAckKey === undefined) === (b.hqAckKeyId === undefined), {
      message:
        'an ack key needs its keyId and a keyId its key: give both hqAckKey and hqAckKeyId (--hq-ack-key and --hq-ack-key-id)',
      path: ['hqAckKeyId'],
    })
    .optional(),
  cameras: camerasSchema,
  gps: gpsSchema.default({ source: 'none' }),
});
export type Answers = z.infer<typeof answersSchema>;

/** Camera keys whose values are text even when they look like numbers (id=007, serial=21345678). */
const TEXT_KEYS = ['id', 'name', 'device', 'url', 'camera', 'serial', 'path'];

/**
 * `--camera` flag: `KIND:TARGET[,key=value…]`, e.g.
 * `v4l2:/dev/video0,id=front,width=1280,height=720`, `rtsp:rtsp://10.0.0.5/s1,id=rear,position=rear`,
 * `gige:Basler-acA1300-123,id=left,exposureUs=800`.
 */
export function parseCameraFlag(spec: string, index: number): Record<string, unknown> {
  const m = /^(v4l2|rtsp|gige|file):(.+)$/.exec(spec);
  if (!m)
    throw new Error(
      `--camera "${spec}": expected KIND:TARGET[,key=value…] with KIND v4l2, rtsp, gige or file`,
    );
  const kind = m[1]!;
  const [target, ...pairs] = m[2]!.split(',');
  const cam: Record<string, unknown> = { kind, id: `cam${index + 1}` };
  cam[{ v4l2: 'device', rtsp: 'url', gige: 'camera', file: 'path' }[kind]!] = target;
  // No size is assumed: provision asks the camera its own (camera-size.ts), as the capture scales
  // to the configured size and a guess would stretch or cut the picture.
  for (const p of pairs) {
    const [k, v] = p.split('=');
    if (!k || v === undefined) throw new Error(`--camera "${spec}": "${p}" is not key=value`);
    if (TEXT_KEYS.includes(k)) cam[k] = v;
    else cam[k] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v === 'true' ? true : v === 'false' ? false : v;
  }
  return cam;
}

/**
 * `--gps` flag: `gpsd[:HOST[:PORT]]`, `serial:PATH[:BAUD]` or `none`. A serial PATH may itself contain
 * colons (/dev/serial/by-path/pci-0000:00:14.0-usb-0:2:1.0), so only an all-digit last part is the baud
 * rate; a path ending in ":digits" needs its baud rate written after it.
 */
export function parseGpsFlag(spec: string): Record<string, unknown> {
  const [source, ...rest] = spec.split(':');
  if (source === 'none') return { source: 'none' };
  if (source === 'gpsd' && rest.length <= 2) {
    const [host, port] = rest;
    if (port && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535))
      throw new Error(
        `--gps "${spec}": the gpsd port must be a number from 1 to 65535 (gpsd's own is 2947), e.g. gpsd:${host || 'localhost'}:2947`,
      );
    return { source: 'gpsd', ...(host ? { host } : {}), ...(port ? { port: Number(port) } : {}) };
  }
  if (source === 'serial') {
    const baud = rest.length > 1 && /^\d+$/.test(rest.at(-1)!) ? rest.pop() : undefined;
    const path = rest.join(':');
    if (path) return { source: 'serial', path, ...(baud ? { baud: Number(baud) } : {}) };
  }
  throw new Error(`--gps "${spec}": expected gpsd[:HOST[:PORT]], serial:PATH[:BAUD] or none`);
}

/** A GPS setting written as the `--gps` flag spells it (the default offered when asked again). */
export function gpsSpec(gps: unknown): string | undefined {
  const g = gps as
    { source?: string; host?: string; port?: number; path?: string; baud?: number } | undefined;
  if (g?.source === 'none') return 'none';
  if (g?.source === 'gpsd')
    return ['gpsd', g.host, g.host && g.port ? g.port : undefined].filter(Boolean).join(':');
  if (g?.source === 'serial' && g.path) return `serial:${g.path}${g.baud ? `:${g.baud}` : ''}`;
  return undefined;
}
