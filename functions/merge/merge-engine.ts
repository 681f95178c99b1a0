import { randomUUID } from 'node:crypto';
import { customFieldValue } from '../../shared/custom-field-key.js';
import { contactIndexAttributes, fromContactItem } from '../data/contact.js';
import { CONTACT_INDEX_ATTRIBUTES, contactKey, contactPk, mergedAliasKey } from '../data/keys.js';
import { logger } from '../lib/logger.js';
import { METRIC } from '../lib/metric-names.js';
import { emitMetrics } from '../lib/metrics.js';
import { activeKey, getMergeRecord, mergeTiming, progressOp, releaseLease, snapshotKey, type MergePhase, type MergeRecord } from './merge-record.js';
import { assertLocksFree, cleanupOps, earlyDuplicates, fitting, lateDuplicates, LocksTaken, mergePrepOps, prepSlice, primaryMarkerOps, switchTuning, undoPrepOps } from './markers.js';
import { classify, entryFromRaw, entryToRaw, getManyRaw, getRaw, membershipParent, movableItems, planMove, planRestore, queryRaw, type SnapshotEntry } from './moves.js';
import { mergedAliasItem, mergedPrimary } from './primary-profile.js';
import { approxSize, keyId, keyOf, pack, plain, rawKey, sameItem, sameValue, toRaw, unchangedCondition, unpack, type ItemKey, type RawItem } from './raw.js';
import { actionCount, exists, MAX_ACTIONS, notExists, transact, type Op } from './transact.js';

/**
 * Runs merges and undos step by step (the scheme and its reasons: ./DESIGN.md).
 *
 * Merge: `preparing` (late duplicates locked and marked) -> one switch
 *   transaction -> `moving` (late duplicates' profiles, then history, in
 *   chunks) -> locks and markers removed -> `completed`.
 *   The switch is the one moment readers see change: the duplicates' profiles
 *   give way to merged-alias items (404 from then on; their id, phone and
 *   email resolve to them and are forwarded to the primary; late duplicates
 *   answer 404 through their markers until their own chunk), the primary
 *   takes its filled fields and its markers, and as many memberships and
 *   channel states as fit in the same transaction (all of them in any
 *   ordinary merge) move with exact counts. The history follows in chunks of
 *   at most 48 items, each one transaction with its snapshot and the
 *   progress; while it moves, the primary's readers read the duplicates'
 *   collections too (./merge-reads.ts), so nothing shows up piecemeal.
 * Undo: `undoPreparing` (locks; late duplicates marked with the profile they
 *   get back) -> one switch-back transaction -> `undoing` (late duplicates'
 *   profiles, then what was forwarded, then the snapshot replayed backwards,
 *   in chunks) -> `undone`.
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

/**
 * Test hook: called after each committed step (with the record as it was
 * before the step), and awaited, so a test can read between steps; throwing
 * simulates a crash between steps.
 */
export const mergeFaults: { afterStep?: (record: MergeRecord, step: number) => void | Promise<void> } = {};


const STREAM_OWNED = ['band', 'gsi7pk', 'gsi7sk'];
const isContact = { expression: '#t = :contact', names: { '#t': 'type' }, values: { ':contact': { S: 'contact' } } };

class LostLease extends Error {}
class MergeInvalid extends Error {}
const isInvalid = (error: unknown): error is Error => error instanceof MergeInvalid || error instanceof LocksTaken;

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

/** The next slice of what must be written before a switch (locks, markers); undefined when all is. */
async function planPrep(record: MergeRecord, owner: string, phase: 'preparing' | 'undoPreparing', all: Op[]): Promise<Op[] | undefined> {
  const field = phase === 'preparing' ? 'marked' : 'undoMarked';
  const done = record[field] ?? 0;
  const slice = prepSlice(all, done);
  if (slice.length === 0) return undefined;
  await assertLocksFree(record.id, slice);
  return [progressOp(record.id, owner, { phase, [field]: done }, { [field]: done + slice.length }), ...slice];
}

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
    ...primaryMarkerOps(record),
  ];
  const early = earlyDuplicates(record);
  for (const duplicate of duplicates.slice(0, early.length) as RawItem[]) {
    entries.push({ op: 'delete', key: keyOf(duplicate), before: duplicate });
    ops.push({ kind: 'delete', key: keyOf(duplicate), condition: unchangedCondition(duplicate, 'p') });
    ops.push({ kind: 'put', item: mergedAliasItem(duplicate, record.primaryId, record.id, record.at), condition: notExists });
  }

  // Memberships and channel states join the switch while they fit (every ordinary merge); the rest move first thing after it.
  const profileSide = (contactId: string) => Promise.all(['P#CH#', 'P#LIST#', 'P#TAG#'].map((p) => queryRaw(contactPk(contactId), p))).then((r) => r.flat());
  const [own, ...theirs] = await Promise.all([profileSide(record.primaryId), ...early.map(profileSide)]);
  const dest = new Map<string, RawItem | null>(own.map((item) => [item.sk.S!, item]));
  const parents = await getManyRaw(theirs.flat().filter((i) => classify(i.sk.S!) === 'membership').map((i) => membershipParent(i.sk.S!).key));
  let size = entries.reduce((sum, e) => sum + approxSize(e.before) + (e.after ? approxSize(e.after) : 0), 0);
  outer: for (const [i, items] of theirs.entries()) {
    for (const item of items) {
      const sk = item.sk.S!;
      const parentExists = classify(sk) !== 'membership' || parents.has(keyId(membershipParent(sk).key));
      const planned = planMove(item, dest.get(sk) ?? undefined, early[i], record.primaryId, parentExists);
      // Room kept for the record's progress and the snapshot.
      if (actionCount([...ops, ...planned.ops]) + 2 > MAX_ACTIONS || size + approxSize(item) > mergeTuning.snapshotBytes) break outer;
      ops.push(...planned.ops);
      entries.push(planned.entry!);
      dest.set(sk, planned.destAfter ?? null);
      size += approxSize(item);
    }
  }
  return [
    progressOp(
      record.id,
      owner,
      { phase: 'preparing' },
      { phase: 'moving', chunks: 1, filled, switched: 0, switchChunks: 1, dupCursor: 0 },
      { movedItems: entries.filter((e) => e.op === 'move').length },
    ),
    ...ops,
    { kind: 'put', item: snapshotItem(record.id, 0, record.primaryId, entries), condition: notExists },
  ];
}

/** Late duplicates' profiles give way to their aliases, a batch per chunk, before any history moves. */
async function planLateSwitch(record: MergeRecord, owner: string, candidates: string[]): Promise<Op[]> {
  const found = await getManyRaw(candidates.map(contactKey));
  const profileOf = (id: string) => found.get(keyId(contactKey(id)));
  const sizeOf = (id: string) => approxSize(profileOf(id) ?? {});
  const batch = fitting(candidates, sizeOf, mergeTuning.snapshotBytes);
  const ops: Op[] = [{ kind: 'check', key: contactKey(record.primaryId), condition: isContact }];
  const entries: SnapshotEntry[] = [];
  for (const id of batch) {
    const profile = profileOf(id);
    // Deleted since the switch (the delete took its history with it): nothing left to merge.
    if (profile?.type?.S !== 'contact') continue;
    entries.push({ op: 'delete', key: keyOf(profile), before: profile });
    ops.push({ kind: 'delete', key: keyOf(profile), condition: unchangedCondition(profile, 'p') });
    ops.push({ kind: 'put', item: mergedAliasItem(profile, record.primaryId, record.id, record.at), condition: notExists });
  }
  const switched = record.switched ?? 0;
  return [
    progressOp(record.id, owner, { phase: 'moving', chunks: record.chunks, switched }, { chunks: record.chunks + 1, switched: switched + batch.length, switchChunks: record.chunks + 1 }),
    ...ops,
    { kind: 'put', item: snapshotItem(record.id, record.chunks, record.primaryId, entries), condition: notExists },
  ];
}

/** One chunk of the first duplicate that still has movable items; undefined when none has. */
async function planMoveChunk(record: MergeRecord, owner: string): Promise<Op[] | undefined> {
  // A primary deleted mid-merge took the merged contact with it; what is left of the duplicates stays unreachable.
  if ((await getRaw(contactKey(record.primaryId)))?.type?.S !== 'contact') return undefined;
  const late = lateDuplicates(record);
  const switched = record.switched ?? 0;
  if (switched < late.length) return planLateSwitch(record, owner, late.slice(switched, switched + switchTuning.latePerStep));
  for (let index = record.dupCursor ?? 0; index < record.duplicateIds.length; index++) {
    const duplicateId = record.duplicateIds[index];
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
      // dupCursor: every duplicate before this one is empty, so readers of the moving merge skip it.
      progressOp(record.id, owner, { phase: 'moving', chunks: record.chunks }, { chunks: record.chunks + 1, dupCursor: index }, { movedItems: moved }),
      ...ops,
      { kind: 'put', item: snapshotItem(record.id, record.chunks, duplicateId, entries), condition: notExists },
    ];
  }
  return undefined;
}

/**
 * Ends a merge or undo: its locks, markers and active entry go, in as many
 * transactions as they need, the last one moving the phase on. Every one
 * carries the lease condition; the deletes are idempotent, so a run that
 * stopped halfway is simply repeated.
 */
async function finish(id: string, owner: string, from: MergePhase, set: Record<string, unknown>): Promise<void> {
  const record = await getMergeRecord(id);
  if (!record) throw new MergeInvalid('The merge no longer exists.');
  const ops = await cleanupOps(record);
  while (ops.length > MAX_ACTIONS - 1) {
    const batch = ops.splice(0, MAX_ACTIONS - 1);
    await step(id, owner, from, async (r) => [progressOp(r.id, owner, { phase: from }, {}), ...batch]);
  }
  await step(id, owner, from, async (r) => [progressOp(r.id, owner, { phase: from }, set), ...ops]);
}

// ---------- undo ----------

function withoutStreamOwned(item: RawItem): RawItem {
  const out = { ...item };
  for (const name of STREAM_OWNED) delete out[name];
  return out;
}

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
      const was = customFieldValue(after.customFields as Record<string, unknown> | undefined, name);
      if (sameValue(customFieldValue(custom, name), was)) delete custom[name];
    } else if (sameValue(next[field], after[field])) {
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

/** The duplicates' profiles as they were before the merge (the switch chunks' images), by contact id. */
async function profileImages(record: MergeRecord): Promise<Map<string, RawItem>> {
  const images = new Map<string, RawItem>();
  for (let chunk = 0; chunk < (record.switchChunks ?? 1); chunk++) {
    for (const entry of await readSnapshot(record.id, chunk)) {
      if (entry.op === 'delete' && entry.key.sk === 'P#PROFILE') images.set(entry.before.id.S!, entry.before);
    }
  }
  return images;
}

async function assertPrimaryContact(record: MergeRecord): Promise<RawItem> {
  const current = await getRaw(contactKey(record.primaryId));
  if (current?.type?.S !== 'contact') throw new MergeInvalid('The primary no longer exists (deleted, or merged into another contact: undo that merge first).');
  return current;
}

/** The undo's first step: phase `undoPreparing`, its active entry, and the first slice of its locks and markers. */
async function planUndoStart(record: MergeRecord, owner: string, by: { sub: string }): Promise<Op[]> {
  await assertPrimaryContact(record);
  const slice = prepSlice(undoPrepOps(record, await profileImages(record)), 0, 2);
  await assertLocksFree(record.id, slice);
  return [
    progressOp(record.id, owner, { phase: 'completed' }, { phase: 'undoPreparing', undoMarked: slice.length, undoBy: by.sub }),
    { kind: 'put', item: toRaw({ ...activeKey(record.id), type: 'mergeActive', mergeId: record.id }) },
    ...slice,
  ];
}

/** A duplicate's profile back in place of its alias. */
const switchBackOps = (mergeId: string, profile: RawItem): Op[] => [
  { kind: 'put', item: profile, condition: notExists },
  { kind: 'delete', key: mergedAliasKey(profile.id.S!), condition: { expression: 'mergeId = :m', values: { ':m': { S: mergeId } } } },
];

async function planSwitchBack(record: MergeRecord, owner: string): Promise<Op[]> {
  const entries = await readSnapshot(record.id, 0);
  const primaryEntry = entries.find((e) => e.op === 'update')!;
  const profiles = entries.filter((e) => e.op === 'delete' && e.key.sk === 'P#PROFILE');
  const current = await assertPrimaryContact(record);
  const now = new Date().toISOString();
  const restored = restoredPrimary(current, primaryEntry, record.filled ?? [], now);
  return [
    progressOp(
      record.id,
      owner,
      { phase: 'undoPreparing' },
      { phase: 'undoing', undoChunk: 0, undoEntry: 0, undoSwitched: 0, undoneAt: now, undoneBy: record.undoBy ?? '' },
    ),
    sameItem(restored, current) ? { kind: 'check', key: keyOf(current), condition: unchangedCondition(current, 'p') } : { kind: 'put', item: restored, condition: unchangedCondition(current, 'p') },
    ...profiles.flatMap((entry) => switchBackOps(record.id, entry.before)),
  ];
}

/** Late duplicates' profiles back, a batch per chunk, before anything else of the undo. */
async function planLateSwitchBack(record: MergeRecord, owner: string, candidates: string[]): Promise<Op[]> {
  const images = await profileImages(record);
  const batch = fitting(candidates, (id) => (images.has(id) ? approxSize(images.get(id)!) : 0), switchTuning.transactionBytes);
  const undoSwitched = record.undoSwitched ?? 0;
  return [
    progressOp(record.id, owner, { phase: 'undoing', undoSwitched }, { undoSwitched: undoSwitched + batch.length }),
    ...batch.flatMap((id) => (images.has(id) ? switchBackOps(record.id, images.get(id)!) : [])),
  ];
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
  const late = lateDuplicates(record);
  const undoSwitched = record.undoSwitched ?? 0;
  if (undoSwitched < late.length) return planLateSwitchBack(record, owner, late.slice(undoSwitched, undoSwitched + switchTuning.latePerStep));
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
export async function drive(id: string, owner: string, deadline: number, by?: { sub: string }): Promise<MergePhase> {
  let steps = 0;
  try {
    for (;;) {
      const record = await getMergeRecord(id);
      if (!record) throw new MergeInvalid('The merge no longer exists.');
      if (record.leaseOwner !== owner) return record.phase;
      if (record.phase === 'preparing') {
        try {
          const prepared = await step(id, owner, 'preparing', (r) => planPrep(r, owner, 'preparing', mergePrepOps(r)), record);
          if (!prepared) await step(id, owner, 'preparing', (r) => planSwitch(r, owner), record);
        } catch (error) {
          if (!isInvalid(error)) throw error;
          await finish(id, owner, 'preparing', { phase: 'failed', error: error.message });
          throw new MergeInvalid(error.message);
        }
      } else if (record.phase === 'moving') {
        if (Date.now() > deadline) break;
        const more = await step(id, owner, 'moving', (r) => planMoveChunk(r, owner), record);
        if (!more) {
          const primary = await getRaw(contactKey(record.primaryId));
          await finish(id, owner, 'moving', { phase: 'completed', completedAt: new Date().toISOString(), ...(primary ? {} : { error: 'The primary was deleted while the merge ran.' }) });
          emitMetrics({ [METRIC.merges]: 1, [METRIC.mergedDuplicates]: record.duplicateIds.length });
        }
      } else if ((record.phase === 'completed' && by) || record.phase === 'undoPreparing') {
        try {
          if (record.phase === 'completed') await step(id, owner, 'completed', (r) => planUndoStart(r, owner, by!), record);
          else {
            const images = await profileImages(record);
            const prepared = await step(id, owner, 'undoPreparing', (r) => planPrep(r, owner, 'undoPreparing', undoPrepOps(r, images)), record);
            if (!prepared) await step(id, owner, 'undoPreparing', (r) => planSwitchBack(r, owner), record);
          }
        } catch (error) {
          if (!isInvalid(error)) throw error;
          // The undo could not start: whatever it took is given back, and the merge stands as it was.
          if (record.phase === 'undoPreparing') await finish(id, owner, 'undoPreparing', { phase: 'completed' });
          await releaseLease(id, owner);
          throw new MergeInvalid(error.message);
        }
        by = undefined;
      } else if (record.phase === 'undoing') {
        if (Date.now() > deadline) break;
        const more = await step(id, owner, 'undoing', (r) => planUndoChunk(r, owner), record);
        if (!more) {
          await finish(id, owner, 'undoing', { phase: 'undone' });
          emitMetrics({ [METRIC.mergesUndone]: 1 });
        }
      } else {
        break;
      }
      await mergeFaults.afterStep?.(record, ++steps);
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
