import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SourceError } from './types.js';

const run = promisify(execFile);
/** A local file answers in well under a second; a hung mount or device must not hold a start. */
const PROBE_TIMEOUT_MS = 20_000;

export interface VideoInfo {
  /**
   * Size of the frames as shown, which is the size ffmpeg decodes them at: a video with rotation
   * metadata (a phone held upright records landscape frames marked "turn 90 degrees") is turned
   * upright by ffmpeg's autorotation, so its coded width and height are swapped here.
   */
  width: number;
  height: number;
  /**
   * Frames per second from the stream header (average rate), or null when unknown. Frames are
   * timed by their own presentation times; this is only assumed for a frame without one.
   */
  fps: number | null;
  /** UTC ms from the container's creation_time tag, when the recorder wrote one. */
  createdAt: number | null;
  /** Frame count from the header, when the container records one. */
  frames: number | null;
  /** The container's duration in ms, when it records one (a cut-off recording may not). */
  durationMs: number | null;
  /** The container as ffprobe names it (`format_name`: "mpegts", "mov,mp4,m4a,3gp,3g2,mj2"), or null. */
  format: string | null;
}

/**
 * Ask ffprobe what the first video stream of a file is; fails with a one-line SourceError naming
 * `what` the file should have been.
 */
export async function probeVideo(
  file: string,
  what: 'video' | 'image' = 'video',
  timeoutMs = PROBE_TIMEOUT_MS,
  /** ffprobe options for the input, before it (a stream's transport and timeout). */
  inputArgs: string[] = [],
): Promise<VideoInfo> {
  let stdout: string;
  try {
    ({ stdout } = await run(
      'ffprobe',
      [
        '-v',
        'error',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=width,height,avg_frame_rate,r_frame_rate,nb_frames:stream_tags=rotate:stream_side_data=rotation:format=format_name,duration:format_tags=creation_time',
        '-of',
        'json',
        ...inputArgs,
        file,
      ],
      { timeout: timeoutMs },
    ));
  } catch (err) {
    const e = err as { stderr?: string; code?: string; killed?: boolean };
    if (e.code === 'ENOENT')
      throw new SourceError('ffprobe not found: install ffmpeg (apt-get install ffmpeg)', file);
    if (e.killed) throw new SourceError(`${file}: ffprobe gave no answer in ${timeoutMs / 1000} s`, file);
    const reason = (e.stderr ?? '').trim().split('\n').pop() || 'unreadable';
    throw new SourceError(`${file}: not a readable ${what} (${reason.replace(`${file}: `, '')})`, file);
  }
  const parsed = JSON.parse(stdout) as {
    streams?: {
      width?: number;
      height?: number;
      avg_frame_rate?: string;
      r_frame_rate?: string;
      nb_frames?: string;
      tags?: { rotate?: string };
      side_data_list?: { rotation?: number }[];
    }[];
    format?: { format_name?: string; duration?: string; tags?: { creation_time?: string } };
  };
  const stream = parsed.streams?.[0];
  if (!stream?.width || !stream.height)
    throw new SourceError(`${file}: ${what === 'image' ? 'not an image' : 'no video stream'}`, file);
  const created = parsed.format?.tags?.creation_time;
  // ffmpeg 5+ reports the display matrix as side data; older versions as a `rotate` tag.
  const rotation =
    stream.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation ??
    (Number(stream.tags?.rotate) || 0);
  const quarterTurn = Math.abs(Math.round(rotation)) % 180 === 90;
  return {
    width: quarterTurn ? stream.height : stream.width,
    height: quarterTurn ? stream.width : stream.height,
    fps: parseRate(stream.avg_frame_rate) ?? parseRate(stream.r_frame_rate),
    createdAt: created ? Date.parse(created) || null : null,
    frames: stream.nb_frames ? Number(stream.nb_frames) || null : null,
    durationMs: parseDuration(parsed.format?.duration),
    format: parsed.format?.format_name ?? null,
  };
}

/** ffprobe's seconds ("2.000000"; "N/A" when unknown) in ms, or null. */
function parseDuration(seconds: string | undefined): number | null {
  const s = Number(seconds);
  return seconds && Number.isFinite(s) && s > 0 ? Math.round(s * 1000) : null;
}

function parseRate(rate: string | undefined): number | null {
  if (!rate) return null;
  const [num, den] = rate.split('/').map(Number);
  if (!num || !den) return null;
  return num / den;
}
