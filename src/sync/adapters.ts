import { conflictMessage } from '../hotlist/conflicts.js';
import type { HotlistStore, StagedVersion, VersionMeta } from '../hotlist/store.js';
import { DEFAULT_PRIORITY, REASON_MAX_CHARS, type EntryInput, type ListType } from '../hotlist/types.js';
import type { Db } from '../store/database.js';
import type { OutboxSource } from './outbox.js';
import type { HotlistPort } from './ports.js';
import type { HotlistEntry } from './schemas.js';
import { tableSource } from './sources.js';

/**
 * The hotlist store behind the down-link: a full list is staged then activated; a delta's adds are
 * staged, then merged with its removes in one transaction. Both are staged so that an entry given
 * twice with different fields is refused, naming both (`entries.3` and `entries.1`).
 */
export function hotlistPort(store: HotlistStore): HotlistPort {
  // An entry's reason longer than any entry's may be (REASON_MAX_CHARS) is cut, not refused: what
  // a hit is matched and judged on is whole, and refusing would keep an older list for one long
  // note. Each cut is named (its path and length) for the sync status and audit record.
  let cut: string[] = [];
  const reasonOf = (e: HotlistEntry, where: string): string | null => {
    const reason = e.reason ?? null;
    if (reason === null || reason.length <= REASON_MAX_CHARS) return reason;
    cut.push(`${where} (${reason.length})`);
    return reason.slice(0, REASON_MAX_CHARS);
  };
  const toEntry = (e: HotlistEntry, where: string): EntryInput => ({
    plate: e.plate,
    state: e.state,
    listType: e.listType as ListType,
    source: e.source ?? 'hq',
    reference: e.reference ?? null,
    priority: e.priority ?? DEFAULT_PRIORITY[e.listType as ListType],
    expiresAt: e.expiresAt ?? null,
    vehicle: e.vehicle ?? null,
    reason: reasonOf(e, where),
    enteredBy: e.enteredBy ?? null,
  });
  /** The entries staged for `meta`, each named by its path in the document (`add.2`). */
  const stage = (meta: VersionMeta, entries: HotlistEntry[], path: string): StagedVersion => {
    const staged = store.stageVersion(meta, (c) => {
      throw new Error(`${path}.${c.origin.position}: ${conflictMessage(c, (i) => `${path}.${i}`)}`);
    });
    try {
      entries.forEach((e, i) => staged.add(toEntry(e, `${path}.${i}`), { position: i, line: 0 }));
      staged.flush();
      return staged;
    } catch (err) {
      staged.abort();
      throw err;
    }
  };
  return {
    currentVersion(listId) {
      const v = store.list(listId)?.version;
      return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
    },
    apply(doc) {
      // Checked here, in the transaction that applies the list, so an officer's list made since
      // cannot slip in between; as for an import (the unit's own `local` is refused before this).
      if (store.madeOnUnit(doc.listId))
        throw new Error(
          `the list id "${doc.listId}" holds manual entries officers made on this unit (hotlist add --list ${doc.listId}); HQ may not replace it: send the list under another id`,
        );
      cut = [];
      const entries = doc.kind === 'full' ? doc.entries : doc.add;
      const types = new Set(entries.map((e) => e.listType));
      const meta = {
        listId: doc.listId,
        type: types.size === 1 ? ([...types][0] as ListType) : ('mixed' as const),
        version: String(doc.version),
        generatedAt: doc.issuedAt,
        source: 'hq',
        importedBy: 'hq',
      };
      if (doc.kind === 'delta')
        return { ...store.applyDelta(meta, stage(meta, doc.add, 'add'), doc.remove), cut };
      const staged = stage(meta, doc.entries, 'entries');
      try {
        staged.activate();
      } catch (err) {
        staged.abort();
        throw err;
      }
      return { added: staged.added, updated: 0, duplicates: staged.duplicates, removed: 0, notFound: 0, cut };
    },
  };
}

const json = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v);
/** A row as a wire body: camelCase keys, without `acked_at` (the unit's own note of HQ's ack). */
const camel = (row: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(row)
      .filter(([k]) => k !== 'acked_at')
      .map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]),
  );

/** The outbox streams besides reads: hits and their lifecycle events, audit records, query logs. */
export function recordSources(db: Db): OutboxSource[] {
  return [
    tableSource(db, {
      kind: 'hit',
      table: 'hits',
      seqColumn: 'seq',
      idColumn: 'id',
      toBody: (r) => {
        const b = camel(r);
        return {
          ...b,
          ts: r.raised_at,
          entry: json(r.entry),
          differences: json(r.differences),
          stateNotRead: r.state_not_read === 1,
          retroactive: r.retroactive === 1,
        };
      },
    }),
    tableSource(db, {
      kind: 'disposition',
      table: 'hit_events',
      seqColumn: 'id',
      idColumn: 'id',
      localIds: true,
      toBody: (r) => ({ ...camel(r), details: json(r.details) }),
    }),
    tableSource(db, {
      kind: 'audit',
      table: 'audit_log',
      seqColumn: 'seq',
      idColumn: 'id',
      toBody: (r) => ({
        seq: r.seq,
        id: r.id,
        ts: r.ts,
        type: r.type,
        actor: r.actor,
        details: json(r.details),
        prevHash: r.prev_hash,
        hash: r.hash,
      }),
    }),
    tableSource(db, {
      kind: 'query-log',
      table: 'query_log',
      seqColumn: 'id',
      idColumn: 'id',
      localIds: true,
      toBody: (r) => ({
        ...camel(r),
        attested: r.attested === 1,
        criteria: json(r.criteria),
        resultIds: json(r.result_ids),
        hitIds: json(r.hit_ids),
      }),
    }),
  ];
}
