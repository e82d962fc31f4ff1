import { statSync, openSync, readSync, closeSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ROW_FIELDS, type ColumnMapping, type RowField } from './config.js';
import { CsvParser, CsvSyntaxError, type CsvRecord } from './csv.js';
import { readJsonObject, JsonSyntaxError } from './json-stream.js';
import { readExpiry } from './expiry.js';
import { NotUtf8Error, readUtf8Text } from './utf8-text.js';
import { normalisePlate, normaliseState, plateProblem } from './normalise.js';
import { conflictMessage, type EntryField } from './conflicts.js';
import { generatedInFuture } from './currency.js';
import { inputFileProblem } from '../util/input-file.js';
import { monotonicMs } from '../util/clock.js';
import type { DeltaCounts, EntryKey, HotlistStore, StagedVersion, VersionMeta } from './store.js';
import {
  DEFAULT_PRIORITY,
  listIdProblem,
  listIdSchema,
  LIST_TYPES,
  LOCAL_LIST,
  LOCAL_SOURCE,
  PRIORITIES,
  REASON_MAX_CHARS,
  TEXT_MAX_CHARS,
  type AuditSink,
  type EntryInput,
  type ListType,
  type Priority,
} from './types.js';

export class InputError extends Error {
  constructor(
    message: string,
    readonly problems: RowProblem[] = [],
  ) {
    super(message);
    this.name = 'InputError';
  }
}

export interface RowProblem {
  /** 1-based line in the file where the row (CSV) or element (JSON) starts; 0 when not one place. */
  line: number;
  where: string;
  message: string;
}

export interface ImportOptions {
  file: string;
  format?: 'csv' | 'json';
  /** List id; CSV default: the file name without extension. JSON: from the document. */
  listId?: string;
  /** Default list type for rows without one (and the list's type). */
  type?: ListType;
  mode?: 'replace' | 'delta';
  /** Strict (default): any bad row rejects the file. Lenient: bad rows are skipped and reported. */
  strict?: boolean;
  mapping?: ColumnMapping;
  version?: string;
  /** When HQ generated the list (UTC ms); CSV default: the file's modification time. */
  generatedAt?: number;
  source?: string;
  actor: string;
  audit: AuditSink;
  now?: () => number;
}

export interface ImportReport {
  listId: string;
  version: string;
  mode: 'replace' | 'delta';
  format: 'csv' | 'json';
  rows: number;
  /** Entries new to the list. */
  imported: number;
  /** Delta: entries already on the list whose fields an add replaced. */
  updated: number;
  /** Copies identical to an entry given earlier in the file or (delta) already on the list. */
  duplicates: number;
  removed: number;
  /** Delta: removes that named no entry on the list. */
  notFound: number;
  skipped: RowProblem[];
  skippedCount: number;
  /**
   * Rows imported with a text cut to its limit (TEXT_MAX_CHARS, REASON_MAX_CHARS): one
   * message per text, naming the field, its length and what was kept.
   */
  cut: RowProblem[];
  cutCount: number;
  durationMs: number;
}

/** The longest entered_by an imported row keeps. */
const ENTERED_BY_MAX_CHARS = 100;

/**
 * The texts cut in the rows imported. A row's text over its limit is cut, not refused: a strict
 * import would reject the whole list for one long note (the previous, older list staying active),
 * a lenient one drop the row and the plate with it, while what a hit is matched and judged on
 * (plate, state, type, expiry, priority) is whole. But the cut is reported, never silent.
 */
class TextCuts {
  readonly kept: RowProblem[] = [];
  count = 0;
  note(line: number, where: string, messages: string[], withLine: boolean): void {
    for (const message of messages) {
      this.count++;
      if (this.kept.length < KEEP_PROBLEMS)
        this.kept.push({
          line,
          where,
          message: withLine && line > 0 ? `${message} (line ${line})` : message,
        });
    }
  }
}

/** Problems kept for the report; the count goes on past this. */
const KEEP_PROBLEMS = 100;
/**
 * Text read (and rows stored) per write transaction: about 60,000 short rows. Larger chunks mean
 * fewer commits (each rewrites the index pages it touched); smaller ones keep other writers (the
 * daemon storing reads) waiting less.
 */
const CSV_CHUNK = 4 << 20;

type RawRow = Partial<Record<Field, unknown>>;
type Field = RowField;
const FIELDS = ROW_FIELDS;

/** Header spellings accepted without a mapping ("License Plate", "list-type", "NCIC number", ...). */
const ALIASES: Record<string, Field> = {
  plate: 'plate',
  licenseplate: 'plate',
  plateno: 'plate',
  platenumber: 'plate',
  tag: 'plate',
  state: 'state',
  platestate: 'state',
  st: 'state',
  listtype: 'list_type',
  type: 'list_type',
  list: 'list_type',
  category: 'list_type',
  source: 'source',
  agency: 'source',
  reference: 'reference',
  ref: 'reference',
  referencenumber: 'reference',
  ncic: 'reference',
  ncicnumber: 'reference',
  caseno: 'reference',
  priority: 'priority',
  expires: 'expires',
  expiry: 'expires',
  expiresat: 'expires',
  expiration: 'expires',
  vehicle: 'vehicle',
  vehicledescription: 'vehicle',
  description: 'vehicle',
  reason: 'reason',
  notes: 'reason',
  reasonnotes: 'reason',
  enteredby: 'entered_by',
  action: 'action',
  op: 'action',
};

/** Import a hotlist file: CSV streamed row by row, or the project's JSON. Atomic: all or nothing. */
export async function importHotlist(store: HotlistStore, opts: ImportOptions): Promise<ImportReport> {
  // A duration: the monotonic clock (NTP or the GPS may step the wall clock mid-import).
  const started = monotonicMs();
  const format = opts.format ?? (opts.file.toLowerCase().endsWith('.json') ? 'json' : 'csv');
  try {
    // Inside the try: a file refused before its rows are read (UTF-16, a ZIP, a folder) is a
    // rejected import in the audit log like one refused for its rows.
    const stat = readableFile(opts.file);
    if (opts.type && !LIST_TYPES.includes(opts.type))
      throw new InputError(`--type "${opts.type}" is not a list type; use one of ${LIST_TYPES.join(', ')}`);
    sniffText(opts.file);
    const report =
      format === 'json' ? await importJson(store, opts) : await importCsv(store, opts, stat.mtimeMs);
    report.durationMs = Math.round(monotonicMs() - started);
    opts.audit.append({
      type: 'hotlist.import',
      actor: opts.actor,
      details: {
        file: path.basename(opts.file),
        list: report.listId,
        version: report.version,
        mode: report.mode,
        format,
        rows: report.rows,
        imported: report.imported,
        updated: report.updated,
        duplicates: report.duplicates,
        removed: report.removed,
        notFound: report.notFound,
        skipped: report.skippedCount,
        cut: report.cutCount,
      },
    });
    return report;
  } catch (err) {
    opts.audit.append({
      type: 'hotlist.import-rejected',
      actor: opts.actor,
      details: {
        file: path.basename(opts.file),
        list: opts.listId ?? null,
        format,
        error: (err as Error).message.slice(0, 2000),
      },
    });
    throw err;
  }
}

/** The file's stat, or an InputError saying why it cannot be imported. */
function readableFile(file: string) {
  let stat;
  try {
    stat = statSync(file);
  } catch (err) {
    throw new InputError(`hotlist ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  // A named pipe would block the import forever: refused, as a folder or device is.
  if (!stat.isFile())
    throw new InputError(`hotlist ${file}: ${inputFileProblem(file)?.message ?? 'not a file'}`);
  return stat;
}

/** Refuse binary files up front with a clear message instead of a pile of row errors. */
function sniffText(file: string): void {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const head = buf.subarray(0, n);
    // Before the NUL test: UTF-16 text is half NUL bytes, and is no binary file but a matter of saving it again.
    const encoding = otherUnicode(head);
    if (encoding)
      throw new InputError(
        `hotlist ${file}: ${encoding} text; save the file as UTF-8 (the encoding is chosen when saving: ` +
          `in Excel "CSV UTF-8", in an editor "UTF-8") and import it again`,
      );
    if (head.includes(0)) throw new InputError(`hotlist ${file}: binary data, not a CSV or JSON text file`);
    if (head[0] === 0x50 && head[1] === 0x4b)
      throw new InputError(`hotlist ${file}: a ZIP/XLSX archive, not CSV; export the sheet as CSV`);
  } finally {
    closeSync(fd);
  }
}

/** UTF-16 or UTF-32, as the byte-order mark a file starts with says (or UTF-16 by its NUL bytes); null for anything else. */
function otherUnicode(head: Buffer): string | null {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0xff, 0xfe, 0, 0) || starts(0, 0, 0xfe, 0xff)) return 'UTF-32';
  if (starts(0xff, 0xfe) || starts(0xfe, 0xff)) return 'UTF-16';
  // Without a byte-order mark: a list is mostly ASCII, which UTF-16 writes with a NUL in every
  // other byte (the second of each pair little-endian, the first big-endian), and in no other.
  const pairs = Math.floor(head.length / 2);
  let first = 0;
  let second = 0;
  for (let i = 0; i + 1 < head.length; i += 2) {
    if (head[i] === 0) first++;
    if (head[i + 1] === 0) second++;
  }
  if (pairs >= 2 && Math.min(first, second) === 0 && Math.max(first, second) >= pairs * 0.9) return 'UTF-16';
  return null;
}

// ---- CSV -----------------------------------------------------------------------------------------

async function importCsv(store: HotlistStore, opts: ImportOptions, mtimeMs: number): Promise<ImportReport> {
  const mode = opts.mode ?? 'replace';
  const strict = opts.strict ?? true;
  const mapping = opts.mapping;
  const delimiter = mapping?.delimiter ?? ',';
  const listId = opts.listId ?? listIdFromFile(opts.file);
  const now = opts.now ?? Date.now;
  const meta: VersionMeta = {
    listId,
    type: opts.type ?? 'mixed',
    version: opts.version ?? new Date(now()).toISOString(),
    generatedAt: opts.generatedAt ?? Math.round(mtimeMs),
    source: opts.source ?? null,
    importedBy: opts.actor,
  };
  if (opts.generatedAt !== undefined) notInFuture(meta.generatedAt, '--generated-at', now(), opts.file);
  else
    notInFuture(
      meta.generatedAt,
      "the file's modification time",
      now(),
      opts.file,
      'give that time with --generated-at',
    );
  notTheUnitsOwn(store, meta, opts.file);
  const problems: RowProblem[] = [];
  let problemCount = 0;
  const problem = (line: number, message: string) => {
    problemCount++;
    if (problems.length < KEEP_PROBLEMS) problems.push({ line, where: `line ${line}`, message });
  };

  let columns: Partial<Record<Field, number>> | null = null;
  let at: number[] = [];
  // Fields every row must have: the header's count (without a header, the first row's). A row
  // with more or fewer has a field split by an unquoted delimiter, or merged: its values would be
  // read from the wrong columns.
  let width = 0;
  let widthFrom = '';
  let rows = 0;
  const types = new Set<ListType>();
  // Adds are staged in a hidden version in both modes: replace activates it, delta merges it into
  // the active version in one transaction. Either way nothing is visible until the whole file is read.
  // An entry on two lines with different fields is a bad row (the later one): which is meant is a guess.
  const staged = store.stageVersion(meta, (c) =>
    problem(
      c.origin.line,
      conflictMessage(c, (line) => `line ${line}`, csvColumn),
    ),
  );
  const removes: EntryKey[] = [];
  const cuts = new TextCuts();
  const onRecord = (rec: CsvRecord) => {
    // A blank line, or a row of only delimiters (",,,": what a spreadsheet exports for an empty
    // row, often after the last one): no data to read, or to take for the header.
    if (rec.fields.every((f) => f.trim() === '')) return;
    if (!columns) {
      if (mapping && !mapping.header) {
        columns = columnsByIndex(mapping, opts.file);
      } else {
        columns = columnsFromHeader(rec.fields, mapping, opts, rec.line);
        at = FIELDS.map((f) => columns![f] ?? -1);
        width = rec.fields.length;
        widthFrom = 'the header';
        return;
      }
      at = FIELDS.map((f) => columns![f] ?? -1);
    }
    const fields = rec.fields;
    rows++;
    if (width === 0) {
      width = fields.length;
      widthFrom = `line ${rec.line}`;
    }
    if (fields.length !== width) {
      problem(
        rec.line,
        `${fields.length} field${fields.length === 1 ? '' : 's'} where ${widthFrom} has ${width}` +
          (fields.length > width ? `; quote a field that contains ${JSON.stringify(delimiter)}` : ''),
      );
      return;
    }
    const parsed = toEntry(rawRow(fields, at), opts, mapping);
    if (typeof parsed === 'string') {
      problem(rec.line, parsed);
      return;
    }
    types.add(parsed.entry.listType);
    if (parsed.action === 'remove') {
      if (mode !== 'delta') {
        problem(rec.line, `action "remove" only makes sense in a delta import (--delta)`);
        return;
      }
      removes.push({
        plate: parsed.entry.plate,
        state: parsed.entry.state,
        listType: parsed.entry.listType,
      });
    } else if (problemCount === 0 || !strict) {
      staged.insert(parsed.entry, { position: rec.line, line: rec.line });
      cuts.note(rec.line, `line ${rec.line}`, parsed.cut, false);
    }
  };
  // Each chunk of the file is parsed and stored in one write transaction, row by row as it is
  // parsed: no batch of rows is held in memory, and other writers wait at most one chunk.
  const parser = new CsvParser(delimiter);
  try {
    for await (const chunk of readUtf8Text(opts.file, CSV_CHUNK))
      staged.write(() => parser.push(chunk, onRecord));
    staged.write(() => parser.end(onRecord));
  } catch (err) {
    staged.abort();
    if (err instanceof CsvSyntaxError || err instanceof NotUtf8Error)
      throw new InputError(`hotlist ${opts.file}: ${err.message}; nothing imported`);
    throw err;
  }
  if (!columns) {
    staged.abort();
    throw new InputError(`hotlist ${opts.file}: empty file (no header row); nothing imported`);
  }
  if (problemCount > 0 && strict) {
    staged.abort();
    throw new InputError(
      `hotlist ${opts.file}: ${problemCount} bad row${problemCount > 1 ? 's' : ''}; nothing imported, the previous version stays active ` +
        `(use --lenient to skip bad rows): ${problems
          .slice(0, 10)
          .map((p) => `${p.where}: ${p.message}`)
          .join('; ')}`,
      problems,
    );
  }
  if (!opts.type) meta.type = types.size === 1 ? [...types][0]! : 'mixed';
  return finish(store, staged, meta, mode, 'csv', rows, removes, problems, problemCount, cuts, opts.file);
}

/** Refuse a list dated ahead of this unit's clock (see `generatedInFuture`). */
function notInFuture(generatedAt: number, field: string, now: number, file: string, how?: string): void {
  const problem = generatedInFuture(generatedAt, field, now, how);
  if (problem) throw new InputError(`hotlist ${file}: ${problem}; nothing imported`);
}

/**
 * The `local` list and the `local` source are the unit's own manual entries: never stale, and
 * open to officers' changes. An import under either name would make an agency list look like
 * that, or turn the unit's own list into one officers may no longer change.
 */
function notTheUnitsOwn(store: HotlistStore, meta: VersionMeta, file: string): void {
  if (meta.listId === LOCAL_LIST)
    throw new InputError(
      `hotlist ${file}: the list "${LOCAL_LIST}" holds the unit's manual entries (hotlist add, the console's watch list); import under another list id`,
    );
  // So does any other list officers made on the unit (hotlist add --list NAME): an import would
  // replace their entries and reasons, and close the list to them.
  if (store.madeOnUnit(meta.listId))
    throw new InputError(
      `hotlist ${file}: the list "${meta.listId}" holds manual entries made on this unit (hotlist add --list ${meta.listId}); import under another list id (--list NAME)`,
    );
  if (meta.source === LOCAL_SOURCE)
    throw new InputError(
      `hotlist ${file}: source "${LOCAL_SOURCE}" is reserved for the unit's own manual entries; name where the list came from (e.g. the agency or NCIC)`,
    );
}

/** Activate (replace) or merge (delta) a staged version and report. */
function finish(
  store: HotlistStore,
  staged: StagedVersion,
  meta: VersionMeta,
  mode: 'replace' | 'delta',
  format: 'csv' | 'json',
  rows: number,
  removes: EntryKey[],
  problems: RowProblem[],
  problemCount: number,
  cuts: TextCuts,
  file: string,
): ImportReport {
  if (mode === 'delta') {
    const d = store.applyDelta(meta, staged, removes);
    return report(meta, mode, format, rows, d, problems, problemCount, cuts);
  }
  try {
    staged.flush();
    if (staged.added === 0)
      throw new InputError(
        `hotlist ${file}: no valid entries; refusing to replace list "${meta.listId}" with an empty list`,
      );
    staged.activate();
  } catch (err) {
    staged.abort();
    throw err;
  }
  const counts = { added: staged.added, updated: 0, duplicates: staged.duplicates, removed: 0, notFound: 0 };
  return report(meta, mode, format, rows, counts, problems, problemCount, cuts);
}

/** The row's fields by name (one object shape for every row). */
function rawRow(f: string[], at: number[]): RawRow {
  const get = (i: number) => (at[i]! < 0 ? undefined : f[at[i]!]);
  return {
    plate: get(0),
    state: get(1),
    list_type: get(2),
    source: get(3),
    reference: get(4),
    priority: get(5),
    expires: get(6),
    vehicle: get(7),
    reason: get(8),
    entered_by: get(9),
    action: get(10),
  };
}

function report(
  meta: VersionMeta,
  mode: 'replace' | 'delta',
  format: 'csv' | 'json',
  rows: number,
  counts: DeltaCounts,
  skipped: RowProblem[],
  skippedCount: number,
  cuts: TextCuts,
): ImportReport {
  return {
    listId: meta.listId,
    version: meta.version,
    mode,
    format,
    rows,
    imported: counts.added,
    updated: counts.updated,
    duplicates: counts.duplicates,
    removed: counts.removed,
    notFound: counts.notFound,
    skipped,
    skippedCount,
    cut: cuts.kept,
    cutCount: cuts.count,
    durationMs: 0,
  };
}

function listIdFromFile(file: string): string {
  const base = path.basename(file).replace(/\.[^.]*$/, '');
  const id = base.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  if (!id)
    throw new InputError(
      `cannot derive a list id from "${file}"; rename the file, or give --list NAME to hotlist import`,
    );
  // Not cut to fit: two long file names cut alike would name one list, the second replacing the first.
  const problem = listIdProblem(id, 'the list id from the file name');
  if (problem)
    throw new InputError(
      `hotlist ${file}: ${problem}; rename the file, or give --list NAME to hotlist import`,
    );
  return id;
}

function headerKey(h: string): string {
  return h.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function columnsFromHeader(
  header: string[],
  mapping: ColumnMapping | undefined,
  opts: ImportOptions,
  line: number,
): Partial<Record<Field, number>> {
  const cols: Partial<Record<Field, number>> = {};
  const keys = header.map((h) => headerKey(h));
  // Two columns for one field: which one holds the value is anyone's guess, so neither is taken.
  const twice = (field: string, a: number, b: number, fix: string) =>
    new InputError(
      `hotlist ${opts.file}: line ${line}: columns ${a + 1} ("${header[a]}") and ${b + 1} ("${header[b]}") ` +
        `both give ${field}; ${fix}; nothing imported`,
    );
  if (mapping && Object.keys(mapping.columns).length > 0) {
    for (const [field, col] of Object.entries(mapping.columns) as [Field, string | number][]) {
      const idx = typeof col === 'number' ? col - 1 : keys.indexOf(headerKey(col));
      if (idx < 0 || idx >= header.length) {
        throw new InputError(
          `hotlist ${opts.file}: line ${line}: the mapping's column "${col}" for ${field} is not in the header (${header.join(', ')})`,
        );
      }
      const again = typeof col === 'number' ? -1 : keys.indexOf(headerKey(col), idx + 1);
      if (again >= 0)
        throw twice(`the mapping's "${col}"`, idx, again, `give ${field} as a column number in the mapping`);
      cols[field] = idx;
    }
  } else {
    keys.forEach((k, i) => {
      // Own keys only: a column named "constructor" is no field.
      const f = Object.hasOwn(ALIASES, k) ? ALIASES[k] : undefined;
      if (!f) return;
      if (cols[f] !== undefined)
        throw twice(f, cols[f], i, 'remove one, or name the column to use in a column mapping (--mapping)');
      cols[f] = i;
    });
  }
  const missing: string[] = [];
  if (cols.plate === undefined) missing.push('plate');
  if (cols.list_type === undefined && !opts.type) missing.push('list_type (or give --type)');
  if (missing.length > 0) {
    const shown = header
      .slice(0, 12)
      .map((h) => JSON.stringify(h.slice(0, 40)))
      .join(', ');
    throw new InputError(
      `hotlist ${opts.file}: line ${line}: header has no ${missing.join(' and ')} column (found ${shown}); ` +
        `is this a hotlist CSV? The minimal header is "plate,state,list_type"; for other layouts use a column mapping`,
    );
  }
  return cols;
}

function columnsByIndex(mapping: ColumnMapping, file: string): Partial<Record<Field, number>> {
  const cols: Partial<Record<Field, number>> = {};
  for (const [field, col] of Object.entries(mapping.columns) as [Field, string | number][]) {
    if (typeof col !== 'number')
      throw new InputError(
        `hotlist ${file}: the mapping has header: false, so column for ${field} must be a number, got "${col}"`,
      );
    cols[field] = col - 1;
  }
  if (cols.plate === undefined) throw new InputError(`hotlist ${file}: the mapping names no plate column`);
  return cols;
}

// ---- one row ------------------------------------------------------------------------------------

function str(v: unknown): string {
  return v === undefined || v === null ? '' : String(v).trim();
}

/** The longest text each optional text field of a row keeps. */
const TEXT_FIELD_MAX: Partial<Record<Field, number>> = {
  source: TEXT_MAX_CHARS.source,
  reference: TEXT_MAX_CHARS.reference,
  vehicle: TEXT_MAX_CHARS.vehicle,
  reason: REASON_MAX_CHARS,
  entered_by: ENTERED_BY_MAX_CHARS,
};

/** List-type codes as files write them most often, spelled as they are (no case or "_" fix-up per row). */
const TYPE_KEYS = new Map<string, string>(LIST_TYPES.map((t) => [t, t]));

/** Validate and normalise one row; a string is the problem, worded for the user. */
function toEntry(
  raw: RawRow,
  opts: ImportOptions,
  mapping?: ColumnMapping,
  /** How the file names a field (a CSV column, a JSON key), for the report of a text cut. */
  fieldName: (f: Field) => string = (f) => f,
): { entry: EntryInput; action: 'add' | 'remove'; cut: string[] } | string {
  const plateRaw = str(raw.plate);
  const pp = plateProblem(plateRaw);
  if (pp) return pp;
  let state: string | null;
  try {
    state = normaliseState(str(raw.state));
  } catch (err) {
    return (err as Error).message;
  }
  let typeRaw = str(raw.list_type);
  // Own keys only: a code such as "toString" would otherwise find a function on every object.
  if (mapping && Object.hasOwn(mapping.listTypeValues, typeRaw)) typeRaw = mapping.listTypeValues[typeRaw]!;
  const typeKey = TYPE_KEYS.get(typeRaw) ?? typeRaw.toLowerCase().replace(/[\s_]+/g, '-');
  let listType: ListType;
  if (typeKey === '') {
    if (!opts.type) return `list_type is empty; use one of ${LIST_TYPES.join(', ')} (or give --type)`;
    listType = opts.type;
  } else if ((LIST_TYPES as readonly string[]).includes(typeKey)) listType = typeKey as ListType;
  else {
    // A file read through a mapping writes the mapping's codes: those are the ones to offer.
    const codes = Object.entries(mapping?.listTypeValues ?? {}).map(([code, type]) => `${code} (${type})`);
    return codes.length > 0
      ? `unknown list type "${typeRaw}"; the mapping's codes are ${codes.join(', ')}`
      : `unknown list type "${typeRaw}"; use one of ${LIST_TYPES.join(', ')}`;
  }
  const pr = str(raw.priority).toLowerCase();
  let priority: Priority;
  if (pr === '') priority = DEFAULT_PRIORITY[listType];
  else if (Object.hasOwn(PRIORITIES, pr)) priority = PRIORITIES[pr as keyof typeof PRIORITIES];
  else if (pr === '1' || pr === '2' || pr === '3') priority = Number(pr) as Priority;
  else return `priority "${raw.priority}" is not high, medium, low (or 1, 2, 3)`;
  const ex = str(raw.expires);
  let expiresAt: number | null = null;
  if (ex !== '') {
    const expiry = readExpiry(ex);
    if (typeof expiry === 'string') return `expires "${ex}" ${expiry}`;
    expiresAt = expiry;
  }
  const action = str(raw.action).toLowerCase() || 'add';
  if (action !== 'add' && action !== 'remove') return `action "${raw.action}" is not add or remove`;
  // Trimmed, empty as null, cut to its limit, each cut said (TextCuts).
  const cut: string[] = [];
  const textOf = (field: Field): string | null => {
    const s = str(raw[field]);
    const max = TEXT_FIELD_MAX[field]!;
    if (s.length > max) cut.push(`${fieldName(field)} has ${s.length} characters, the first ${max} kept`);
    return s === '' ? null : s.slice(0, max);
  };
  const source = textOf('source');
  const reference = textOf('reference');
  const vehicle = textOf('vehicle');
  const reason = textOf('reason');
  const enteredBy = textOf('entered_by');
  if (listType === 'manual' && action === 'add' && (!enteredBy || !reason))
    return `a manual entry needs entered_by and reason`;
  return {
    action,
    cut,
    entry: {
      plate: /^[A-Z0-9]+$/.test(plateRaw) ? plateRaw : normalisePlate(plateRaw),
      state,
      listType,
      source: source ?? opts.source ?? null,
      reference,
      priority,
      expiresAt,
      vehicle,
      reason,
      enteredBy,
    },
  };
}

// ---- JSON ---------------------------------------------------------------------------------------

// Strict: a misspelt key (say "expiry" for "expires") would otherwise be dropped, and the entry
// imported without what it meant to say.
const jsonEntry = z.strictObject({
  plate: z.string(),
  state: z.string().nullish(),
  listType: z.string().optional(),
  source: z.string().nullish(),
  reference: z.string().nullish(),
  priority: z.union([z.string(), z.number()]).nullish(),
  expires: z.string().nullish(),
  vehicle: z.string().nullish(),
  reason: z.string().nullish(),
  enteredBy: z.string().nullish(),
});

/**
 * Text of a list or an entry given whole (a JSON list's header, a `hotlist` option): trimmed, at
 * most `max` characters, the message saying how many it has. One rule for files and the CLI.
 */
export function text(max: number) {
  return z
    .string()
    .trim()
    .max(max, {
      error: (issue) => `at most ${max} characters (this one has ${String(issue.input).length})`,
    });
}

export const hotlistDocumentSchema = z.strictObject({
  format: z.literal('lpr-edge.hotlist'),
  formatVersion: z.literal(1),
  list: z.strictObject({
    id: listIdSchema,
    type: z.enum([...LIST_TYPES, 'mixed']).default('mixed'),
    version: text(TEXT_MAX_CHARS.version).min(1),
    generatedAt: z.iso.datetime({ offset: true }),
    source: text(TEXT_MAX_CHARS.source).optional(),
  }),
  mode: z.enum(['replace', 'delta']).default('replace'),
  entries: z.array(z.unknown()).default([]),
  removes: z
    .array(z.strictObject({ plate: z.string(), state: z.string().nullish(), listType: z.string() }))
    .default([]),
});

/** The document's members other than its two arrays. */
const documentHeaderSchema = hotlistDocumentSchema.omit({ entries: true, removes: true });
const removeSchema = z.strictObject({ plate: z.string(), state: z.string().nullish(), listType: z.string() });

/**
 * The project's JSON, streamed: `entries` and `removes` are read element by element (millions of
 * entries in bounded memory), each validated with the same schemas as before and staged like CSV
 * rows. `list` must come before `entries` (its id and type are needed to stage them); the other
 * members may come in any order.
 */
async function importJson(store: HotlistStore, opts: ImportOptions): Promise<ImportReport> {
  if (opts.generatedAt !== undefined)
    throw new InputError(
      `hotlist ${opts.file}: --generated-at is for CSV files; a JSON list says when it was generated in list.generatedAt`,
    );
  const strict = opts.strict ?? true;
  const header: Record<string, unknown> = {};
  const problems: RowProblem[] = [];
  let problemCount = 0;
  // "entries[12]: <what is wrong> (line 40)": the element as the document names it, then where
  // an editor finds it.
  const problem = (where: string, line: number, message: string) => {
    problemCount++;
    if (problems.length < KEEP_PROBLEMS)
      problems.push({ line, where, message: line > 0 ? `${message} (line ${line})` : message });
  };
  const notHotlist = (issues: z.core.$ZodIssue[]) =>
    new InputError(
      `hotlist ${opts.file}: not a lpr-edge hotlist document: ${issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ')}`,
    );
  let staged: StagedVersion | null = null;
  let meta: VersionMeta | null = null;
  let rowOpts: ImportOptions = opts;
  let rows = 0;
  const removes: EntryKey[] = [];
  const cuts = new TextCuts();
  const rawRemoves: (z.infer<typeof removeSchema> & { where: string; line: number })[] = [];
  const stage = (): StagedVersion => {
    if (staged) return staged;
    if (header.list === undefined)
      throw new InputError(
        `hotlist ${opts.file}: "list" must come before "entries" in the document (it names the list the entries are staged for)`,
      );
    const early = documentHeaderSchema.partial().safeParse(header);
    if (!early.success) throw notHotlist(early.error.issues);
    const list = early.data.list!;
    const listType = opts.type ?? (list.type === 'mixed' ? undefined : list.type);
    rowOpts = { ...opts, type: listType, source: opts.source ?? list.source };
    meta = {
      listId: opts.listId ?? list.id,
      type: listType ?? 'mixed',
      version: opts.version ?? list.version,
      generatedAt: Date.parse(list.generatedAt),
      source: list.source ?? opts.source ?? null,
      importedBy: opts.actor,
    };
    notInFuture(meta.generatedAt, 'list.generatedAt', (opts.now ?? Date.now)(), opts.file);
    notTheUnitsOwn(store, meta, opts.file);
    staged = store.stageVersion(meta, (c) =>
      problem(
        `entries[${c.origin.position}]`,
        c.origin.line,
        conflictMessage(c, (index) => `entries[${index}]`, jsonKey),
      ),
    );
    return staged;
  };

  const text = readUtf8Text(opts.file, 1 << 20);
  try {
    try {
      for await (const ev of readJsonObject(text, new Set(['entries', 'removes']))) {
        if (ev.kind === 'member') {
          if (ev.key === 'entries' || ev.key === 'removes')
            throw new InputError(`hotlist ${opts.file}: line ${ev.line}: "${ev.key}" must be an array`);
          header[ev.key] = ev.value;
          if (ev.key === 'format' && ev.value !== 'lpr-edge.hotlist')
            throw notHotlist([
              { code: 'custom', path: ['format'], message: 'expected "lpr-edge.hotlist"', input: ev.value },
            ]);
        } else if (ev.kind === 'array-start' && ev.key === 'entries') stage();
        else if (ev.kind === 'item') {
          rows++;
          const where = `${ev.key}[${ev.index}]`;
          if (ev.key === 'entries') {
            const r = jsonEntry.safeParse(ev.value);
            if (!r.success) {
              problem(where, ev.line, issuesText(r.error, ENTRY_KEYS));
              continue;
            }
            const v = r.data;
            const res = toEntry(
              {
                plate: v.plate,
                state: v.state,
                list_type: v.listType,
                source: v.source,
                reference: v.reference,
                priority: v.priority,
                expires: v.expires,
                vehicle: v.vehicle,
                reason: v.reason,
                entered_by: v.enteredBy,
                action: undefined,
              },
              rowOpts,
              undefined,
              (f) => JSON_KEYS[f] ?? f,
            );
            if (typeof res === 'string') problem(where, ev.line, res);
            else if (problemCount === 0 || !strict) {
              staged!.add(res.entry, { position: ev.index, line: ev.line });
              cuts.note(ev.line, where, res.cut, true);
            }
          } else {
            // Removes are few and need no list to be checked: kept until the end, so they may
            // come before "list".
            const r = removeSchema.safeParse(ev.value);
            if (!r.success) {
              problem(where, ev.line, issuesText(r.error, REMOVE_KEYS));
              continue;
            }
            rawRemoves.push({ ...r.data, where, line: ev.line });
          }
        }
      }
    } catch (err) {
      if (err instanceof JsonSyntaxError)
        throw new InputError(`hotlist ${opts.file}: not valid JSON: ${err.message}; nothing imported`);
      if (err instanceof NotUtf8Error)
        throw new InputError(`hotlist ${opts.file}: ${err.message}; nothing imported`);
      throw err;
    }
    const full = documentHeaderSchema.safeParse(header);
    if (!full.success) throw notHotlist(full.error.issues);
    const mode = opts.mode ?? full.data.mode;
    const st = stage();
    // Entries still batched are stored now: an entry given twice with different fields is found
    // there, and must count among the problems below.
    st.flush();
    for (const r of rawRemoves) {
      const res = toEntry(
        { plate: r.plate, state: r.state, list_type: r.listType, reason: 'remove', entered_by: 'remove' },
        rowOpts,
      );
      if (typeof res === 'string') problem(r.where, r.line, res);
      else removes.push({ plate: res.entry.plate, state: res.entry.state, listType: res.entry.listType });
    }
    if (mode === 'replace' && removes.length > 0)
      problem('removes', 0, 'a replace import cannot remove entries; use "mode": "delta"');
    if (problemCount > 0 && strict) {
      throw new InputError(
        `hotlist ${opts.file}: ${problemCount} bad entr${problemCount > 1 ? 'ies' : 'y'}; nothing imported, the previous version stays active: ` +
          problems
            .slice(0, 10)
            .map((p) => `${p.where}: ${p.message}`)
            .join('; '),
        problems,
      );
    }
    const out = finish(
      store,
      st,
      meta!,
      mode,
      'json',
      rows,
      removes,
      problems,
      problemCount,
      cuts,
      opts.file,
    );
    staged = null;
    return out;
  } finally {
    // Anything but a completed import leaves the previous version as it was.
    (staged as StagedVersion | null)?.abort();
  }
}

/** Each field's key in a JSON entry (CSV headers spell them with "_"). */
const JSON_KEYS: Partial<Record<Field, string>> = {
  plate: 'plate',
  state: 'state',
  list_type: 'listType',
  source: 'source',
  reference: 'reference',
  priority: 'priority',
  expires: 'expires',
  vehicle: 'vehicle',
  reason: 'reason',
  entered_by: 'enteredBy',
};
const ENTRY_KEYS = Object.values(JSON_KEYS);

/** An entry field as a CSV header and a JSON document spell it (conflicting duplicates name them). */
const FIELD_OF: Record<EntryField, Field> = {
  source: 'source',
  reference: 'reference',
  priority: 'priority',
  expiresAt: 'expires',
  vehicle: 'vehicle',
  reason: 'reason',
  enteredBy: 'entered_by',
};
const csvColumn = (f: EntryField): string => FIELD_OF[f];
const jsonKey = (f: EntryField): string => JSON_KEYS[FIELD_OF[f]]!;
const REMOVE_KEYS = ['plate', 'state', 'listType'];

/**
 * A zod error as one line: each issue's path and message. An unknown key is named with the key
 * meant, when it is one of the header spellings CSV accepts ("expiry", "list_type", "notes"...).
 */
function issuesText(error: z.ZodError, keys: string[]): string {
  const unknown = (key: string) => {
    const k = headerKey(key);
    const field = Object.hasOwn(ALIASES, k) ? ALIASES[k] : undefined;
    const meant = field && JSON_KEYS[field];
    return meant && keys.includes(meant)
      ? `unknown key "${key}"; did you mean "${meant}"?`
      : `unknown key "${key}"; the keys are ${keys.join(', ')}`;
  };
  return error.issues
    .map((x) =>
      x.code === 'unrecognized_keys' ? x.keys.map(unknown).join('; ') : `${x.path.join('.')}: ${x.message}`,
    )
    .join('; ');
}
