import { randomUUID } from 'node:crypto';
import { contactIndexAttributes, fromContactItem } from '../contacts/contact-repository.js';
import { CONTACT_INDEX_ATTRIBUTES, contactKey, contactPk, mergedAliasKey, mergeLockKey } from '../data/keys.js';
import { logger } from '../lib/logger.js';
import {
  activeKey,
  getMergeRecord,
  lockOps,
  mergeTiming,
  progressOp,
  releaseLease,
  snapshotKey,
  unlockOps,
  type MergePhase,
  type MergeRecord,
} from './merge-record.js';
import { classify, entryFromRaw, entryToRaw, getManyRaw, getRaw, membershipParent, movableItems, planMove, planRestore, queryRaw, type SnapshotEntry } from './moves.js';
import { mergedAliasItem, mergedPrimary } from './primary-profile.js';
import { approxSize, keyId, keyOf, pack, plain, rawKey, sameItem, toRaw, unchangedCondition, unpack, type ItemKey, type RawItem } from './raw.js';
import { actionCount, exists, MAX_ACTIONS, notExists, transact, type Op } from './transact.js';

/**
 * Runs merges and undos step by step (the scheme and its reasons: ./DESIGN.md).
 *
 * Merge: `preparing` -> one switch transaction -> `moving` (chunks) -> `completed`.
 *   The switch is the one moment readers see change: the duplicates' profiles
 *   give way to merged-alias items (404 from then on; their id, phone and
 *   email resolve to them and are forwarded to the primary), the primary
 *   takes its filled fields, and as many memberships and channel states as
 *   fit in the same transaction (all of them in any ordinary merge) move with
 *   exact counts. The history follows in chunks of at most 48 items, each
 *   one transaction with its snapshot and the progress; counters follow the
 *   history through the stream, as they follow events.
 * Undo: one switch-back transaction (profiles, aliases, locks), then the
 *   snapshot replayed backwards in chunks, then what was forwarded.
 *
 * Every step re-reads what it changes and commits with conditions on it and
 * on the record's progress and lease: a step that lost a race is planned
 * again, a step that committed is never applied twice, and a crashed run is
 * resumed from the record by resume-merges.
 */

/** Sizes, adjustable by tests. */
export const mergeTuning = {
  /** Items moved per step; 2 actions each plus record, primary check and snapshot stay within 100. */
  itemsPerStep: 48,
  /** Snapshot bytes per chunk item, well under the 400 KB item limit (and 4 MB per transaction). */
  snapshotBytes: 300_000,
  /** Attempts of a step that keeps losing races before the run gives up (the lease then lets resume-merges retry). */
  stepAttempts: 8,
};

/** Test hook: called after each committed step; throwing simulates a crash between steps. */
export const mergeFaults: { afterStep?: (record: MergeRecord, step: number) => void } = {};

const STREAM_OWNED = ['band', 'gsi7pk', 'gsi7sk'];
const isContact = { expression: '#t = :contact', names: { '#t': 'type' }, values: { ':contact': { S: 'contact' } } };

class LostLease extends Error {}
class MergeInvalid extends Error {}

export const newOwner = () => `run:${randomUUID()}`;

function snapshotItem(mergeId: string, chunk: number, contactId: string, entries: SnapshotEntry[]): RawItem {
  return {
    ...rawKey(snapshotKey(mergeId, chunk)),
    type: { S: 'mergeSnapshot' },
    mergeId: { S: mergeId },
    chunk: { N: String(chunk) },
    contactId: { S: contactId },
    entries: { B: pack(entries.map(entryToRaw)) },
  };
}

/**
 * Runs one step: reads the record, plans, commits; plans again from fresh
 * reads when it loses a race. Throws LostLease when another run owns the
 * merge now.
 */
async function step(id: string, owner: string, phase: MergePhase, plan: (record: MergeRecord) => Promise<Op[] | undefined>, current?: MergeRecord): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    // The caller's fresh read serves the first attempt; a retry reads again.
    const record = attempt === 1 && current ? current : await getMergeRecord(id);
    if (!record || record.leaseOwner !== owner) throw new LostLease();
    // An attempt that committed but answered with an error already moved the record on.
    if (record.phase !== phase) return true;
    const ops = await plan(record);
    if (!ops) return false;
    const outcome = await transact(ops);
    if (outcome.ok) return true;
    if (attempt >= mergeTuning.stepAttempts) throw new Error(`merge ${id}: a step kept conflicting (${outcome.codes.join(',')})`);
    await new Promise((r) => setTimeout(r, 15 * 2 ** attempt + Math.random() * 25));
  }
}

// ---------- merge ----------

async function planSwitch(record: MergeRecord, owner: string): Promise<Op[]> {
  const primary = await getRaw(contactKey(record.primaryId));
  if (primary?.type?.S !== 'contact') throw new MergeInvalid('The primary contact no longer exists.');
  const found = await getManyRaw(record.duplicateIds.map(contactKey));
  const duplicates = record.duplicateIds.map((d) => found.get(keyId(contactKey(d))));
  const gone = record.duplicateIds.find((_, i) => duplicates[i]?.type?.S !== 'contact');
  if (gone) throw new MergeInvalid(`Contact ${gone} no longer exists.`);
  const now = new Date().toISOString();
  const { item: merged, filled } = mergedPrimary(primary, duplicates as RawItem[], now);

  const entries: SnapshotEntry[] = [{ op: 'update', key: keyOf(primary), before: primary, after: merged }];
  const ops: Op[] = [
    filled.length ? { kind: 'put', item: merged, condition: unchangedCondition(primary, 'p') } : { kind: 'check', key: keyOf(primary), condition: unchangedCondition(primary, 'p') },
  ];
  for (const duplicate of duplicates as RawItem[]) {
    entries.push({ op: 'delete', key: keyOf(duplicate), before: duplicate });
    ops.push({ kind: 'delete', key: keyOf(duplicate), condition: unchangedCondition(duplicate, 'p') });
    ops.push({ kind: 'put', item: mergedAliasItem(duplicate, record.primaryId, record.id, record.at), condition: notExists });
  }

  // Memberships and channel states join the switch while they fit (every ordinary merge); the rest move first thing after it.
  const profileSide = (contactId: string) => Promise.all(['P#CH#', 'P#LIST#', 'P#TAG#'].map((p) => queryRaw(contactPk(contactId), p))).then((r) => r.flat());
  const [own, ...theirs] = await Promise.all([profileSide(record.primaryId), ...record.duplicateIds.map(profileSide)]);
  const dest = new Map<string, RawItem | null>(own.map((item) => [item.sk.S!, item]));
  const parents = await getManyRaw(theirs.flat().filter((i) => classify(i.sk.S!) === 'membership').map((i) => membershipParent(i.sk.S!).key));
  let size = entries.reduce((sum, e) => sum + approxSize(e.before) + (e.after ? approxSize(e.after) : 0), 0);
  outer: for (const [i, items] of theirs.entries()) {
    for (const item of items) {
      const sk = item.sk.S!;
      const parentExists = classify(sk) !== 'membership' || parents.has(keyId(membershipParent(sk).key));
      const planned = planMove(item, dest.get(sk) ?? undefined, record.duplicateIds[i], record.primaryId, parentExists);
      // Room kept for the record's progress and the snapshot.
      if (actionCount([...ops, ...planned.ops]) + 2 > MAX_ACTIONS || size + approxSize(item) > mergeTuning.snapshotBytes) break outer;
      ops.push(...planned.ops);
      entries.push(planned.entry!);
      dest.set(sk, planned.destAfter ?? null);
      size += approxSize(item);
    }
  }
  return [
    progressOp(record.id, owner, { phase: 'preparing' }, { phase: 'moving', chunks: 1, filled }, { movedItems: entries.filter((e) => e.op === 'move').length }),
    ...ops,
    { kind: 'put', item: snapshotItem(record.id, 0, record.primaryId, entries), condition: notExists },
  ];
}

/** One chunk of the first duplicate that still has movable items; undefined when none has. */
async function planMoveChunk(record: MergeRecord, owner: string): Promise<Op[] | undefined> {
  // A primary deleted mid-merge took the merged contact with it; what is left of the duplicates stays unreachable.
  if ((await getRaw(contactKey(record.primaryId)))?.type?.S !== 'contact') return undefined;
  for (const duplicateId of record.duplicateIds) {
    const items = await movableItems(duplicateId, mergeTuning.itemsPerStep);
    if (items.length === 0) continue;
    const dests = await getManyRaw(items.map((i) => ({ pk: contactPk(record.primaryId), sk: i.sk.S! })));
    const parents = await getManyRaw(items.filter((i) => classify(i.sk.S!) === 'membership').map((i) => membershipParent(i.sk.S!).key));
    const ops: Op[] = [{ kind: 'check', key: contactKey(record.primaryId), condition: isContact }];
    const entries: SnapshotEntry[] = [];
    let size = 0;
    for (const item of items) {
      const sk = item.sk.S!;
      const parentExists = classify(sk) !== 'membership' || parents.has(keyId(membershipParent(sk).key));
      const planned = planMove(item, dests.get(keyId({ pk: contactPk(record.primaryId), sk })), duplicateId, record.primaryId, parentExists);
      if (entries.length > 0 && (actionCount([...ops, ...planned.ops]) + 2 > MAX_ACTIONS || size + approxSize(item) > mergeTuning.snapshotBytes)) break;
      ops.push(...planned.ops);
      entries.push(planned.entry!);
      size += approxSize(item);
    }
    const moved = entries.filter((e) => e.op === 'move').length;
    return [
      progressOp(record.id, owner, { phase: 'moving', chunks: record.chunks }, { chunks: record.chunks + 1 }, { movedItems: moved }),
      ...ops,
      { kind: 'put', item: snapshotItem(record.id, record.chunks, duplicateId, entries), condition: notExists },
    ];
  }
  return undefined;
}

const finishOps = (record: MergeRecord, owner: string, from: MergePhase, set: Record<string, unknown>): Op[] => [
  progressOp(record.id, owner, { phase: from }, set),
  ...unlockOps(record.id, [record.primaryId, ...record.duplicateIds]),
  { kind: 'delete', key: activeKey(record.id) },
];

// ---------- undo ----------

function withoutStreamOwned(item: RawItem): RawItem {
  const out = { ...item };
  for (const name of STREAM_OWNED) delete out[name];
  return out;
}

const deepEqual = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The primary as it was, keeping what happened to it since: when nobody
 * touched it after the merge it is the snapshot byte for byte (with the
 * engagement band the stream keeps current); otherwise each field the merge
 * filled goes back to empty unless it was edited since.
 */
export function restoredPrimary(current: RawItem, entry: SnapshotEntry, filled: string[], now: string): RawItem {
  if (sameItem(withoutStreamOwned(current), withoutStreamOwned(entry.after!))) {
    const out = withoutStreamOwned(entry.before);
    for (const name of STREAM_OWNED) if (current[name]) out[name] = current[name];
    return out;
  }
  const cur = plain(current);
  const before = plain(entry.before);
  const after = plain(entry.after!);
  const next: Record<string, unknown> = { ...cur, customFields: { ...((cur.customFields as Record<string, unknown>) ?? {}) } };
  const custom = next.customFields as Record<string, unknown>;
  for (const field of filled) {
    if (field.startsWith('customFields.')) {
      const name = field.slice('customFields.'.length);
      const was = (after.customFields as Record<string, unknown> | undefined)?.[name];
      if (deepEqual(custom[name], was)) delete custom[name];
    } else if (deepEqual(next[field], after[field])) {
      if (before[field] === undefined) delete next[field];
      else next[field] = before[field];
    }
  }
  for (const name of CONTACT_INDEX_ATTRIBUTES) delete next[name];
  Object.assign(next, contactIndexAttributes(fromContactItem(next)));
  next.updatedAt = now;
  next.version = (typeof cur.version === 'number' ? cur.version : 0) + 1;
  return toRaw(next);
}

async function readSnapshot(mergeId: string, chunk: number): Promise<SnapshotEntry[]> {
  const item = await getRaw(snapshotKey(mergeId, chunk));
  return item?.entries?.B ? unpack<RawItem[]>(item.entries.B).map(entryFromRaw) : [];
}

async function planSwitchBack(record: MergeRecord, owner: string, by: { sub: string; name: string }): Promise<Op[]> {
  const entries = await readSnapshot(record.id, 0);
  const primaryEntry = entries.find((e) => e.op === 'update')!;
  const profiles = entries.filter((e) => e.op === 'delete' && e.key.sk === 'P#PROFILE');
  const current = await getRaw(contactKey(record.primaryId));
  if (current?.type?.S !== 'contact') throw new MergeInvalid('The primary no longer exists (deleted, or merged into another contact: undo that merge first).');
  const locks = await getManyRaw([record.primaryId, ...record.duplicateIds].map(mergeLockKey));
  if ([...locks.values()].some((lock) => lock.mergeId?.S !== record.id)) throw new MergeInvalid('One of these contacts is part of another merge that is still running; try again in a moment.');
  const now = new Date().toISOString();
  const restored = restoredPrimary(current, primaryEntry, record.filled ?? [], now);
  const ops: Op[] = [
    progressOp(record.id, owner, { phase: 'completed' }, { phase: 'undoing', undoChunk: 0, undoEntry: 0, undoneAt: now, undoneBy: by.sub, undoneByName: by.name }),
    sameItem(restored, current) ? { kind: 'check', key: keyOf(current), condition: unchangedCondition(current, 'p') } : { kind: 'put', item: restored, condition: unchangedCondition(current, 'p') },
    ...lockOps(record.id, [record.primaryId, ...record.duplicateIds]),
    { kind: 'put', item: toRaw({ ...activeKey(record.id), type: 'mergeActive', mergeId: record.id }) },
  ];
  for (const entry of profiles) {
    ops.push({ kind: 'put', item: entry.before, condition: notExists });
    ops.push({ kind: 'delete', key: mergedAliasKey(entry.before.id.S!), condition: { expression: 'mergeId = :m', values: { ':m': { S: record.id } } } });
  }
  return ops;
}

/** Reads what an undo entry needs: the items at its source and destination keys, and its list or tag. */
async function readForRestore(entries: SnapshotEntry[]) {
  const keys: ItemKey[] = [];
  for (const e of entries) {
    keys.push(e.key);
    if (e.to) keys.push(e.to);
    if (classify(e.key.sk) === 'membership') keys.push(membershipParent(e.key.sk).key);
  }
  return getManyRaw(keys);
}

function planRestoreBatch(entries: SnapshotEntry[], current: Map<string, RawItem>, reserve: number): { ops: Op[]; taken: number } {
  const ops: Op[] = [];
  const touched = new Set<string>();
  let taken = 0;
  for (const entry of entries) {
    const parentExists = classify(entry.key.sk) !== 'membership' || current.has(keyId(membershipParent(entry.key.sk).key));
    const planned = entry.key.sk === 'P#PROFILE' || entry.op === 'update' ? [] : planRestore(entry, current.get(keyId(entry.key)), entry.to ? current.get(keyId(entry.to)) : undefined, parentExists);
    const keys = planned.filter((op) => op.kind !== 'add').map((op) => keyId(op.kind === 'put' ? keyOf(op.item) : op.key));
    if (taken > 0 && (actionCount([...ops, ...planned]) + reserve > MAX_ACTIONS || keys.some((k) => touched.has(k)))) break;
    ops.push(...planned);
    keys.forEach((k) => touched.add(k));
    taken++;
  }
  return { ops, taken };
}

const UNDO_BATCH = 40;

/**
 * The undo replays the merge's log backwards, like any undo log: what the
 * forwarder did last (it ran while the merge stood), then the chunks from
 * the last to the first, each from its last entry to its first. Undoing in
 * reverse is what makes a key that several steps touched (two duplicates
 * with the same message) come back exactly: each step finds the state it
 * left behind.
 */
async function planUndoChunk(record: MergeRecord, owner: string): Promise<Op[] | undefined> {
  const forwards = await queryRaw(`MERGE#${record.id}`, 'F#', 30);
  if (forwards.length > 0) {
    const entries = forwards.map((f) => entryFromRaw(f.entry.M as RawItem));
    const { ops, taken } = planRestoreBatch(entries, await readForRestore(entries), 1 + forwards.length);
    return [
      progressOp(record.id, owner, { phase: 'undoing' }, {}),
      ...ops,
      ...forwards.slice(0, taken).map((f): Op => ({ kind: 'delete', key: keyOf(f), condition: exists })),
    ];
  }
  if (record.undoChunk >= record.chunks) return undefined;
  const chunk = record.chunks - 1 - record.undoChunk;
  const all = await readSnapshot(record.id, chunk);
  const remaining = all.slice(0, all.length - record.undoEntry).reverse();
  const candidates = remaining.slice(0, UNDO_BATCH);
  const { ops, taken } = planRestoreBatch(candidates, await readForRestore(candidates), 1);
  const done = taken >= remaining.length;
  return [
    progressOp(
      record.id,
      owner,
      { phase: 'undoing', undoChunk: record.undoChunk, undoEntry: record.undoEntry },
      done ? { undoChunk: record.undoChunk + 1, undoEntry: 0 } : { undoEntry: record.undoEntry + taken },
    ),
    ...ops,
  ];
}

// ---------- driving ----------

/**
 * Drives a merge or undo until it is done or `deadline` passes; returns the
 * phase it left the record in. Holding the lease is the caller's business
 * (start, undo and resume-merges take it first).
 */
export async function drive(id: string, owner: string, deadline: number, by?: { sub: string; name: string }): Promise<MergePhase> {
  let steps = 0;
  try {
    for (;;) {
      const record = await getMergeRecord(id);
      if (!record) throw new MergeInvalid('The merge no longer exists.');
      if (record.leaseOwner !== owner) return record.phase;
      if (record.phase === 'preparing') {
        try {
          await step(id, owner, 'preparing', (r) => planSwitch(r, owner), record);
        } catch (error) {
          if (!(error instanceof MergeInvalid)) throw error;
          await transact([...finishOps(record, owner, 'preparing', { phase: 'failed', error: error.message })]);
          throw error;
        }
      } else if (record.phase === 'moving') {
        if (Date.now() > deadline) break;
        const more = await step(id, owner, 'moving', (r) => planMoveChunk(r, owner), record);
        if (!more) {
          const primary = await getRaw(contactKey(record.primaryId));
          await step(id, owner, 'moving', async (r) => finishOps(r, owner, 'moving', { phase: 'completed', completedAt: new Date().toISOString(), ...(primary ? {} : { error: 'The primary was deleted while the merge ran.' }) }));
        }
      } else if (record.phase === 'completed' && by) {
        try {
          await step(id, owner, 'completed', (r) => planSwitchBack(r, owner, by!), record);
        } catch (error) {
          if (error instanceof MergeInvalid) await releaseLease(id, owner);
          throw error;
        }
        by = undefined;
      } else if (record.phase === 'undoing') {
        if (Date.now() > deadline) break;
        const more = await step(id, owner, 'undoing', (r) => planUndoChunk(r, owner), record);
        if (!more) await step(id, owner, 'undoing', async (r) => finishOps(r, owner, 'undoing', { phase: 'undone' }));
      } else {
        break;
      }
      mergeFaults.afterStep?.(record, ++steps);
    }
  } catch (error) {
    if (error instanceof LostLease) return (await getMergeRecord(id))?.phase ?? 'failed';
    if (error instanceof MergeInvalid) throw error;
    logger.error('merge run stopped; resume-merges will continue it', { mergeId: id, error: error as Error });
    throw error;
  }
  await releaseLease(id, owner);
  return (await getMergeRecord(id))!.phase;
}

export { MergeInvalid, mergeTiming };
