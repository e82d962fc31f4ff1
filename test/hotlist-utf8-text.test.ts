import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NotUtf8Error, readUtf8Text } from '../src/hotlist/utf8-text.js';

/**
 * The importers' reader of a file's text, in reads of every size from one byte: each multi-byte
 * character and each line break falls across a boundary in some of them. (The CLI tests split a
 * character once, at the importers' real read sizes.)
 */

let dir: string;
beforeAll(() => void (dir = mkdtempSync(path.join(os.tmpdir(), 'utf8-text-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function read(content: Buffer, chunkBytes: number): Promise<string> {
  const file = path.join(dir, 'text');
  writeFileSync(file, content);
  let text = '';
  for await (const piece of readUtf8Text(file, chunkBytes)) text += piece;
  return text;
}

async function refusal(content: Buffer, chunkBytes: number): Promise<NotUtf8Error> {
  try {
    await read(content, chunkBytes);
  } catch (err) {
    expect(err).toBeInstanceOf(NotUtf8Error);
    return err as NotUtf8Error;
  }
  throw new Error('expected the text to be refused');
}

describe('readUtf8Text', () => {
  it('passes UTF-8 text through whole, a byte-order mark included, however the reads fall', async () => {
    const text = '\uFEFFplate,vehicle\r\nA1,Citroën\n€1,\u{1F697} x\rB1,é\r\n';
    for (let chunk = 1; chunk <= 9; chunk++) expect(await read(Buffer.from(text), chunk)).toBe(text);
  });

  it('refuses the first byte that is not UTF-8, on its line (LF, CRLF or CR ends a line)', async () => {
    const cases: [string, Buffer, number, number][] = [
      ['Latin-1 "ë"', Buffer.from('plate\r\nCitroën\n', 'latin1'), 2, 0xeb],
      ['after a lone CR', Buffer.concat([Buffer.from('a\rb\r'), Buffer.from([0xe9])]), 3, 0xe9],
      ['a character the file ends inside', Buffer.from('a\nb\n€').subarray(0, -1), 3, 0xe2],
      ['an encoded surrogate', Buffer.concat([Buffer.from('a\n'), Buffer.from([0xed, 0xa0, 0x80])]), 2, 0xed],
      ['an overlong "/"', Buffer.concat([Buffer.from('a\n\n'), Buffer.from([0xc0, 0xaf])]), 3, 0xc0],
      ['a lone continuation byte', Buffer.concat([Buffer.from('€\n'), Buffer.from([0x80])]), 2, 0x80],
    ];
    for (const [what, content, line, byte] of cases)
      for (let chunk = 1; chunk <= 7; chunk++) {
        const err = await refusal(content, chunk);
        expect({ what, chunk, line: err.line, byte: err.byte }).toEqual({ what, chunk, line, byte });
      }
    expect((await refusal(cases[0]![1], 4096)).message).toBe(
      'line 2: byte 0xEB is not UTF-8 text (the file is in another encoding, such as Windows-1252 or Latin-1); ' +
        'save the file as UTF-8 and import it again',
    );
  });
});
