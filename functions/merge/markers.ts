import { dispatchMergeMarkerKey, mergeLockKey, mergeMarkerKey } from '../data/keys.js';
import { activeKey, lockOps, type MergeRecord } from './merge-record.js';
import { getManyRaw } from './moves.js';
import { keyId, keyOf, toRaw, type ItemKey, type RawItem } from './raw.js';
import { MAX_ACTIONS, type Op } from './transact.js';

/**
 * Markers and locks: what lets a merge of any size switch in one
 * transaction as far as readers can tell (the scheme: ./DESIGN.md).
 *
 * A switch transaction has room for the profiles of SWITCH_DUPLICATES
 * duplicates (two actions each). Duplicates beyond them are "late": before
 * the switch each gets a lock and a marker (`P#MERGE`, read by its profile's
 * own Query), and their profiles follow in the first chunks after it. A
 * reader that meets a marker asks the merge record, so from the switch on a
 * late duplicate already answers 404 (and, on undo, already answers with
 * the profile it gets back). The primary's markers are written by the
 * switch itself: they make its profile and dispatch report read the
 * duplicates' collections while history is still moving.
 */
export const SWITCH_DUPLICATES = 40;

export type MarkerRole = 'primary' | 'duplicate';
export const MERGE_MARKER_TYPE = 'mergeMarker';

export const lateDuplicates = (record: Pick<MergeRecord, 'duplicateIds'>) => record.duplicateIds.slice(SWITCH_DUPLICATES);
export const earlyDuplicates = (record: Pick<MergeRecord, 'duplicateIds'>) => record.duplicateIds.slice(0, SWITCH_DUPLICATES);

function markerItem(key: ItemKey, mergeId: string, primaryId: string, role: MarkerRole, restore?: RawItem): RawItem {
  return {
    ...toRaw({ ...key, type: MERGE_MARKER_TYPE, mergeId, primaryId, role }),
    ...(restore ? { restore: { M: restore } } : {}),
  };
}

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
export const prepSlice = (ops: Op[], done: number, besides = 1) => ops.slice(done, done + MAX_ACTIONS - besides);

/** Throws the message when one of the locks the ops take belongs to another merge. */
export async function assertLocksFree(mergeId: string, ops: Op[]): Promise<void> {
  const keys = ops.flatMap((op) => (op.kind === 'put' && op.item.type?.S === 'mergeLock' ? [keyOf(op.item)] : []));
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
