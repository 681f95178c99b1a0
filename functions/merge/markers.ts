import { dispatchMergeMarkerKey, markerItem, mergeMarkerKey } from '../data/merge-marker.js';
import { activeKey, MERGE_LOCK_TYPE, mergeLockKey, type MergeRecord } from '../data/merge-record.js';
import { approxSize, getManyRaw, keyId, keyOf, toRaw, type RawItem } from '../data/raw-item.js';
import { lockOps } from './merge-record.js';
import { MAX_ACTIONS, type Op } from './transact.js';

/**
 * Markers and locks: what lets a merge of any size switch in one
 * transaction as far as readers can tell (the scheme: ./DESIGN.md).
 *
 * A switch transaction has room for the profiles of `switchTuning.duplicates`
 * duplicates (two actions each). Duplicates beyond them are "late": before
 * the switch each gets a lock and a marker (`P#MERGE`, read by its profile's
 * own Query), and their profiles follow in the first chunks after it. A
 * reader that meets a marker asks the merge record, so from the switch on a
 * late duplicate already answers 404 (and, on undo, already answers with
 * the profile it gets back). The primary's markers are written by the
 * switch itself: they make its profile and dispatch report read the
 * duplicates' collections while history is still moving.
 */
export const switchTuning = {
  /** Duplicates whose profiles switch in the switch transaction itself: 3 actions each (profile, alias, activity entry), beside the primary, its markers and activity entry, the progress and the snapshot; on undo 3 each too. */
  duplicates: 30,
  /** Late duplicates switched per chunk after it: 2 actions each, beside the progress, the primary check and the snapshot. */
  latePerStep: 48,
  /** Profile bytes one switch's snapshot may hold (before compression; the snapshot is one item, 400 KB at most). */
  profileBytes: 300_000,
  /** Item bytes one transaction of locks and markers may write (DynamoDB allows 4 MB). */
  transactionBytes: 3_000_000,
};

/**
 * How many duplicates, in merge order, switch with the switch transaction:
 * as many as its actions hold, fewer when their profiles are large. Fixed
 * when the merge is created (the record keeps it) since it decides which
 * locks the record takes and which the first steps take.
 */
export const switchCount = (profiles: Record<string, unknown>[]): number =>
  fitting(profiles.slice(0, switchTuning.duplicates), (profile) => Buffer.byteLength(JSON.stringify(profile)), switchTuning.profileBytes).length;

type Split = Pick<MergeRecord, 'duplicateIds' | 'early'>;
export const earlyDuplicates = (record: Split) => record.duplicateIds.slice(0, record.early ?? switchTuning.duplicates);
export const lateDuplicates = (record: Split) => record.duplicateIds.slice(record.early ?? switchTuning.duplicates);

/** The primary's two markers, written by the switch and removed when the history has moved. */
export const primaryMarkerOps = (record: MergeRecord): Op[] =>
  [mergeMarkerKey(record.primaryId), dispatchMergeMarkerKey(record.primaryId)].map((key) => ({ kind: 'put', item: markerItem(key, record.id, record.primaryId, 'primary') }));

/**
 * What a merge writes before its switch, in order: for each late duplicate
 * its lock and its marker. (The primary's and the first duplicates' locks
 * come with the merge record.)
 */
export function mergePrepOps(record: MergeRecord): Op[] {
  return lateDuplicates(record).flatMap((id) => [...lockOps(record.id, [id]), { kind: 'put', item: markerItem(mergeMarkerKey(id), record.id, record.primaryId, 'duplicate') } as Op]);
}

/**
 * What an undo writes before its switch-back, in order: every lock, and for
 * each late duplicate a marker holding the profile it gets back, so a
 * reader sees it back from the switch-back on.
 */
export function undoPrepOps(record: MergeRecord, profiles: Map<string, RawItem>): Op[] {
  const late = new Set(lateDuplicates(record));
  return [
    ...lockOps(record.id, [record.primaryId]),
    ...record.duplicateIds.flatMap((id) => [
      ...lockOps(record.id, [id]),
      ...(late.has(id) && profiles.has(id) ? [{ kind: 'put', item: markerItem(mergeMarkerKey(id), record.id, record.primaryId, 'duplicate', profiles.get(id)) } as Op] : []),
    ]),
  ];
}

/** The next slice of prepared ops that fits one transaction beside `besides` other actions. */
export function prepSlice(ops: Op[], done: number, besides = 1): Op[] {
  return fitting(ops.slice(done, done + MAX_ACTIONS - besides), (op) => (op.kind === 'put' ? approxSize(op.item) : 0), switchTuning.transactionBytes);
}

/** The longest start of `items` (one at least) whose sizes add up to `budget`. */
export function fitting<T>(items: T[], size: (item: T) => number, budget: number): T[] {
  let total = 0;
  let count = 0;
  for (const item of items) {
    total += size(item);
    if (count > 0 && total > budget) break;
    count++;
  }
  return items.slice(0, count);
}

/** Throws the message when one of the locks the ops take belongs to another merge. */
export async function assertLocksFree(mergeId: string, ops: Op[]): Promise<void> {
  const keys = ops.flatMap((op) => (op.kind === 'put' && op.item.type?.S === MERGE_LOCK_TYPE ? [keyOf(op.item)] : []));
  const found = await getManyRaw(keys);
  const taken = [...found.values()].find((lock) => lock.mergeId?.S !== mergeId);
  if (taken) throw new LocksTaken(`Contact ${taken.contactId?.S} is part of another merge or undo that is still running; try again in a moment.`);
}

export class LocksTaken extends Error {}

/**
 * Everything a merge or undo holds that must go when it ends: its locks,
 * markers and active entry. Only items that are this merge's are deleted
 * (a contact may meanwhile be locked by another merge, when this one could
 * not take it).
 */
export async function cleanupOps(record: MergeRecord): Promise<Op[]> {
  const contacts = [record.primaryId, ...record.duplicateIds];
  const keys = [...contacts.map(mergeLockKey), ...contacts.map(mergeMarkerKey), dispatchMergeMarkerKey(record.primaryId)];
  const found = await getManyRaw(keys);
  // Idempotent: a batch that committed but answered with an error is simply sent again.
  const ours = { expression: 'attribute_not_exists(pk) OR mergeId = :m', values: toRaw({ ':m': record.id }) };
  return [
    ...keys.filter((key) => found.get(keyId(key))?.mergeId?.S === record.id).map((key): Op => ({ kind: 'delete', key, condition: ours })),
    { kind: 'delete', key: activeKey(record.id) },
  ];
}
