import { createReadStream } from 'node:fs';

/**
 * A file's text, read strictly as UTF-8 in chunks. Decoding leniently would turn each byte of
 * another encoding (a Latin-1 "ë", say) into U+FFFD and import the damaged text without a word;
 * here the first such byte stops the read, with the line it is on.
 */

/** Bytes that are not UTF-8, on a line of the file (counted as the readers count: LF, CRLF or CR). */
export class NotUtf8Error extends Error {
  constructor(
    readonly line: number,
    readonly byte: number,
  ) {
    super(
      `line ${line}: byte 0x${byte.toString(16).toUpperCase().padStart(2, '0')} is not UTF-8 text ` +
        `(the file is in another encoding, such as Windows-1252 or Latin-1); save the file as UTF-8 and import it again`,
    );
    this.name = 'NotUtf8Error';
  }
}

/**
 * The text of `file`, `chunkBytes` at a time. A character split between two reads is held back
 * and decoded whole with the next. A byte-order mark is passed on (the readers drop it).
 */
export async function* readUtf8Text(file: string, chunkBytes: number): AsyncGenerator<string> {
  // ignoreBOM: a BOM is kept as U+FEFF rather than dropped at the start of every decode() call,
  // where one would be a character of the text that merely falls at a chunk's start.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const lines = new LineCounter();
  let held: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: chunkBytes })) {
    const bytes: Buffer = held.length > 0 ? Buffer.concat([held, chunk as Buffer]) : (chunk as Buffer);
    const whole = bytes.length - unfinishedTail(bytes);
    held = Buffer.from(bytes.subarray(whole));
    const text = decode(decoder, bytes.subarray(0, whole), lines);
    lines.count(text);
    yield text;
  }
  // A character the file ends in the middle of.
  if (held.length > 0) decode(decoder, held, lines);
}

/** `bytes` as text, or a NotUtf8Error naming the line of the first byte that is not UTF-8. */
function decode(decoder: TextDecoder, bytes: Uint8Array, lines: LineCounter): string {
  try {
    return decoder.decode(bytes);
  } catch {
    const bad = Math.min(firstInvalid(bytes), bytes.length - 1);
    lines.count(decoder.decode(bytes.subarray(0, bad)));
    throw new NotUtf8Error(lines.lineOfNext(), bytes[bad]!);
  }
}

/**
 * How many bytes at the end of `b` begin a character the next chunk completes (0–3): the last
 * lead byte, when fewer of its continuation bytes follow than it announces.
 */
function unfinishedTail(b: Uint8Array): number {
  for (let k = 1; k <= Math.min(3, b.length); k++) {
    const c = b[b.length - k]!;
    if ((c & 0xc0) === 0x80) continue; // a continuation byte: its lead is further back
    const length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return length > k ? k : 0;
  }
  return 0;
}

/** Offset of the start of the first byte sequence that is not UTF-8 (RFC 3629), or b.length. */
function firstInvalid(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    // Continuation bytes, and the range the first of them must be in (no overlong forms, no
    // surrogates, nothing past U+10FFFF).
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return b.length;
}

/** Line breaks seen so far: LF, CRLF (once) or a lone CR, as the CSV reader counts them. */
class LineCounter {
  private line = 1;
  private endsInCR = false;

  /** The line of the character after the text counted so far, when that character is no LF. */
  lineOfNext(): number {
    return this.endsInCR ? this.line + 1 : this.line;
  }

  count(text: string): void {
    if (text.length === 0) return;
    let breaks = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) breaks++;
    for (let i = text.indexOf('\r'); i >= 0; i = text.indexOf('\r', i + 1))
      if (text.charCodeAt(i + 1) !== 10 && i + 1 < text.length) breaks++;
    // A CR that ended the previous text is a line break of its own unless this text starts with its LF.
    if (this.endsInCR && text.charCodeAt(0) !== 10) breaks++;
    this.endsInCR = text.charCodeAt(text.length - 1) === 13;
    this.line += breaks;
  }
}
