import { z } from 'zod';

/** A circle on the map: reads whose GPS fix falls inside are dropped or masked (policy II). */
const circleZone = z.strictObject({
  id: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "-" or "_"'),
  kind: z.literal('circle'),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  radiusM: z.number().positive().max(100_000),
  mode: z.enum(['drop', 'mask']).default('drop'),
});

/** A polygon given as [lat, lon] corners (at least 3, not closed: the last edge is implied). */
const polygonZone = z.strictObject({
  id: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "-" or "_"'),
  kind: z.literal('polygon'),
  points: z
    .array(z.tuple([z.number().min(-90).max(90), z.number().min(-180).max(180)]))
    .min(3, 'a polygon needs at least 3 [lat, lon] points'),
  mode: z.enum(['drop', 'mask']).default('drop'),
});

export const exclusionZoneSchema = z.discriminatedUnion('kind', [circleZone, polygonZone]);
export type ExclusionZone = z.infer<typeof exclusionZoneSchema>;

export const policySchema = z.strictObject({
  /** A signed-in session (console, CLI) expires after this many minutes. */
  sessionTtlMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(12 * 60),
  /** Consecutive failed sign-ins that lock an account. */
  lockoutThreshold: z.number().int().min(1).max(100).default(5),
  /** How long a locked account stays locked (an admin can unlock sooner). */
  lockoutMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(15),
  /** In-service training is overdue this many months after the last training (policy VII). */
  inServiceMonths: z.number().int().min(1).max(120).default(12),
  /**
   * Local retention window proposed to the admin, in days. Nothing is purged until an admin has
   * approved a window with `lpr-edge retention set` (policy VI.D); acknowledged-by-HQ and not held
   * are required on top (VI.B, VI.C).
   */
  retentionDays: z.number().int().min(1).max(3650).default(30),
  /** scrypt cost as log2(N): 15 = 32 MiB per hash. Lower only on very small hardware; min 14. */
  passwordCostLog2: z.number().int().min(14).max(20).default(15),
  /** Minimum length of a password or PIN. */
  minPasswordLength: z.number().int().min(4).max(128).default(8),
  exclusionZones: z
    .array(exclusionZoneSchema)
    .default([])
    .refine((zones) => new Set(zones.map((zn) => zn.id)).size === zones.length, 'zone ids must be unique'),
});

export type PolicyConfig = z.infer<typeof policySchema>;
