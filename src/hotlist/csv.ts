/**
 * A streaming RFC 4180 reader: quoted fields (with doubled quotes and line breaks inside), CRLF or
 * LF, a UTF-8 byte-order mark, any one-character delimiter. Each record carries the line number it
 * starts on, so a bad row can be reported as the user sees it in an editor.
 */
export interface CsvRecord {
  line: number;
  fields: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

/** A field longer than this is not a hotlist value: the file is most likely not CSV. */
const MAX_FIELD = 64 * 1024;

/**
 * Push parser: `push` each chunk of text, `end` after the last; records are handed to `emit` as
 * they complete, synchronously, so a caller can store each one inside its own write transaction
 * without holding a chunk's worth of records in memory.
 */
export class CsvParser {
  private fields: string[] = [];
  private field = '';
  private quoted = false; // inside a quoted field
  private afterQuote = false; // just closed a quoted field
  private line = 1;
  private recordLine = 1;
  private first = true;
  private pendingCR = false;
  private quotedCR = false;
  private any = false; // the current record has content
  private carry = '';

  constructor(private readonly delimiter = ',') {}

  push(text: string, emit: (rec: CsvRecord) => void): void {
    if (this.first) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const chunk = this.carry + text;
    this.carry = '';
    this.feed(chunk, false, emit);
  }

  end(emit: (rec: CsvRecord) => void): void {
    if (this.carry) {
      const c = this.carry;
      this.carry = '';
      this.feed(c, true, emit);
    }
    if (this.quoted)
      throw new CsvSyntaxError(`line ${this.recordLine}: a quoted field is never closed`, this.recordLine);
    if (this.any || this.field.length > 0 || this.afterQuote) {
      this.fields.push(this.field);
      emit({ line: this.recordLine, fields: this.fields });
      this.fields = [];
      this.field = '';
      this.any = false;
      this.afterQuote = false;
    }
  }

  private feed(chunk: string, last: boolean, emit: (rec: CsvRecord) => void): void {
    const delimiter = this.delimiter;
    for (let i = 0; i < chunk.length; i++) {
      // Fast path: at the start of a record, a whole line is split in one go (quoted fields
      // included, when the line's quotes are balanced and no field spans lines).
      if (
        !this.quoted &&
        !this.afterQuote &&
        !this.pendingCR &&
        !this.any &&
        this.field.length === 0 &&
        this.fields.length === 0
      ) {
        const nl = chunk.indexOf('\n', i);
        if (nl >= 0) {
          let end = nl;
          if (end > i && chunk.charCodeAt(end - 1) === 13) end--;
          const text = chunk.slice(i, end);
          if (text.length > MAX_FIELD)
            throw new CsvSyntaxError(
              `line ${this.line}: a line longer than 64 KiB: this is not a hotlist CSV file`,
              this.line,
            );
          if (!text.includes('\r') && !text.includes('\0')) {
            const fields = text.includes('"') ? splitQuoted(text, delimiter) : text.split(delimiter);
            // Otherwise (a field running over lines, text after a closing quote...): the character
            // loop below handles and reports it.
            if (fields) {
              if (text.length > 0) emit({ line: this.line, fields });
              this.line++;
              this.recordLine = this.line;
              i = nl;
              continue;
            }
          }
        }
      }
      const c = chunk[i] as string;
      if (c === '\0')
        throw new CsvSyntaxError(
          `line ${this.line}: binary data (a NUL byte): this is not a CSV text file`,
          this.line,
        );
      if (this.pendingCR) {
        this.pendingCR = false;
        if (c === '\n') continue;
      }
      if (this.quoted) {
        if (c === '"') {
          if (i + 1 === chunk.length && !last) {
            // A quote at the end of a chunk may be the first of a doubled pair: decide with the next chunk.
            this.carry = '"';
            break;
          }
          if (chunk[i + 1] === '"') {
            this.field += '"';
            i++;
          } else {
            this.quoted = false;
            this.afterQuote = true;
          }
        } else {
          // Line breaks inside quotes belong to the field; count them for line numbers (CRLF once).
          if (c === '\r' || (c === '\n' && !this.quotedCR)) this.line++;
          this.quotedCR = c === '\r';
          this.field += c;
        }
        if (this.field.length > MAX_FIELD)
          throw new CsvSyntaxError(
            `line ${this.recordLine}: a quoted field runs past 64 KiB (unbalanced quote?)`,
            this.recordLine,
          );
        continue;
      }
      if (c === delimiter) {
        this.fields.push(this.field);
        this.field = '';
        this.afterQuote = false;
        this.any = true;
      } else if (c === '\n' || c === '\r') {
        if (c === '\r') this.pendingCR = true;
        if (this.any || this.field.length > 0 || this.afterQuote) {
          this.fields.push(this.field);
          emit({ line: this.recordLine, fields: this.fields });
        }
        this.fields = [];
        this.field = '';
        this.afterQuote = false;
        this.any = false;
        this.line++;
        this.recordLine = this.line;
      } else if (c === '"' && this.field.length === 0 && !this.afterQuote) {
        this.quoted = true;
        this.any = true;
      } else {
        if (this.afterQuote)
          throw new CsvSyntaxError(
            `line ${this.line}: text after a closing quote; quote the whole field and double inner quotes`,
            this.line,
          );
        this.field += c;
        if (this.field.length > MAX_FIELD)
          throw new CsvSyntaxError(
            `line ${this.recordLine}: a field longer than 64 KiB: this is not a hotlist CSV file`,
            this.recordLine,
          );
      }
    }
  }
}

/**
 * One line with quoted fields, or null when the line is not complete or not simple: a quote left
 * open (the field goes on past the line end), or text after a closing quote (reported by the
 * character loop).
 */
function splitQuoted(text: string, delimiter: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === 34) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) return null;
        value += text.slice(j, q);
        if (text.charCodeAt(q + 1) === 34) {
          value += '"';
          j = q + 2;
          continue;
        }
        j = q + 1;
        break;
      }
      out.push(value);
      if (j === text.length) return out;
      if (text[j] !== delimiter) return null;
      i = j + 1;
      if (i === text.length) {
        out.push('');
        return out;
      }
    } else {
      const d = text.indexOf(delimiter, i);
      const end = d < 0 ? text.length : d;
      const value = text.slice(i, end);
      if (value.includes('"')) return null; // a quote inside an unquoted field: let the loop decide
      out.push(value);
      if (d < 0) return out;
      i = d + 1;
      if (i === text.length) {
        out.push('');
        return out;
      }
    }
  }
}

export async function* readCsv(chunks: AsyncIterable<string>, delimiter = ','): AsyncGenerator<CsvRecord> {
  const parser = new CsvParser(delimiter);
  let out: CsvRecord[] = [];
  const emit = (r: CsvRecord) => void out.push(r);
  for await (const chunk of chunks) {
    parser.push(chunk, emit);
    yield* out;
    out = [];
  }
  parser.end(emit);
  yield* out;
}
