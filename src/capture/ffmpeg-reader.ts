import { PipeReader, type FrameClock, type FrameTime } from './pipe-reader.js';

export interface FfmpegReaderOptions {
  id: string;
  /** Everything before the output options: e.g. ['-re', '-i', 'file.mp4'] or v4l2/rtsp input args. */
  inputArgs: string[];
  /** Size of the decoded frames (ffmpeg scales to it if the input differs). */
  width: number;
  height: number;
  /**
   * Recordings: UTC ms of the first frame (or, `fromFileStart`, of the file's start: its
   * creation time), and the frame rate to assume for a frame without a presentation time. Each
   * frame is then timed by its own presentation time, so a variable frame rate recording (phones
   * record so) keeps its real times. Without it (live cameras) frames are timed as they arrive.
   */
  timeline?: {
    start: number;
    fps: number;
    fromFileStart?: boolean;
    frames?: number | null;
    /** Known before decoding: the file was cut (an MPEG-TS file ending inside a packet), and how. */
    cut?: string | null;
  };
  /**
   * The input stream to decode (`-map`), e.g. `0:v:0`, the one probed; default ffmpeg's own
   * choice (a video stream marked default, else the one of the highest resolution).
   */
  stream?: string;
  /** Deliver every frame (back-pressure) instead of dropping to the latest. */
  everyFrame: boolean;
  /** What the user asked to read, for error messages (a path or a URL without credentials). */
  label: string;
  /**
   * Fail when ffmpeg writes no frame for this long: a looping recording (`-stream_loop -1`) with
   * nothing decodable left goes round forever without one, and without ending.
   */
  stallMs?: number;
}

/** Lines that say why a recording gave nothing: its data ends early or is not what it claims. */
const TRUNCATED_LINE =
  /partial file|moov atom not found|Invalid data found|truncat|end of file|ended prematurely/i;

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
    const timeline = opts.timeline;
    // A recording's frames are described on stderr by the showinfo filter (its per-frame checksums
    // off: they would cost a pass over every frame), which logs at info level; the level tag on
    // each line tells those apart from warnings and errors.
    const logging = timeline ? ['-nostats', '-loglevel', 'level+info'] : ['-loglevel', 'warning'];
    const filter = `scale=${opts.width}:${opts.height}` + (timeline ? ',showinfo=checksum=0' : '');
    super({
      id: opts.id,
      label: opts.label,
      width: opts.width,
      height: opts.height,
      everyFrame: opts.everyFrame,
      clock: timeline
        ? new PresentationClock(timeline.start, timeline.fps, timeline.fromFileStart ?? false)
        : undefined,
      corruptLine: CORRUPT_LINE,
      ...(timeline
        ? {
            causeLine: TRUNCATED_LINE,
            noFrame: 'no frame could be decoded',
            expectedFrames: timeline.frames,
            cut: timeline.cut,
          }
        : {}),
      stallMs: opts.stallMs,
      // A recording whose tail is damaged still delivered its frames: the replay ends, not fails.
      toleratesLateFailure: true,
      installHint: 'install ffmpeg (apt-get install ffmpeg)',
      command: [
        'ffmpeg',
        ...['-hide_banner', '-nostdin', ...logging, '-fflags', '+discardcorrupt'],
        ...opts.inputArgs,
        ...(opts.stream ? ['-map', opts.stream] : []),
        ...['-an', '-sn', '-vf', filter, '-fps_mode', 'passthrough'],
        ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
      ],
    });
  }
}

/**
 * `[context @ 0x…] [level] text` as ffmpeg prints it with `-loglevel level+…`. The text may be
 * empty: showinfo ends a frame's side data (x264's SEI on each loop's first frame) with a line
 * that is only the tag and a space, and that line is its own, not a diagnostic.
 */
const LEVEL_TAG = /^((?:\[[^\]]* @ 0x[0-9a-f]+\] )?)\[(\w+)\](?: |$)/;
const DIAGNOSTIC = new Set(['panic', 'fatal', 'error', 'warning']);
const TIME_BASE = /config in time_base: (\d+)\/(\d+)/;
const FRAME_PTS = /\bn:\s*\d+ pts:\s*(-?\d+)/;

/**
 * Times a recording's frames by their presentation times (pts × time base), which the showinfo
 * filter prints, one line per frame in output order (`-fps_mode passthrough` neither drops nor
 * repeats a frame), before ffmpeg writes that frame to stdout; the two pipes are read
 * independently, so a frame may wait briefly for its line. The monotonic time is the recording's
 * own timeline, measured from its first frame (it also keeps rising across `-stream_loop` loops);
 * the wall-clock time is the recording's start plus it. ffmpeg's timeline starts at the earliest
 * stream of the file, not at the video: cut DVR segments start their video late, and a file whose
 * audio starts first puts the first frame seconds in. The start given is the first frame's time,
 * unless it is the file's own creation time (`fromFileStart`): then the first frame really came
 * that far into the file, and keeps its place.
 */
class PresentationClock implements FrameClock {
  /** Seconds per pts unit, from the filter's configuration line. */
  private timeBase = 0;
  /** Presentation times (ms) of frames described but not yet taken. */
  private readonly pending: number[] = [];
  private waiting: ((ms: number) => void) | null = null;
  private ended = false;
  private lastMs: number | null = null;
  /** The first frame's presentation time on ffmpeg's timeline (ms): the recording's 0. */
  private origin: number | null = null;

  constructor(
    private readonly start: number,
    private readonly fps: number,
    private readonly fromFileStart: boolean,
  ) {}

  time(): FrameTime | Promise<FrameTime> {
    const ms = this.pending.shift();
    if (ms !== undefined) return this.at(ms);
    // No line will come for it (not expected): one nominal frame after the last.
    if (this.ended) return this.at(this.next());
    return new Promise((resolve) => (this.waiting = (t) => resolve(this.at(t))));
  }

  line(line: string): string | null {
    const tag = LEVEL_TAG.exec(line);
    if (!tag) return line;
    if (DIAGNOSTIC.has(tag[2]!)) {
      const text = line.slice(tag[0].length).trim();
      return text ? tag[1] + text : null;
    }
    if (!line.includes('Parsed_showinfo')) return null;
    const base = TIME_BASE.exec(line);
    if (base) this.timeBase = Number(base[1]) / Number(base[2]);
    const frame = FRAME_PTS.exec(line);
    if (frame)
      this.push(this.timeBase ? this.fromFirst(Number(frame[1]) * this.timeBase * 1000) : this.next());
    // A frame without a pts ("pts:NOPTS") is placed one nominal frame after the last.
    else if (/\bn:\s*\d+ pts:/.test(line)) this.push(this.next());
    return null;
  }

  end(): void {
    this.ended = true;
    this.waiting?.(this.next());
    this.waiting = null;
  }

  private push(ms: number): void {
    this.lastMs = ms;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve(ms);
    } else this.pending.push(ms);
  }

  /** A presentation time (ms on ffmpeg's timeline) as time since the recording's first frame. */
  private fromFirst(ms: number): number {
    // Frames before it without a pts were placed a nominal frame apart from 0; this one follows them.
    this.origin ??= this.fromFileStart ? 0 : ms - (this.lastMs === null ? 0 : this.lastMs + 1000 / this.fps);
    return ms - this.origin;
  }

  /** One nominal frame after the last frame timed. */
  private next(): number {
    this.lastMs = this.lastMs === null ? 0 : this.lastMs + 1000 / this.fps;
    return this.lastMs;
  }

  private at(ms: number): FrameTime {
    return { ts: Math.round(this.start + ms), mono: ms };
  }
}
