import type { StoredRead } from '../store/types.js';
import type { Label } from './labels.js';

export type VehicleOutcome = 'read' | 'misread' | 'missed';

export interface VehicleResult {
  label: Label;
  outcome: VehicleOutcome;
  /** The read that matched (exact), or the best overlapping wrong read. */
  read: StoredRead | null;
  /** Seconds from the vehicle's labelled appearance to the first frame its matching read saw. */
  timeToFirstReadS: number | null;
}

export interface FieldResult {
  vehicles: VehicleResult[];
  /** Reads that overlap no labelled vehicle. */
  falseReads: StoredRead[];
  recall: number;
  misreads: number;
  missed: number;
  stateCorrect: number;
}

/** Slack around a label's span: tracks start a frame or two early and end after the idle time. */
const SLACK_S = 1;

/**
 * Compare reads with labels. A read belongs to a vehicle when its [firstSeen, lastSeen] (in video
 * seconds) overlaps the label's span ± 1 s. A vehicle is "read" when one of its reads has the
 * exact plate, "misread" when it only has wrong ones, "missed" when it has none. Reads that belong
 * to no vehicle are false reads.
 *
 * One read stands for one vehicle: two vehicles in view together (side by side, or one label
 * given twice with different spans) are never both read, or both misread, by the same read. Exact
 * matches are given first (a vehicle's exact read is never another's misread), each vehicle in the
 * order it came into view taking the earliest exact read still free; then each wrong read goes to
 * the vehicle it overlaps the most, vehicles with the largest overlaps first.
 */
export function evaluateField(reads: StoredRead[], labels: Label[], videoStartMs: number): FieldResult {
  const span = (r: StoredRead) =>
    [(r.firstSeen - videoStartMs) / 1000, (r.lastSeen - videoStartMs) / 1000] as const;
  const overlaps = (r: StoredRead, l: Label) => {
    const [a, b] = span(r);
    return a <= l.toS + SLACK_S && b >= l.fromS - SLACK_S;
  };
  const overlapS = (r: StoredRead, l: Label) => {
    const [a, b] = span(r);
    return Math.min(b, l.toS) - Math.max(a, l.fromS);
  };
  const byFirstSeen = [...reads].sort((a, b) => a.firstSeen - b.firstSeen);
  const exactOf = new Map<Label, StoredRead>();
  const exactReads = new Set<StoredRead>();
  for (const label of [...labels].sort((a, b) => a.fromS - b.fromS)) {
    const exact = byFirstSeen.find(
      (r) => !exactReads.has(r) && overlaps(r, label) && r.plate === label.plate,
    );
    if (exact) {
      exactOf.set(label, exact);
      exactReads.add(exact);
    }
  }
  // Each wrong read to one vehicle without an exact read: the pairs that overlap the most first.
  const misreadOf = new Map<Label, StoredRead>();
  const misreads = new Set<StoredRead>();
  const pairs = labels
    .filter((l) => !exactOf.has(l))
    .flatMap((label) =>
      reads.filter((r) => !exactReads.has(r) && overlaps(r, label)).map((read) => ({ label, read })),
    )
    .sort((a, b) => overlapS(b.read, b.label) - overlapS(a.read, a.label));
  for (const { label, read } of pairs) {
    if (misreadOf.has(label) || misreads.has(read)) continue;
    misreadOf.set(label, read);
    misreads.add(read);
  }
  const vehicles = labels.map((label): VehicleResult => {
    const exact = exactOf.get(label);
    if (exact)
      return {
        label,
        outcome: 'read',
        read: exact,
        timeToFirstReadS: Math.max(0, span(exact)[0] - label.fromS),
      };
    const wrong = misreadOf.get(label) ?? null;
    return { label, outcome: wrong ? 'misread' : 'missed', read: wrong, timeToFirstReadS: null };
  });
  // A read within some vehicle's time in view is of that traffic (a second read of a vehicle
  // whose track split, say), not a false read.
  const falseReads = reads.filter(
    (r) => !exactReads.has(r) && !misreads.has(r) && !labels.some((l) => overlaps(r, l)),
  );
  const found = vehicles.filter((v) => v.outcome === 'read');
  return {
    vehicles,
    falseReads,
    recall: labels.length ? found.length / labels.length : 0,
    misreads: vehicles.filter((v) => v.outcome === 'misread').length,
    missed: vehicles.filter((v) => v.outcome === 'missed').length,
    stateCorrect: found.filter((v) => v.label.state !== null && v.read?.state === v.label.state).length,
  };
}

/**
 * The labels no read of the video could belong to: they start more than the slack after its last
 * frame (`lastFrameS`, video seconds). Each counts as missed, but is most likely a labelling slip
 * (times of another video, milliseconds or minutes:seconds for seconds) that would lower the
 * recall without a word, so the replay names them.
 */
export function labelsAfterVideo(labels: Label[], lastFrameS: number): Label[] {
  return labels.filter((l) => l.fromS > lastFrameS + SLACK_S);
}
