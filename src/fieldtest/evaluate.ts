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
 */
export function evaluateField(reads: StoredRead[], labels: Label[], videoStartMs: number): FieldResult {
  const span = (r: StoredRead) =>
    [(r.firstSeen - videoStartMs) / 1000, (r.lastSeen - videoStartMs) / 1000] as const;
  const overlaps = (r: StoredRead, l: Label) => {
    const [a, b] = span(r);
    return a <= l.toS + SLACK_S && b >= l.fromS - SLACK_S;
  };
  const used = new Set<string>();
  // First pass: exact plates. A read that is some vehicle's exact match is never another's misread.
  const exactOf = new Map<Label, StoredRead>();
  for (const label of labels) {
    const exact = reads
      .filter((r) => overlaps(r, label) && r.plate === label.plate)
      .sort((a, b) => a.firstSeen - b.firstSeen)[0];
    if (exact) {
      exactOf.set(label, exact);
      used.add(exact.id);
    }
  }
  const overlapS = (r: StoredRead, l: Label) => {
    const [a, b] = span(r);
    return Math.min(b, l.toS) - Math.max(a, l.fromS);
  };
  const vehicles = labels.map((label): VehicleResult => {
    const exact = exactOf.get(label);
    const mine = reads.filter(
      (r) => overlaps(r, label) && (r === exact || ![...exactOf.values()].includes(r)),
    );
    for (const r of mine) used.add(r.id);
    if (exact)
      return {
        label,
        outcome: 'read',
        read: exact,
        timeToFirstReadS: Math.max(0, span(exact)[0] - label.fromS),
      };
    // The wrong read that overlaps the vehicle's time in view the most.
    const best = [...mine].sort((a, b) => overlapS(b, label) - overlapS(a, label))[0] ?? null;
    return { label, outcome: best ? 'misread' : 'missed', read: best, timeToFirstReadS: null };
  });
  const falseReads = reads.filter((r) => !used.has(r.id));
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
