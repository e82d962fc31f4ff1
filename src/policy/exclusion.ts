import type { Db } from '../store/database.js';
import type { Read, ReadImages } from '../store/types.js';
import type { GateContext, ReadGate } from '../pipeline/read-gate.js';
import { AuditLog } from './audit.js';
import { canonicalJson } from './canonical.js';
import type { ExclusionZone } from './config.js';
import { distanceM, insidePolygon } from './geo.js';
import { getState, setState } from './state.js';

export type ExclusionAction = 'store' | 'mask' | 'drop';

export interface ExclusionDecision {
  action: ExclusionAction;
  /** The zone that decided, when action is not 'store'. */
  zoneId?: string;
}

/** What a masked read's plate becomes: not a possible plate, and the same for every plate. */
export const MASKED_PLATE = '********';

/** Fastest the unit is assumed to move while it has no fix (144 km/h). */
const MAX_SPEED_MPS = 40;
/** Longer without a fix than this, and where the unit is cannot be bounded usefully. */
const LAST_KNOWN_MAX_AGE_MS = 10 * 60_000;

/**
 * Exclusion zones are places by GPS: a unit with zones and no GPS source could never place a read
 * in one, and would store every plate read inside them (policy II). The problem, naming the keys
 * and the fix, or null when the zones can apply.
 */
export function zonesWithoutPosition(config: {
  gps: { source: string };
  policy: { exclusionZones: readonly unknown[] };
}): string | null {
  if (config.policy.exclusionZones.length === 0 || config.gps.source !== 'none') return null;
  return (
    `policy.exclusionZones: ${config.policy.exclusionZones.length} zone(s) configured but gps.source is "none", ` +
    'so no read could be placed in them; set gps.source to gpsd or serial, or remove the zones'
  );
}

/**
 * Decide what happens to a read given the exclusion zones (policy II). A read inside any 'drop'
 * zone is dropped; inside a 'mask' zone (and no drop zone) its plate is masked.
 *
 * A read without a fix is placed by the last fix the unit had, if that is at most ten minutes
 * old: the unit can have moved at most MAX_SPEED_MPS × that age from there, and a zone within that
 * reach counts as one the read may be in (the zone's rule is applied, failing closed). Otherwise
 * it cannot be placed and is stored (flagged no-gps-fix by the pipeline).
 */
export function applyExclusionZones(
  read: Pick<Read, 'gps'>,
  zones: readonly ExclusionZone[],
  lastKnown?: { fix: { lat: number; lon: number }; ageMs: number } | null,
): ExclusionDecision {
  let inZone: (z: ExclusionZone) => boolean;
  if (read.gps) {
    const at = read.gps;
    inZone = (z) => (z.kind === 'circle' ? distanceM(at, z) <= z.radiusM : insidePolygon(at, z.points));
  } else if (lastKnown && lastKnown.ageMs <= LAST_KNOWN_MAX_AGE_MS) {
    const reach = (lastKnown.ageMs / 1000) * MAX_SPEED_MPS;
    inZone = (z) => distanceToZoneM(lastKnown.fix, z) <= reach;
  } else return { action: 'store' };
  let mask: string | undefined;
  for (const z of zones) {
    if (!inZone(z)) continue;
    if (z.mode === 'drop') return { action: 'drop', zoneId: z.id };
    mask ??= z.id;
  }
  return mask ? { action: 'mask', zoneId: mask } : { action: 'store' };
}

/**
 * How far a point is from a zone, at least (0 inside it). A polygon is taken by its bounding
 * circle around the mean of its corners: never farther than the polygon itself, so a zone judged
 * out of reach is.
 */
function distanceToZoneM(p: { lat: number; lon: number }, z: ExclusionZone): number {
  if (z.kind === 'circle') return Math.max(0, distanceM(p, z) - z.radiusM);
  if (insidePolygon(p, z.points)) return 0;
  const centre = {
    lat: z.points.reduce((s, q) => s + q[0], 0) / z.points.length,
    lon: z.points.reduce((s, q) => s + q[1], 0) / z.points.length,
  };
  const radius = Math.max(...z.points.map(([lat, lon]) => distanceM(centre, { lat, lon })));
  return Math.max(0, distanceM(p, centre) - radius);
}

/** A read with its plate, candidates and images removed; it still counts as a vehicle seen. */
export function maskRead(read: Read, zoneId: string): { read: Read; images: ReadImages } {
  return {
    read: {
      ...read,
      plate: MASKED_PLATE,
      state: null,
      stateConfidence: null,
      charConfidences: [],
      candidates: [],
      flags: [...read.flags, `masked:${zoneId}`],
    },
    images: { crop: null, overview: null },
  };
}

/**
 * The zones in force plus persisted counts of what each dropped or masked (the count is kept, the
 * plate is not). `recordZones` at startup audits a change in the configured zones.
 */
export class ExclusionZones implements ReadGate {
  readonly name = 'exclusion-zones';

  private readonly bump;

  constructor(
    private readonly db: Db,
    readonly zones: readonly ExclusionZone[],
    private readonly audit: AuditLog = new AuditLog(db),
    private readonly now: () => number = Date.now,
  ) {
    this.bump = db.prepare(
      `INSERT INTO exclusion_counts (zone_id, action, count, last_at) VALUES (?, ?, 1, ?)
       ON CONFLICT (zone_id, action) DO UPDATE SET count = count + 1, last_at = excluded.last_at`,
    );
  }

  /**
   * The pipeline gate: null drops the read, a masked copy without images replaces it, anything
   * else passes unchanged. Counted per zone.
   */
  apply(read: Read, context: GateContext = {}): { read: Read; keepImages: boolean } | null {
    const d = this.decide(read, context.lastKnown);
    if (d.action === 'drop') return null;
    if (d.action === 'mask') return { read: maskRead(read, d.zoneId!).read, keepImages: false };
    return { read, keepImages: true };
  }

  /** Decide for one read and count it when dropped or masked. */
  decide(read: Pick<Read, 'gps'>, lastKnown?: GateContext['lastKnown']): ExclusionDecision {
    const d = applyExclusionZones(read, this.zones, lastKnown);
    if (d.action !== 'store' && d.zoneId) this.bump.run(d.zoneId, d.action, this.now());
    return d;
  }

  counts(): { zoneId: string; action: 'drop' | 'mask'; count: number; lastAt: number }[] {
    return (
      this.db
        .prepare('SELECT zone_id, action, count, last_at FROM exclusion_counts ORDER BY zone_id, action')
        .all() as {
        zone_id: string;
        action: 'drop' | 'mask';
        count: number;
        last_at: number;
      }[]
    ).map((r) => ({ zoneId: r.zone_id, action: r.action, count: r.count, lastAt: r.last_at }));
  }

  /**
   * Compare the configured zones with the ones recorded at the last start; when they differ,
   * write an 'exclusion.zones-changed' audit record (ids added, removed, changed) and remember
   * the new set. Returns whether a change was recorded.
   */
  recordZones(actor: string | null = null): boolean {
    const last = getState<ExclusionZone[]>(this.db, 'exclusion.zones');
    const current = JSON.parse(canonicalJson(this.zones)) as ExclusionZone[];
    if (last && canonicalJson(last.value) === canonicalJson(current)) return false;
    const before = new Map((last?.value ?? []).map((z) => [z.id, canonicalJson(z)]));
    const after = new Map(current.map((z) => [z.id, canonicalJson(z)]));
    const added = [...after.keys()].filter((id) => !before.has(id));
    const removed = [...before.keys()].filter((id) => !after.has(id));
    const changed = [...after.keys()].filter((id) => before.has(id) && before.get(id) !== after.get(id));
    if (!last && current.length === 0) {
      setState(this.db, 'exclusion.zones', current, actor, this.now());
      return false;
    }
    this.db.transaction(() => {
      this.audit.append({
        type: 'exclusion.zones-changed',
        actor,
        details: { added, removed, changed, zones: current },
      });
      setState(this.db, 'exclusion.zones', current, actor, this.now());
    })();
    return true;
  }
}
