import { ACTIVE_PHASES, mergeLockItem, mergeRecordKey, type MergePhase } from '../data/merge-record.js';
import { toRaw } from '../data/raw-item.js';
import { tryUpdate } from '../lib/dynamo-batch.js';
import type { Condition, Op } from './transact.js';

/**
 * The merge record's lease and progress (the record itself:
 * ../data/merge-record.ts). Every step of a merge or an undo commits its
 * progress on the record in the same transaction as its writes,
 * conditioned on the progress it started from and on holding the lease, so
 * a step is applied exactly once however often a crashed or timed-out run
 * is resumed.
 */

/** Timings, adjustable by tests. */
export const mergeTiming = {
  /** A run that stops committing steps loses its lease after this long. */
  leaseMs: 60_000,
  /** How long `POST /v1/merges` (and undo) works inline before answering `running` and leaving the rest to resume-merges. */
  inlineBudgetMs: 20_000,
};

/** Takes the lease of an active (or, for an undo, completed) merge: free, expired, or already ours. */
export async function acquireLease(id: string, owner: string, phases: MergePhase[] = ACTIVE_PHASES): Promise<boolean> {
  const now = Date.now();
  return tryUpdate({
    Key: mergeRecordKey(id),
    UpdateExpression: 'SET leaseOwner = :o, leaseUntil = :u',
    ConditionExpression: `attribute_exists(pk) AND #phase IN (${phases.map((_, i) => `:p${i}`).join(', ')}) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :o)`,
    ExpressionAttributeNames: { '#phase': 'phase' },
    ExpressionAttributeValues: { ':o': owner, ':u': now + mergeTiming.leaseMs, ':now': now, ...Object.fromEntries(phases.map((p, i) => [`:p${i}`, p])) },
  });
}

/** Lets the lease go (when this run still holds it), so resume-merges need not wait for it to run out. */
export async function releaseLease(id: string, owner: string): Promise<void> {
  await tryUpdate({
    Key: mergeRecordKey(id),
    UpdateExpression: 'SET leaseUntil = :zero',
    ConditionExpression: 'leaseOwner = :o',
    ExpressionAttributeValues: { ':o': owner, ':zero': 0 },
  });
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
    key: mergeRecordKey(id),
    expression: `SET ${sets.join(', ')}${adds.length ? ` ADD ${adds.join(', ')}` : ''}`,
    condition,
    names,
    values: toRaw(values),
  };
}

/** Lock items: one merge or undo at a time per contact. */
export const lockOps = (mergeId: string, contactIds: string[]): Op[] =>
  contactIds.map((contactId) => ({ kind: 'put', item: toRaw(mergeLockItem(mergeId, contactId)), condition: { expression: 'attribute_not_exists(pk) OR mergeId = :m', values: toRaw({ ':m': mergeId }) } }));
