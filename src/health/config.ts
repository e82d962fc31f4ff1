import { z } from 'zod';

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

/** `health:` — the local status endpoints (/healthz, /metrics). Loopback only, by design. */
export const healthSchema = z.strictObject({
  enabled: z.boolean().default(true),
  host: z
    .string()
    .regex(
      LOOPBACK,
      'a loopback address (127.0.0.1, ::1 or localhost): status is never served to the network',
    )
    .default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(9108),
});
export type HealthConfig = z.infer<typeof healthSchema>;
