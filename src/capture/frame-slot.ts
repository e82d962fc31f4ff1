/**
 * Hands frames from a producer to a consumer. In latest-wins mode it holds one frame: a new frame
 * overwrites one the consumer has not taken yet (counted as dropped), so a slow pipeline always
 * works on the newest picture and memory stays bounded. In every-frame mode the producer waits
 * for the consumer instead (back-pressure), so nothing is dropped.
 */
export class FrameSlot<T> {
  private pending: T | null = null;
  private ended = false;
  private waitingConsumer: ((v: T | null) => void) | null = null;
  private waitingProducer: (() => void) | null = null;
  dropped = 0;

  constructor(private readonly everyFrame: boolean) {}

  /** Resolves when the frame has been accepted (immediately in latest-wins mode). */
  async put(item: T): Promise<void> {
    if (this.ended) return;
    if (this.waitingConsumer) {
      const consumer = this.waitingConsumer;
      this.waitingConsumer = null;
      consumer(item);
      return;
    }
    if (this.everyFrame) {
      while (this.pending !== null && !this.ended) {
        await new Promise<void>((resolve) => (this.waitingProducer = resolve));
      }
      if (this.ended) return;
    } else if (this.pending !== null) {
      this.dropped++;
    }
    this.pending = item;
  }

  /** Resolves with the next frame, or null once the producer has ended and nothing is left. */
  take(): Promise<T | null> {
    if (this.pending !== null) {
      const item = this.pending;
      this.pending = null;
      const producer = this.waitingProducer;
      this.waitingProducer = null;
      producer?.();
      return Promise.resolve(item);
    }
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => (this.waitingConsumer = resolve));
  }

  end(): void {
    this.ended = true;
    this.waitingConsumer?.(null);
    this.waitingConsumer = null;
    this.waitingProducer?.();
    this.waitingProducer = null;
  }
}
