import { PipeReader, type FrameClock } from './pipe-reader.js';

export interface FfmpegReaderOptions {
  id: string;
  /** Everything before the output options: e.g. ['-re', '-i', 'file.mp4'] or v4l2/rtsp input args. */
  inputArgs: string[];
  /** Size of the decoded frames (ffmpeg scales to it if the input differs). */
  width: number;
  height: number;
  /** Times the frames; default: as they arrive (live cameras). */
  clock?: FrameClock;
  /** Deliver every frame (back-pressure) instead of dropping to the latest. */
  everyFrame: boolean;
  /** What the user asked to read, for error messages (a path or a URL without credentials). */
  label: string;
}

/**
 * Lines ffmpeg prints (at warning level) when it meets damaged data: the demuxer drops corrupt
 * packets (+discardcorrupt) and the decoder reports frames it cannot reconstruct.
 */
const CORRUPT_LINE =
  /corrupt|error while decoding|concealing|co located POCs|invalid nal|missing picture|non-existing PPS|decode_slice_header/i;

/**
 * Decodes any input ffmpeg understands into packed RGB24 frames on a pipe. Every camera kind that
 * ffmpeg can open (files, V4L2, RTSP) is this reader with different input arguments.
 */
export class FfmpegReader extends PipeReader {
  constructor(opts: FfmpegReaderOptions) {
    super({
      id: opts.id,
      label: opts.label,
      width: opts.width,
      height: opts.height,
      everyFrame: opts.everyFrame,
      clock: opts.clock,
      corruptLine: CORRUPT_LINE,
      // A recording whose tail is damaged still delivered its frames: the replay ends, not fails.
      toleratesLateFailure: true,
      installHint: 'install ffmpeg (apt-get install ffmpeg)',
      command: [
        'ffmpeg',
        ...['-hide_banner', '-nostdin', '-loglevel', 'warning', '-fflags', '+discardcorrupt'],
        ...opts.inputArgs,
        ...['-an', '-sn', '-vf', `scale=${opts.width}:${opts.height}`, '-fps_mode', 'passthrough'],
        ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
      ],
    });
  }
}
