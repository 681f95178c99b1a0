import { customFieldValue } from '../../shared/custom-field-key.js';
import { activityItem } from '../data/activity.js';
import { contactIndexAttributes, fromContactItem } from '../data/contact.js';
import { CONTACT_INDEX_ATTRIBUTES } from '../data/keys.js';
import { mergedAliasKey } from '../data/alias.js';
import { classify, contactKey, isProfileSk, membershipParent } from '../data/merge-collection.js';
import { activeItem, type MergeRecord } from '../data/merge-record.js';
import { forwardEntry, forwardsOf, readSnapshot, type SnapshotEntry } from '../data/merge-snapshot.js';
import { approxSize, getManyRaw, getRaw, keyId, keyOf, plain, sameItem, sameValue, toRaw, unchangedCondition, type ItemKey, type RawItem } from '../data/raw-item.js';
import { assertLocksFree, fitting, lateDuplicates, prepSlice, switchTuning, undoPrepOps } from './markers.js';
import { MergeInvalid } from './merge-plan.js';
import { progressOp } from './merge-record.js';
import { planRestore } from './moves.js';
import { actionCount, exists, MAX_ACTIONS, notExists, type Op } from './transact.js';

/**
 * What each step of an undo writes (driven by ./merge-engine.ts): locks and
 * the late duplicates' markers, the switch-back, then the late duplicates'
 * profiles, what the forwarder moved and the snapshot replayed backwards.
 */

/** The band snapshot a profile written before band items carries (data/contact-band.ts); the stream's refresh moves it off. */
const STREAM_OWNED = ['band', 'gsi7pk', 'gsi7sk'];

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

/** The duplicates' profiles as they were before the merge (the switch chunks' images), by contact id. */
export async function profileImages(record: MergeRecord): Promise<Map<string, RawItem>> {
  const images = new Map<string, RawItem>();
  for (let chunk = 0; chunk < (record.switchChunks ?? 1); chunk++) {
    for (const entry of await readSnapshot(record.id, chunk)) {
      if (entry.op === 'delete' && isProfileSk(entry.key.sk)) images.set(entry.before.id.S!, entry.before);
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
export async function planUndoStart(record: MergeRecord, owner: string, by: { sub: string }): Promise<Op[]> {
  await assertPrimaryContact(record);
  const slice = prepSlice(undoPrepOps(record, await profileImages(record)), 0, 2);
  await assertLocksFree(record.id, slice);
  return [
    progressOp(record.id, owner, { phase: 'completed' }, { phase: 'undoPreparing', undoMarked: slice.length, undoBy: by.sub }),
    { kind: 'put', item: toRaw(activeItem(record.id)) },
    ...slice,
  ];
}

/** A duplicate's profile back in place of its alias. */
const switchBackOps = (mergeId: string, profile: RawItem): Op[] => [
  { kind: 'put', item: profile, condition: notExists },
  { kind: 'delete', key: mergedAliasKey(profile.id.S!), condition: { expression: 'mergeId = :m', values: { ':m': { S: mergeId } } } },
];

export async function planSwitchBack(record: MergeRecord, owner: string): Promise<Op[]> {
  const entries = await readSnapshot(record.id, 0);
  const primaryEntry = entries.find((e) => e.op === 'update')!;
  const profiles = entries.filter((e) => e.op === 'delete' && isProfileSk(e.key.sk));
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
    // Each contact's timeline says the merge was undone (the duplicates' entries come back with their history).
    ...[record.primaryId, ...profiles.map((entry) => entry.before.id?.S ?? '')].map(
      (contactId): Op => ({ kind: 'put', item: toRaw(activityItem(contactId, 'merge_undone', { mergeId: record.id }, now, { kind: 'person', sub: record.undoBy ?? record.by })), condition: notExists }),
    ),
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
    const planned = isProfileSk(entry.key.sk) || entry.op === 'update' ? [] : planRestore(entry, current.get(keyId(entry.key)), entry.to ? current.get(keyId(entry.to)) : undefined, parentExists);
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
export async function planUndoChunk(record: MergeRecord, owner: string): Promise<Op[] | undefined> {
  const late = lateDuplicates(record);
  const undoSwitched = record.undoSwitched ?? 0;
  if (undoSwitched < late.length) return planLateSwitchBack(record, owner, late.slice(undoSwitched, undoSwitched + switchTuning.latePerStep));
  const forwards = await forwardsOf(record.id, 30);
  if (forwards.length > 0) {
    const entries = forwards.map(forwardEntry);
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
