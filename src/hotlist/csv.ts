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

export async function* readCsv(chunks: AsyncIterable<string>, delimiter = ','): AsyncGenerator<CsvRecord> {
  let fields: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let afterQuote = false; // just closed a quoted field
  let line = 1;
  let recordLine = 1;
  let first = true;
  let pendingCR = false;
  let quotedCR = false;
  let any = false; // the current record has content

  let carry = '';
  const feed = (chunk: string, last: boolean): CsvRecord[] => {
    const out: CsvRecord[] = [];
    for (let i = 0; i < chunk.length; i++) {
      // Fast path: at the start of a record, a whole line without quotes is split in one go.
      if (!quoted && !afterQuote && !pendingCR && !any && field.length === 0 && fields.length === 0) {
        const nl = chunk.indexOf('\n', i);
        if (nl >= 0) {
          const q = chunk.indexOf('"', i);
          if (q < 0 || q > nl) {
            let end = nl;
            if (end > i && chunk[end - 1] === '\r') end--;
            const text = chunk.slice(i, end);
            if (text.includes('\r') || text.includes('\0')) {
              // Rare: bare CR line ends or binary data; let the character loop handle and report them.
            } else {
              if (text.length > MAX_FIELD)
                throw new CsvSyntaxError(
                  `line ${line}: a line longer than 64 KiB: this is not a hotlist CSV file`,
                  line,
                );
              if (text.length > 0) out.push({ line, fields: text.split(delimiter) });
              line++;
              recordLine = line;
              i = nl;
              continue;
            }
          }
        }
      }
      const c = chunk[i] as string;
      if (c === '\0')
        throw new CsvSyntaxError(`line ${line}: binary data (a NUL byte): this is not a CSV text file`, line);
      if (pendingCR) {
        pendingCR = false;
        if (c === '\n') continue;
      }
      if (quoted) {
        if (c === '"') {
          if (i + 1 === chunk.length && !last) {
            // A quote at the end of a chunk may be the first of a doubled pair: decide with the next chunk.
            carry = '"';
            break;
          }
          if (chunk[i + 1] === '"') {
            field += '"';
            i++;
          } else {
            quoted = false;
            afterQuote = true;
          }
        } else {
          // Line breaks inside quotes belong to the field; count them for line numbers (CRLF once).
          if (c === '\r' || (c === '\n' && !quotedCR)) line++;
          quotedCR = c === '\r';
          field += c;
        }
        if (field.length > MAX_FIELD)
          throw new CsvSyntaxError(
            `line ${recordLine}: a quoted field runs past 64 KiB (unbalanced quote?)`,
            recordLine,
          );
        continue;
      }
      if (c === delimiter) {
        fields.push(field);
        field = '';
        afterQuote = false;
        any = true;
      } else if (c === '\n' || c === '\r') {
        if (c === '\r') pendingCR = true;
        if (any || field.length > 0 || afterQuote) {
          fields.push(field);
          out.push({ line: recordLine, fields });
        }
        fields = [];
        field = '';
        afterQuote = false;
        any = false;
        line++;
        recordLine = line;
      } else if (c === '"' && field.length === 0 && !afterQuote) {
        quoted = true;
        any = true;
      } else {
        if (afterQuote)
          throw new CsvSyntaxError(
            `line ${line}: text after a closing quote; quote the whole field and double inner quotes`,
            line,
          );
        field += c;
        if (field.length > MAX_FIELD)
          throw new CsvSyntaxError(
            `line ${recordLine}: a field longer than 64 KiB: this is not a hotlist CSV file`,
            recordLine,
          );
      }
    }
    return out;
  };
  for await (let chunk of chunks) {
    if (first) {
      first = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    chunk = carry + chunk;
    carry = '';
    yield* feed(chunk, false);
  }
  if (carry) yield* feed(carry, true);
  if (quoted) throw new CsvSyntaxError(`line ${recordLine}: a quoted field is never closed`, recordLine);
  if (any || field.length > 0 || afterQuote) {
    fields.push(field);
    yield { line: recordLine, fields };
  }
}
