/**
 * Which of a hit's pictures each console session has been sent. Policy IV.C.2: the officer
 * confirms the plate and the state while seeing the plate crop and the overview image, so a
 * confirmation from a session that was never sent them is refused.
 */
export type Picture = 'crop' | 'overview';

/** Enough for every hit of a long shift; the oldest are forgotten first. */
const MAX_ENTRIES = 10_000;

export class ShownPictures {
  private readonly shown = new Map<string, Set<Picture>>();

  record(session: string, hitId: string, picture: Picture): void {
    const key = `${session}:${hitId}`;
    const set = this.shown.get(key) ?? new Set<Picture>();
    set.add(picture);
    this.shown.delete(key); // re-inserted last: the map stays in order of use
    this.shown.set(key, set);
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
    const seen = this.shown.get(`${session}:${hitId}`);
    const missing = (['crop', 'overview'] as const).filter((p) => stored[p] && !seen?.has(p));
    if (missing.length === 0) return null;
    const names = missing.map((p) => (p === 'crop' ? 'the plate crop' : 'the overview image')).join(' and ');
    return `${names} of this hit ${missing.length > 1 ? 'have' : 'has'} not been shown on this console yet: confirm once you can see ${missing.length > 1 ? 'them' : 'it'}`;
  }
}
