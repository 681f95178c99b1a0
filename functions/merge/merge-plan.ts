import { activityItem } from '../data/activity.js';
import { snapshotItem, type SnapshotEntry } from '../data/merge-snapshot.js';
import { mergedAliasItem } from '../data/alias.js';
import { classify, contactKey, contactPk, membershipParent, movableItems, profileSideItems } from '../data/merge-collection.js';
import type { MergeRecord } from '../data/merge-record.js';
import { approxSize, getManyRaw, getRaw, keyId, keyOf, toRaw, unchangedCondition, type RawItem } from '../data/raw-item.js';
import { assertLocksFree, earlyDuplicates, fitting, lateDuplicates, prepSlice, primaryMarkerOps, switchTuning } from './markers.js';
import { progressOp } from './merge-record.js';
import { planMove } from './moves.js';
import { mergedPrimary } from './primary-profile.js';
import { actionCount, isContact, MAX_ACTIONS, notExists, type Op } from './transact.js';

/**
 * What each step of a merge writes (driven by ./merge-engine.ts): the
 * slices of locks and markers before the switch, the switch transaction,
 * then the late duplicates' profiles and the history in chunks. Each plan
 * reads what it changes and conditions its writes on it and on the
 * record's progress, so a plan that lost a race fails as a whole.
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

/** The merge cannot go on: the contacts changed under it (nothing visible was written). */
export class MergeInvalid extends Error {}

/** The next slice of what must be written before a switch (locks, markers); undefined when all is. */
export async function planPrep(record: MergeRecord, owner: string, phase: 'preparing' | 'undoPreparing', all: Op[]): Promise<Op[] | undefined> {
  const field = phase === 'preparing' ? 'marked' : 'undoMarked';
  const done = record[field] ?? 0;
  const slice = prepSlice(all, done);
  if (slice.length === 0) return undefined;
  await assertLocksFree(record.id, slice);
  return [progressOp(record.id, owner, { phase, [field]: done }, { [field]: done + slice.length }), ...slice];
}

export async function planSwitch(record: MergeRecord, owner: string): Promise<Op[]> {
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
  // The timelines: the primary's says what it took in; each duplicate's entry then moves to the primary with its history.
  const by = { kind: 'person' as const, sub: record.by };
  ops.push({ kind: 'put', item: toRaw(activityItem(record.primaryId, 'merged', { mergeId: record.id, role: 'primary', duplicateIds: record.duplicateIds }, now, by)), condition: notExists });
  for (const duplicate of duplicates.slice(0, early.length) as RawItem[]) {
    entries.push({ op: 'delete', key: keyOf(duplicate), before: duplicate });
    ops.push({ kind: 'delete', key: keyOf(duplicate), condition: unchangedCondition(duplicate, 'p') });
    ops.push({ kind: 'put', item: mergedAliasItem(duplicate, record.primaryId, record.id, record.at), condition: notExists });
    const duplicateId = duplicate.contactId?.S ?? duplicate.id?.S ?? '';
    ops.push({ kind: 'put', item: toRaw(activityItem(duplicateId, 'merged', { mergeId: record.id, role: 'duplicate', primaryId: record.primaryId }, now, by)), condition: notExists });
  }

  // Memberships and channel states join the switch while they fit (every ordinary merge); the rest move first thing after it.
  const [own, ...theirs] = await Promise.all([profileSideItems(record.primaryId), ...early.map(profileSideItems)]);
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
export async function planMoveChunk(record: MergeRecord, owner: string): Promise<Op[] | undefined> {
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
