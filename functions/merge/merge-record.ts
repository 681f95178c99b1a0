import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { gsi, mergeKey, mergeLockKey } from '../data/keys.js';
import { INDEXES } from '../data/table-schema.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { isConditionFailure } from '../lib/errors.js';
import { toRaw, type ItemKey } from './raw.js';
import type { Condition, Op } from './transact.js';

/**
 * The merge record (`MERGE#<id>` / `#META`): what was merged, by whom, and
 * how far the work has got. Every step of a merge or an undo commits its
 * progress here in the same transaction as its writes, conditioned on the
 * progress it started from and on holding the lease, so a step is applied
 * exactly once however often a crashed or timed-out run is resumed.
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
  /** Snapshot chunks written (`S#000000` is the switch). */
  chunks: number;
  /** Items the merge moved to the primary (memberships, channel states, history). */
  movedItems: number;
  /** Undo progress (the log is replayed backwards): chunks fully undone, and entries undone from the end of the next one. */
  undoChunk: number;
  undoEntry: number;
  filled: string[];
  /** Duplicates (the first ones) whose profiles switch with the switch transaction; the others are late (./markers.ts). */
  early?: number;
  /** Before a switch: locks and markers written so far (merge: the late duplicates'; undo: every lock and the late duplicates' markers). */
  marked?: number;
  undoMarked?: number;
  /** Late duplicates (beyond those the switch itself holds, ./markers.ts) whose profiles have switched, on merge and on undo. */
  switched?: number;
  undoSwitched?: number;
  /** Snapshot chunks holding duplicates' profiles (`S#000000` and the late duplicates' switch chunks). */
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

export const ACTIVE_PK = 'MERGES#ACTIVE';
export const activeKey = (id: string): ItemKey => ({ pk: ACTIVE_PK, sk: id });
export const snapshotKey = (mergeId: string, chunk: number): ItemKey => ({ pk: mergeKey(mergeId).pk, sk: `S#${String(chunk).padStart(6, '0')}` });

/** Timings, adjustable by tests. */
export const mergeTiming = {
  /** A run that stops committing steps loses its lease after this long. */
  leaseMs: 60_000,
  /** How long `POST /v1/merges` (and undo) works inline before answering `running` and leaving the rest to resume-merges. */
  inlineBudgetMs: 20_000,
};

export function recordItem(record: MergeRecord) {
  return { ...mergeKey(record.id), type: 'merge', ...record, ...gsi.byType('MERGE', record.id) };
}

export async function getMergeRecord(id: string): Promise<MergeRecord | undefined> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: mergeKey(id), ConsistentRead: true }));
  return Item?.type === 'merge' ? (Item as unknown as MergeRecord) : undefined;
}

/** Takes the lease of an active (or, for an undo, completed) merge: free, expired, or already ours. */
export async function acquireLease(id: string, owner: string, phases: MergePhase[] = ACTIVE_PHASES): Promise<boolean> {
  const now = Date.now();
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: mergeKey(id),
        UpdateExpression: 'SET leaseOwner = :o, leaseUntil = :u',
        ConditionExpression: `attribute_exists(pk) AND #phase IN (${phases.map((_, i) => `:p${i}`).join(', ')}) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :o)`,
        ExpressionAttributeNames: { '#phase': 'phase' },
        ExpressionAttributeValues: { ':o': owner, ':u': now + mergeTiming.leaseMs, ':now': now, ...Object.fromEntries(phases.map((p, i) => [`:p${i}`, p])) },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export async function releaseLease(id: string, owner: string): Promise<void> {
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: mergeKey(id),
        UpdateExpression: 'SET leaseUntil = :zero',
        ConditionExpression: 'leaseOwner = :o',
        ExpressionAttributeValues: { ':o': owner, ':zero': 0 },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/**
 * The record update every step carries: it holds only while this run owns
 * the lease and the progress is what the step was planned from, and it
 * renews the lease.
 */
export function progressOp(id: string, owner: string, expect: Record<string, string | number>, set: Record<string, unknown>, add: Record<string, number> = {}): Op {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':owner': owner, ':until': Date.now() + mergeTiming.leaseMs };
  const conditions = ['leaseOwner = :owner'];
  Object.entries(expect).forEach(([attribute, value], i) => {
    names[`#e${i}`] = attribute;
    values[`:e${i}`] = value;
    conditions.push(`#e${i} = :e${i}`);
  });
  const sets = ['leaseUntil = :until'];
  Object.entries(set).forEach(([attribute, value], i) => {
    names[`#s${i}`] = attribute;
    values[`:s${i}`] = value;
    sets.push(`#s${i} = :s${i}`);
  });
  const adds = Object.entries(add)
    .filter(([, by]) => by !== 0)
    .map(([attribute, by], i) => {
      names[`#a${i}`] = attribute;
      values[`:a${i}`] = by;
      return `#a${i} :a${i}`;
    });
  const condition: Condition = { expression: conditions.join(' AND ') };
  return {
    kind: 'update',
    key: mergeKey(id),
    expression: `SET ${sets.join(', ')}${adds.length ? ` ADD ${adds.join(', ')}` : ''}`,
    condition,
    names,
    values: toRaw(values),
  };
}

/** Lock items: one merge or undo at a time per contact. */
export const lockOps = (mergeId: string, contactIds: string[]): Op[] =>
  contactIds.map((contactId) => ({ kind: 'put', item: toRaw({ ...mergeLockKey(contactId), type: 'mergeLock', mergeId, contactId }), condition: { expression: 'attribute_not_exists(pk) OR mergeId = :m', values: toRaw({ ':m': mergeId }) } }));
export const unlockOps = (mergeId: string, contactIds: string[]): Op[] =>
  contactIds.map((contactId) => ({ kind: 'delete', key: mergeLockKey(contactId), condition: { expression: 'attribute_not_exists(pk) OR mergeId = :m', values: toRaw({ ':m': mergeId }) } }));

/** Merge history, newest first (ULID ids): one Query of the type index. */
export async function listMergeRecords(query: { limit: number; cursor?: string }): Promise<{ items: MergeRecord[]; cursor: string | null }> {
  const index = INDEXES.byType;
  const start = decodeCursor(query.cursor, ['pk', 'sk', index.partitionKey, index.sortKey], (s) => s[index.partitionKey] === 'MERGE');
  const page = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: index.name,
      KeyConditionExpression: `${index.partitionKey} = :t`,
      ExpressionAttributeValues: { ':t': 'MERGE' },
      ScanIndexForward: false,
      Limit: query.limit,
      ExclusiveStartKey: start,
    }),
  );
  return { items: (page.Items ?? []) as unknown as MergeRecord[], cursor: encodeCursor(page.LastEvaluatedKey) };
}

/** Merges that still have work to do (resume-merges reads these; a handful at most). */
export async function activeMergeIds(): Promise<string[]> {
  const ids: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ddb().send(new QueryCommand({ TableName: tableName(), KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': ACTIVE_PK }, ExclusiveStartKey: start }));
    ids.push(...(page.Items ?? []).map((item) => String(item.sk)));
    start = page.LastEvaluatedKey;
  } while (start);
  return ids;
}
