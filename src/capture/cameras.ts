import type { Logger } from 'pino';
import type { Service } from '../service.js';
import type { Frame } from './types.js';
import type { CameraHealth, LiveCamera } from './live-camera.js';

export type FrameHandler = (frame: Frame) => Promise<void> | void;

/**
 * Runs several cameras at once, each in its own loop: a camera that fails, stalls or throws in
 * its frame handler is logged and retried by its own LiveCamera; it never stops the others.
 */
export class CameraService implements Service {
  readonly name = 'cameras';
  private loops: Promise<void>[] = [];

  constructor(
    readonly cameras: LiveCamera[],
    private readonly onFrame: FrameHandler,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.loops = this.cameras.map((cam) => this.run(cam));
  }

  private async run(cam: LiveCamera): Promise<void> {
    try {
      for await (const frame of cam.frames()) {
        try {
          await this.onFrame(frame);
        } catch (err) {
          // A bad frame must not end the camera's loop.
          this.log.error({ camera: cam.id, err: (err as Error).message }, 'frame handler failed');
        }
      }
    } catch (err) {
      this.log.error({ camera: cam.id, err: (err as Error).message }, 'camera loop ended with an error');
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.cameras.map((c) => c.stop()));
    await Promise.all(this.loops);
    this.loops = [];
  }

  health(): { cameras: CameraHealth[] } {
    return { cameras: this.cameras.map((c) => c.health()) };
  }
}
