/**
 * A streaming reader for one JSON shape: a top-level object whose named array members may hold
 * millions of elements (the hotlist document's `entries` and `removes`). Memory stays bounded by
 * the largest single element: each element's text is found by scanning (strings, escapes and
 * nesting), then parsed with JSON.parse. Every event carries the line it starts on.
 */
export type JsonEvent =
  | { kind: 'member'; key: string; value: unknown; line: number }
  | { kind: 'array-start'; key: string; line: number }
  | { kind: 'item'; key: string; index: number; value: unknown; line: number }
  | { kind: 'array-end'; key: string; count: number; line: number };

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'JsonSyntaxError';
  }
}

/** One element (or one top-level member's value) larger than this is not a hotlist entry. */
const MAX_VALUE = 1024 * 1024;

class Reader {
  buf = '';
  pos = 0;
  line = 1;
  eof = false;
  private first = true;

  constructor(private readonly it: AsyncIterator<string>) {}

  /** Append the next chunk; false at the end of the input. */
  async more(): Promise<boolean> {
    if (this.eof) return false;
    const r = await this.it.next();
    if (r.done) {
      this.eof = true;
      return false;
    }
    let chunk = String(r.value);
    if (this.first && chunk.length > 0) {
      this.first = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    this.buf = this.buf.slice(this.pos) + chunk;
    this.pos = 0;
    return true;
  }

  /** Skip white space (counting lines); the next character, or undefined at the end. */
  async peek(): Promise<string | undefined> {
    for (;;) {
      while (this.pos < this.buf.length) {
        const c = this.buf.charCodeAt(this.pos);
        if (c === 0x0a) this.line++;
        else if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return this.buf[this.pos];
        this.pos++;
      }
      if (!(await this.more())) return undefined;
    }
  }

  /** The text of one complete JSON value starting at the current position (after peek). */
  async valueText(what: string): Promise<{ text: string; line: number }> {
    const line = this.line;
    for (;;) {
      const end = scanValue(this.buf, this.pos, this.eof);
      if (end >= 0) {
        const text = this.buf.slice(this.pos, end);
        this.pos = end;
        this.line += countLines(text);
        return { text, line };
      }
      if (this.eof)
        throw new JsonSyntaxError(
          `the file ends inside ${what}: the JSON is truncated (an incomplete download?)`,
          line,
        );
      if (this.buf.length - this.pos > MAX_VALUE)
        throw new JsonSyntaxError(`${what} is larger than 1 MB: not a hotlist document?`, line);
      await this.more();
    }
  }

  async value(what: string): Promise<{ value: unknown; line: number }> {
    const { text, line } = await this.valueText(what);
    try {
      return { value: JSON.parse(text), line };
    } catch (err) {
      throw new JsonSyntaxError(`${what} is not valid JSON (${(err as Error).message})`, line);
    }
  }

  describe(c: string | undefined): string {
    return c === undefined ? 'the end of the file' : JSON.stringify(c);
  }
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * End (exclusive) of the JSON value starting at s[i], or -1 when the buffer ends first. Only the
 * extent is found here (brackets and strings); JSON.parse checks the rest.
 */
function scanValue(s: string, i: number, eof: boolean): number {
  const c = s.charCodeAt(i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const ch = s.charCodeAt(j);
      if (ch === 0x22) {
        j = stringEnd(s, j);
        if (j < 0) return -1;
      } else if (ch === 0x7b || ch === 0x5b) depth++;
      else if (ch === 0x7d || ch === 0x5d) {
        if (--depth === 0) return j + 1;
      }
    }
    return -1;
  }
  if (c === 0x22) {
    const j = stringEnd(s, i);
    return j < 0 ? -1 : j + 1;
  }
  // A number or literal ends at a delimiter.
  let j = i;
  while (j < s.length && !/[\s,\]}]/.test(s[j]!)) j++;
  if (j === s.length && !eof) return -1;
  return j === i ? i + 1 : j;
}

/** Index of the quote closing the string opened at s[i], or -1 when the buffer ends first. */
function stringEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const ch = s.charCodeAt(j);
    if (ch === 0x5c) j++;
    else if (ch === 0x22) return j;
  }
  return -1;
}

/**
 * Events of a top-level JSON object read from `chunks`: each member, except the members named in
 * `streamed` whose value is an array: those come element by element.
 */
export async function* readJsonObject(
  chunks: AsyncIterable<string>,
  streamed: ReadonlySet<string>,
): AsyncGenerator<JsonEvent> {
  const r = new Reader(chunks[Symbol.asyncIterator]());
  const first = await r.peek();
  if (first !== '{')
    throw new JsonSyntaxError(`expected a JSON object ("{"), found ${r.describe(first)}`, r.line);
  r.pos++;
  const seen = new Set<string>();
  let c = await r.peek();
  if (c === '}') r.pos++;
  else {
    for (;;) {
      if (c !== '"')
        throw new JsonSyntaxError(
          c === undefined
            ? 'the file ends inside the top-level object: the JSON is truncated'
            : `expected a member name in quotes, found ${r.describe(c)}`,
          r.line,
        );
      const k = await r.value('a member name');
      const key = k.value as string;
      if (seen.has(key)) throw new JsonSyntaxError(`"${key}" appears twice`, k.line);
      seen.add(key);
      c = await r.peek();
      if (c !== ':') throw new JsonSyntaxError(`expected ":" after "${key}", found ${r.describe(c)}`, r.line);
      r.pos++;
      c = await r.peek();
      if (c === undefined) throw new JsonSyntaxError(`the file ends before the value of "${key}"`, r.line);
      if (streamed.has(key) && c === '[') {
        yield { kind: 'array-start', key, line: r.line };
        r.pos++;
        let index = 0;
        c = await r.peek();
        if (c === ']') r.pos++;
        else {
          for (;;) {
            if (c === undefined)
              throw new JsonSyntaxError(
                `the file ends after ${key}[${index - 1}]: the JSON is truncated`,
                r.line,
              );
            const v = await r.value(`${key}[${index}]`);
            yield { kind: 'item', key, index, value: v.value, line: v.line };
            index++;
            c = await r.peek();
            r.pos++;
            if (c === ']') break;
            if (c !== ',')
              throw new JsonSyntaxError(
                c === undefined
                  ? `the file ends after ${key}[${index - 1}]: the JSON is truncated`
                  : `expected "," or "]" after ${key}[${index - 1}], found ${r.describe(c)}`,
                r.line,
              );
            c = await r.peek();
          }
        }
        yield { kind: 'array-end', key, count: index, line: r.line };
      } else {
        const v = await r.value(`the value of "${key}"`);
        yield { kind: 'member', key, value: v.value, line: v.line };
      }
      c = await r.peek();
      r.pos++;
      if (c === '}') break;
      if (c !== ',')
        throw new JsonSyntaxError(
          c === undefined
            ? 'the file ends inside the top-level object: the JSON is truncated'
            : `expected "," or "}" after "${key}", found ${r.describe(c)}`,
          r.line,
        );
      c = await r.peek();
    }
  }
  const rest = await r.peek();
  if (rest !== undefined)
    throw new JsonSyntaxError(`text after the end of the JSON object: ${r.describe(rest)}`, r.line);
}
