import { performance } from 'node:perf_hooks';

/**
 * Which of a hit's pictures each console session has been sent, and when. Policy IV.C.2: the
 * officer confirms the plate and the state while seeing the plate crop and the overview image, so
 * a confirmation from a session that was never sent them is refused, and so is one that arrives
 * too soon after they were sent to be about them: a key pressed for the alert being worked that
 * lands on a more urgent alert which replaced it a moment earlier.
 */
export type Picture = 'crop' | 'overview';

/** Enough for every hit of a long shift; the oldest are forgotten first. */
const MAX_ENTRIES = 10_000;
/**
 * A confirmation this soon after the last of the pictures was sent is refused. The page holds its
 * keys a little longer (console.js); this is the unit's own check, whatever sends the request.
 */
export const CONFIRM_AFTER_PICTURES_MS = 1_000;

export class ShownPictures {
  private readonly shown = new Map<string, Map<Picture, number>>();

  /**
   * `now` is a steady clock (milliseconds): a wall clock stepped back by NTP or the GPS must not
   * hold confirmations back for the size of the step.
   */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** A picture was sent to the session. Sent again (a reconnect, the alert back on screen): timed from then. */
  record(session: string, hitId: string, picture: Picture): void {
    const key = `${session}:${hitId}`;
    const sent = this.shown.get(key) ?? new Map<Picture, number>();
    sent.set(picture, this.now());
    this.shown.delete(key); // re-inserted last: the map stays in order of use
    this.shown.set(key, sent);
    if (this.shown.size > MAX_ENTRIES) this.shown.delete(this.shown.keys().next().value!);
  }

  /**
   * Why this session may not confirm the hit yet, or null. A read stored without a plate crop
   * cannot be confirmed at all; its overview is required when one was stored.
   */
  refusal(session: string, hitId: string, stored: { crop: boolean; overview: boolean }): string | null {
    if (!stored.crop) {
      return 'no plate picture was stored with this read, so nothing can be confirmed against it: reject the hit (plate not visible) and check the vehicle yourself';
    }
    const sent = this.shown.get(`${session}:${hitId}`);
    const needed = (['crop', 'overview'] as const).filter((p) => stored[p]);
    const missing = needed.filter((p) => !sent?.has(p));
    if (missing.length > 0) {
      const names = missing
        .map((p) => (p === 'crop' ? 'the plate crop' : 'the overview image'))
        .join(' and ');
      return `${names} of this hit ${missing.length > 1 ? 'have' : 'has'} not been shown on this console yet: confirm once you can see ${missing.length > 1 ? 'them' : 'it'}`;
    }
    const lastSent = Math.max(...needed.map((p) => sent!.get(p)!));
    if (this.now() - lastSent < CONFIRM_AFTER_PICTURES_MS) {
      return "this alert's pictures reached this console less than a second ago, so nothing was confirmed: look at its plate and state (it may have just replaced the alert you were working), then confirm again";
    }
    return null;
  }
}
