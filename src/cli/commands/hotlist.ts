import path from 'node:path';
import { authenticateCli } from '../../policy/cli-identity.js';
import { requireRole } from '../../policy/roles.js';
import type { Unit } from '../../unit.js';
import { Equivalence, normalisePlate, normaliseState, plateProblem } from '../../hotlist/normalise.js';
import { HotlistStore } from '../../hotlist/store.js';
import { importHotlist, InputError, text } from '../../hotlist/import.js';
import { readExpiry } from '../../hotlist/expiry.js';
import { Matcher } from '../../hotlist/match.js';
import {
  addManualEntry,
  LOCAL_LIST,
  manualReason,
  removeManualEntries,
  type ManualAddResult,
} from '../../hotlist/manual.js';
import { isStale, listAgeHours } from '../../hotlist/currency.js';
import {
  DEFAULT_PRIORITY,
  listIdProblem,
  LIST_TYPES,
  PRIORITIES,
  priorityName,
  TEXT_MAX_CHARS,
  type HotlistEntry,
  type ListType,
  type Priority,
} from '../../hotlist/types.js';
import { UsageError, type Command, type CommandContext, type OptionValues } from '../command.js';
import { parseTime, str, withPolicy } from './policy-common.js';
import type { PolicyServices } from '../../policy/services.js';

const AS = { as: { type: 'string' } } as const;

function storeOf(unit: Unit): HotlistStore {
  return new HotlistStore(unit.db, new Equivalence(unit.config.hotlists.equivalence));
}

function listType(v: string | undefined, usage: string): ListType | undefined {
  if (v === undefined) return undefined;
  if (!(LIST_TYPES as readonly string[]).includes(v))
    throw new UsageError(
      `--type "${v}" is not a list type; use one of ${LIST_TYPES.join(', ')}\nUsage: lpr-edge ${usage}`,
    );
  return v as ListType;
}

/** `--list NAME`, named as import and sync name lists. */
function listName(values: OptionValues): string | undefined {
  const list = str(values, 'list');
  const problem = list === undefined ? null : listIdProblem(list, '--list');
  if (problem) throw new UsageError(problem);
  return list;
}

function onePlate(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new UsageError(`give exactly one plate\nUsage: lpr-edge ${usage}`);
  const problem = plateProblem(positionals[0]!);
  if (problem) throw new UsageError(problem);
  return normalisePlate(positionals[0]!);
}

/**
 * `--state`: a USPS code, or ANY for every state; absent, null. Given blank it is refused: an unset
 * shell variable would otherwise make an entry for the plate in every state (more stops of the
 * wrong car), or remove only the any-state one.
 */
function state(values: OptionValues): string | null {
  const given = str(values, 'state');
  if (given !== undefined && given.trim() === '')
    throw new UsageError('--state is empty: give a USPS code such as NY, or ANY');
  try {
    return normaliseState(given);
  } catch (err) {
    throw new UsageError(`--state: ${(err as Error).message}`);
  }
}

/** `--reason`, checked as the console checks its watch form (`manualReason`). */
function reasonOption(values: OptionValues, missing: string, usage: string): string {
  const r = manualReason(missing).safeParse(str(values, 'reason') ?? '');
  if (r.success) return r.data;
  throw new UsageError(`--reason: ${r.error.issues[0]!.message}\nUsage: lpr-edge ${usage}`);
}

/**
 * `--KEY TEXT` for text a list or an entry keeps (TEXT_MAX_CHARS), held to the rule a file's is
 * (`text`): trimmed and within the limit. Absent: undefined. Blank is refused, not stored as no
 * value: it is an unset shell variable more often than a choice (`what`: what to give instead).
 */
function textOption(
  values: OptionValues,
  key: keyof typeof TEXT_MAX_CHARS,
  what: string,
): string | undefined {
  const v = str(values, key);
  if (v === undefined) return undefined;
  if (v.trim() === '') throw new UsageError(`--${key} is empty: give ${what}, or leave it out`);
  const r = text(TEXT_MAX_CHARS[key]).safeParse(v);
  if (!r.success) throw new UsageError(`--${key}: ${r.error.issues[0]!.message}`);
  return r.data;
}

async function withHotlist<T>(
  ctx: CommandContext,
  fn: (unit: Unit, p: PolicyServices, store: HotlistStore) => Promise<T>,
): Promise<T> {
  return withPolicy(ctx, (unit, p) => fn(unit, p, storeOf(unit)));
}

const importCmd: Command = {
  name: 'import',
  summary: 'import a hotlist file (CSV streamed, or JSON); all or nothing (admin)',
  usage:
    'hotlist import FILE [--format csv|json] [--list NAME] [--type TYPE] [--replace|--delta] [--lenient] [--mapping NAME] ' +
    '[--version LABEL] [--generated-at ISO] [--source NAME] [--json] --as USER',
  options: {
    ...AS,
    format: { type: 'string' },
    list: { type: 'string' },
    type: { type: 'string' },
    replace: { type: 'boolean' },
    delta: { type: 'boolean' },
    lenient: { type: 'boolean' },
    mapping: { type: 'string' },
    version: { type: 'string' },
    'generated-at': { type: 'string' },
    source: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx, positionals, values) {
    if (positionals.length !== 1)
      throw new UsageError(`give exactly one file\nUsage: lpr-edge ${this.usage}`);
    const file = path.resolve(positionals[0]!);
    const format = str(values, 'format');
    if (format !== undefined && format !== 'csv' && format !== 'json')
      throw new UsageError(`--format must be csv or json, got "${format}"`);
    if (values.replace && values.delta) throw new UsageError('give --replace or --delta, not both');
    const list = listName(values);
    const type = listType(str(values, 'type'), this.usage);
    // ISO only, real calendar dates only: Date.parse alone took "1" (the year 2001, a list that
    // old is stale at once) and "2026-02-30" (2 March).
    const generatedAt = parseTime(str(values, 'generated-at'), 'generated-at');
    const version = textOption(values, 'version', 'the version label of the list, e.g. 2026-11-28.1');
    const source = textOption(values, 'source', 'where the list came from, e.g. ncic');
    return withHotlist(ctx, async (unit, p, store) => {
      const user = await authenticateCli({ users: p.users }, str(values, 'as'));
      requireRole(user, 'admin');
      const mappingName = str(values, 'mapping');
      const mappings = unit.config.hotlists.mappings;
      // Own keys only: "toString" is on every object and is no mapping.
      const mapping =
        mappingName !== undefined && Object.hasOwn(mappings, mappingName) ? mappings[mappingName] : undefined;
      if (mappingName !== undefined && !mapping) {
        const known = Object.keys(unit.config.hotlists.mappings);
        throw new UsageError(
          `--mapping "${mappingName}" is not in the config's hotlists.mappings (${known.length ? known.join(', ') : 'none defined'})`,
        );
      }
      const report = await importHotlist(store, {
        file,
        format: format as 'csv' | 'json' | undefined,
        listId: list,
        type,
        mode: values.delta ? 'delta' : values.replace ? 'replace' : undefined,
        strict: !values.lenient,
        mapping,
        version,
        generatedAt,
        source,
        actor: user.name,
        audit: p.audit,
      });
      if (values.json) ctx.stdout.write(JSON.stringify(report, null, 2) + '\n');
      else {
        ctx.stdout.write(
          `imported ${report.listId} version ${report.version} (${report.mode}, ${report.format}): ${report.rows} rows, ` +
            `${report.imported} added, ${report.updated} updated, ${report.duplicates} duplicates, ` +
            `${report.removed} removed${report.notFound > 0 ? ` (${report.notFound} not on the list)` : ''}, ` +
            `${report.skippedCount} skipped in ${(report.durationMs / 1000).toFixed(1)} s\n`,
        );
        for (const s of report.skipped) ctx.stderr.write(`skipped ${s.where}: ${s.message}\n`);
        if (report.skippedCount > report.skipped.length)
          ctx.stderr.write(`... and ${report.skippedCount - report.skipped.length} more skipped\n`);
        // Imported, but not whole: the person importing should know which rows, to fix the source.
        for (const c of report.cut) ctx.stderr.write(`text cut ${c.where}: ${c.message}\n`);
        if (report.cutCount > report.cut.length)
          ctx.stderr.write(`... and ${report.cutCount - report.cut.length} more texts cut\n`);
      }
      return 0;
    });
  },
};

const statusCmd: Command = {
  name: 'status',
  summary: 'active lists: version, entries, age; stale lists are flagged',
  usage: 'hotlist status [--json]',
  options: { json: { type: 'boolean' } },
  async run(ctx, _positionals, values) {
    return withHotlist(ctx, async (unit, _p, store) => {
      const now = Date.now();
      const max = unit.config.hotlists.maxAgeHours;
      const lists = store.lists().map((l) => {
        return {
          ...l,
          generatedAt: new Date(l.generatedAt).toISOString(),
          receivedAt: new Date(l.receivedAt).toISOString(),
          ageHours: Math.round(listAgeHours(l, now) * 10) / 10,
          stale: isStale(l, now, max),
        };
      });
      if (values.json) ctx.stdout.write(JSON.stringify({ maxAgeHours: max, lists }, null, 2) + '\n');
      else if (lists.length === 0) ctx.stdout.write('no hotlists loaded: no read can raise a hit\n');
      else {
        ctx.stdout.write('LIST\tTYPE\tVERSION\tENTRIES\tGENERATED\tAGE\n');
        for (const l of lists) {
          ctx.stdout.write(
            `${l.id}\t${l.type}\t${l.version}\t${l.entryCount}\t${l.generatedAt}\t${l.ageHours} h${l.stale ? `  STALE (over ${max} h)` : ''}\n`,
          );
        }
      }
      return 0;
    });
  },
};

const checkCmd: Command = {
  name: 'check',
  summary: 'check a plate against the active lists (exit 0 when something matches, 1 when nothing does)',
  usage: 'hotlist check PLATE [--state ST] [--json]',
  options: { state: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx, positionals, values) {
    const plate = onePlate(positionals, this.usage);
    const st = state(values);
    return withHotlist(ctx, async (unit, _p, store) => {
      const matches = new Matcher(store, unit.config.hotlists).match({ plate, state: st });
      if (values.json) {
        ctx.stdout.write(
          JSON.stringify(
            matches.map((m) => ({
              list: m.entry.list.id,
              listVersion: m.entry.list.version,
              plate: m.entry.plate,
              state: m.entry.state,
              listType: m.entry.listType,
              priority: m.entry.priority,
              reference: m.entry.reference,
              rule: m.rule,
              differences: m.differences,
              stateNotRead: m.stateNotRead,
            })),
            null,
            2,
          ) + '\n',
        );
      } else if (matches.length === 0) ctx.stdout.write(`${plate}${st ? ` (${st})` : ''}: no match\n`);
      else {
        for (const m of matches) {
          const diffs = m.differences
            .map((d) => `${d.position}:${d.read || '-'}/${d.entry || '-'} ${d.kind}`)
            .join(', ');
          ctx.stdout.write(
            `${m.entry.plate} ${m.entry.state ?? 'any state'}\t${m.entry.listType}\t${m.rule}${diffs ? ` (${diffs})` : ''}` +
              `${m.stateNotRead ? '\tSTATE NOT GIVEN' : ''}\tlist ${m.entry.list.id} v${m.entry.list.version}\t${m.entry.reference ?? ''}\n`,
          );
        }
      }
      return matches.length > 0 ? 0 : 1;
    });
  },
};

const addCmd: Command = {
  name: 'add',
  summary: 'add a manual local entry with reason (and expiry); officer or admin',
  usage:
    'hotlist add PLATE --state ST|ANY --reason TEXT [--type manual|...] [--expires DATE] [--priority high|medium|low] [--vehicle TEXT] [--reference REF] [--list local] --as USER',
  options: {
    ...AS,
    state: { type: 'string' },
    reason: { type: 'string' },
    type: { type: 'string' },
    expires: { type: 'string' },
    priority: { type: 'string' },
    vehicle: { type: 'string' },
    reference: { type: 'string' },
    list: { type: 'string' },
  },
  async run(ctx, positionals, values) {
    const plate = onePlate(positionals, this.usage);
    if (str(values, 'state') === undefined)
      throw new UsageError(`give --state (a USPS code, or ANY)\nUsage: lpr-edge ${this.usage}`);
    const st = state(values);
    const reason = reasonOption(values, 'a manual entry needs --reason saying why', this.usage);
    const type = listType(str(values, 'type'), this.usage) ?? 'manual';
    const ex = str(values, 'expires');
    const expiry = ex === undefined ? null : readExpiry(ex);
    if (typeof expiry === 'string') throw new UsageError(`--expires "${ex}" ${expiry}`);
    const expiresAt = expiry;
    if (expiresAt !== null && expiresAt <= Date.now()) throw new UsageError(`--expires ${ex} is in the past`);
    const pr = str(values, 'priority');
    // Own keys only: `in` would take "toString" (inherited) as a priority.
    if (pr !== undefined && !Object.hasOwn(PRIORITIES, pr))
      throw new UsageError(`--priority must be high, medium or low`);
    const priority: Priority = pr ? PRIORITIES[pr as keyof typeof PRIORITIES] : DEFAULT_PRIORITY[type];
    const listId = listName(values) ?? LOCAL_LIST;
    const vehicle = textOption(values, 'vehicle', 'a description of the vehicle, e.g. "blue Ford sedan"');
    const reference = textOption(values, 'reference', 'the case or reference number');
    return withHotlist(ctx, async (_unit, p, store) => {
      const user = await authenticateCli({ users: p.users }, str(values, 'as'));
      requireRole(user, 'officer', 'admin');
      const result = addManualEntry(store, p.audit, user.name, {
        plate,
        state: st,
        reason,
        listType: type,
        expiresAt,
        priority,
        vehicle: vehicle ?? null,
        reference: reference ?? null,
        listId,
      });
      ctx.stdout.write(`${manualAddText(result, `${plate} ${st ?? 'any state'} (${type})`, listId)}\n`);
      return 0;
    });
  },
};

/** What `hotlist add` did, said so: an entry already on the list is renewed, not added again. */
function manualAddText(r: ManualAddResult, what: string, listId: string): string {
  const entry = (e: HotlistEntry) =>
    `entered by ${e.enteredBy ?? 'nobody named'}, ${e.expiresAt === null ? 'no expiry' : `until ${new Date(e.expiresAt).toISOString()}`}, ` +
    `${priorityName(e.priority)} priority, reason "${e.reason ?? ''}"`;
  if (r.outcome === 'added')
    return r.expired
      ? `added ${what} to ${listId}, in place of its expired entry (${entry(r.expired)})`
      : `added ${what} to ${listId}`;
  if (r.outcome === 'unchanged')
    return `${what} is already on ${listId} (${entry(r.entry)}): nothing changed`;
  return `${what} was already on ${listId} (${entry(r.previous)}): renewed, now ${entry(r.entry)}`;
}

const removeCmd: Command = {
  name: 'remove',
  summary: 'remove a manual entry with reason; officer or admin',
  usage: 'hotlist remove PLATE --reason TEXT [--state ST|ANY] [--type TYPE] [--list local] --as USER',
  options: {
    ...AS,
    state: { type: 'string' },
    reason: { type: 'string' },
    type: { type: 'string' },
    list: { type: 'string' },
  },
  async run(ctx, positionals, values) {
    const plate = onePlate(positionals, this.usage);
    const reason = reasonOption(values, 'removing an entry needs --reason', this.usage);
    const type = listType(str(values, 'type'), this.usage);
    const listId = listName(values) ?? LOCAL_LIST;
    const stGiven = str(values, 'state') !== undefined;
    const st = state(values);
    return withHotlist(ctx, async (_unit, p, store) => {
      const user = await authenticateCli({ users: p.users }, str(values, 'as'));
      requireRole(user, 'officer', 'admin');
      const removed = removeManualEntries(store, p.audit, user.name, {
        plate,
        reason,
        ...(stGiven ? { state: st } : {}),
        ...(type ? { listType: type } : {}),
        listId,
      });
      if (removed === 0)
        throw new InputError(
          `${plate} is not on list "${listId}"${stGiven ? ` for ${st ?? 'any state'}` : ''}; see "lpr-edge hotlist check ${plate}"`,
        );
      ctx.stdout.write(`removed ${removed} entr${removed === 1 ? 'y' : 'ies'} for ${plate} from ${listId}\n`);
      return 0;
    });
  },
};

export const hotlistCommand: Command = {
  name: 'hotlist',
  summary: 'hotlists: import, status, check a plate, add or remove manual entries',
  usage: 'hotlist import|status|check|add|remove ...',
  subcommands: [importCmd, statusCmd, checkCmd, addCmd, removeCmd],
};
