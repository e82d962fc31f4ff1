import { z } from 'zod';
import { cameraSchema } from '../config/schema.js';
import { gpsSchema } from '../gps/config.js';

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
    .regex(/^[A-Z]{2}$/, 'a two-letter USPS code such as NY')
    .optional(),
  dataDir: z.string().min(1).default('/var/lib/lpr-edge'),
  broker: z
    .strictObject({
      url: z
        .string()
        .regex(/^(mqtt|mqtts):\/\/[^\s/]+(:\d+)?\/?$/, 'a URL such as mqtts://hq.example.org:8883'),
      ca: z.string().min(1).optional(),
      cert: z.string().min(1).optional(),
      key: z.string().min(1).optional(),
    })
    .optional(),
  cameras: z.array(cameraSchema).default([]),
  gps: gpsSchema.default({ source: 'none' }),
});
export type Answers = z.infer<typeof answersSchema>;

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
  if (kind !== 'file') Object.assign(cam, { width: 1280, height: 720 });
  for (const p of pairs) {
    const [k, v] = p.split('=');
    if (!k || v === undefined) throw new Error(`--camera "${spec}": "${p}" is not key=value`);
    cam[k] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v === 'true' ? true : v === 'false' ? false : v;
  }
  return cam;
}

/** `--gps` flag: `gpsd[:HOST[:PORT]]`, `serial:PATH[:BAUD]` or `none`. */
export function parseGpsFlag(spec: string): Record<string, unknown> {
  const [source, a, b] = spec.split(':');
  if (source === 'none') return { source: 'none' };
  if (source === 'gpsd')
    return { source: 'gpsd', ...(a ? { host: a } : {}), ...(b ? { port: Number(b) } : {}) };
  if (source === 'serial' && a) return { source: 'serial', path: a, ...(b ? { baud: Number(b) } : {}) };
  throw new Error(`--gps "${spec}": expected gpsd[:HOST[:PORT]], serial:PATH[:BAUD] or none`);
}
