import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../lib/dynamo.js';
import { gsi, mergeKey, mergeLockKey } from './keys.js';
import { queryAll, queryIndexPage, type Item, type Page } from './query.js';

/**
 * The merge record (`MERGE#<id>` / `#META`, in byType `MERGE`, newest first),
 * the active-merge entries resume-merges reads (`MERGES#ACTIVE` / `<id>`)
 * and the per-contact locks (`MERGELOCK#<contactId>` / `#LOCK`). What the
 * phases mean and how steps commit: functions/merge/DESIGN.md.
 *
 * Phases: preparing -> moving -> completed -> undoPreparing -> undoing ->
 * undone; `failed` when the contacts changed under a merge before it
 * switched (nothing visible was written). An undo that cannot take its
 * locks goes back from undoPreparing to completed.
 */
export type MergePhase = 'preparing' | 'moving' | 'completed' | 'undoPreparing' | 'undoing' | 'undone' | 'failed';
export const ACTIVE_PHASES: MergePhase[] = ['preparing', 'moving', 'undoPreparing', 'undoing'];

export interface MergeRecord {
  id: string;
  primaryId: string;
  duplicateIds: string[];
  /** Display names at merge time (the duplicates no longer answer afterwards). */
  names: Record<string, string>;
  at: string;
  /** Sub of who merged; views name them from the user directory (functions/lib/user-directory.ts). */
  by: string;
  /** The name a token claimed, written by earlier versions: users could edit it, so it is never shown. */
  byName?: string;
  phase: MergePhase;
  /** Snapshot chunks written (chunk 0 is the switch). */
  chunks: number;
  /** Items the merge moved to the primary (memberships, channel states, history). */
  movedItems: number;
  /** Undo progress (the log is replayed backwards): chunks fully undone, and entries undone from the end of the next one. */
  undoChunk: number;
  undoEntry: number;
  filled: string[];
  /** Duplicates (the first ones) whose profiles switch with the switch transaction; the others are late (functions/merge/markers.ts). */
  early?: number;
  /** Before a switch: locks and markers written so far (merge: the late duplicates'; undo: every lock and the late duplicates' markers). */
  marked?: number;
  undoMarked?: number;
  /** Late duplicates (beyond those the switch itself holds) whose profiles have switched, on merge and on undo. */
  switched?: number;
  undoSwitched?: number;
  /** Snapshot chunks holding duplicates' profiles (chunk 0 and the late duplicates' switch chunks). */
  switchChunks?: number;
  /** Index of the first duplicate that may still hold items to move: readers of a moving merge read from it on. */
  dupCursor?: number;
  /** Who asked for the undo, kept from its first step so a resumed undo still names them. */
  undoBy?: string;
  /** As byName: written by earlier versions, never shown. */
  undoByName?: string;
  leaseOwner?: string;
  leaseUntil?: number;
  completedAt?: string;
  undoneAt?: string;
  undoneBy?: string;
  /** As byName: written by earlier versions, never shown. */
  undoneByName?: string;
  error?: string;
}

export const MERGE_TYPE = 'merge';
/** byType partition of merge records. */
export const MERGE_INDEX_TYPE = 'MERGE';
export const mergeRecordKey = mergeKey;

/** A new merge's record: what it merges, and no progress yet. */
export function newMergeRecord(fields: Pick<MergeRecord, 'id' | 'primaryId' | 'duplicateIds' | 'names' | 'at' | 'by'> & Partial<MergeRecord>): MergeRecord {
  return { phase: 'preparing', chunks: 0, movedItems: 0, undoChunk: 0, undoEntry: 0, filled: [], ...fields };
}

export function toItem(record: MergeRecord): Item {
  return { ...mergeKey(record.id), type: MERGE_TYPE, ...record, ...gsi.byType(MERGE_INDEX_TYPE, record.id) };
}

export function fromItem(item: Item | undefined): MergeRecord | undefined {
  return item?.type === MERGE_TYPE ? (item as unknown as MergeRecord) : undefined;
}

/** The record as it is now (strongly consistent). */
export async function getMergeRecord(id: string): Promise<MergeRecord | undefined> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: mergeKey(id), ConsistentRead: true }));
  return fromItem(Item);
}

/** Merge history, newest first (ULID ids): one Query of the type index. */
export async function mergeRecordsPage(query: { limit: number; cursor?: string }): Promise<Page<MergeRecord>> {
  const page = await queryIndexPage({ index: 'byType', partition: MERGE_INDEX_TYPE, limit: query.limit, cursor: query.cursor });
  return { items: page.items as unknown as MergeRecord[], cursor: page.cursor };
}

/** Every merge's id, contacts and phase, oldest first: one paged Query of the type index (an erasure finds the merges that name a person). */
export async function allMergeOutlines(): Promise<Pick<MergeRecord, 'id' | 'primaryId' | 'duplicateIds' | 'phase'>[]> {
  const items = await queryAll({ index: 'byType', partition: MERGE_INDEX_TYPE, projection: 'id, primaryId, duplicateIds, #phase', filter: { ExpressionAttributeNames: { '#phase': 'phase' } }, newestFirst: false });
  return items as unknown as Pick<MergeRecord, 'id' | 'primaryId' | 'duplicateIds' | 'phase'>[];
}

/**
 * Takes erased contacts' names out of a merge record (an erasure): the
 * merge stays in the history, its contacts then show by id alone.
 */
export async function removeMergeNames(id: string, contactIds: readonly string[]): Promise<void> {
  if (contactIds.length === 0) return;
  const names = Object.fromEntries(contactIds.map((contactId, i) => [`#n${i}`, contactId]));
  await ddb().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: mergeKey(id),
      UpdateExpression: `REMOVE ${contactIds.map((_, i) => `#names.#n${i}`).join(', ')}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#names': 'names', ...names },
    }),
  );
}

// ---------- active entries ----------

const ACTIVE_PK = 'MERGES#ACTIVE';
export const activeKey = (mergeId: string) => ({ pk: ACTIVE_PK, sk: mergeId });
/** A merge with work left to do, from its first step to its last. */
export const activeItem = (mergeId: string): Item => ({ ...activeKey(mergeId), type: 'mergeActive', mergeId });

/** Merges that still have work to do (resume-merges reads these; a handful at most). */
export async function activeMergeIds(): Promise<string[]> {
  return (await queryAll({ partition: ACTIVE_PK, newestFirst: false })).map((item) => String(item.sk));
}

// ---------- locks ----------

export const MERGE_LOCK_TYPE = 'mergeLock';
export const mergeLockItem = (mergeId: string, contactId: string): Item => ({ ...mergeLockKey(contactId), type: MERGE_LOCK_TYPE, mergeId, contactId });
export { mergeLockKey };
