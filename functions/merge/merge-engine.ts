import { randomUUID } from 'node:crypto';
import { contactKey } from '../data/merge-collection.js';
import { getMergeRecord, type MergePhase, type MergeRecord } from '../data/merge-record.js';
import { getRaw } from '../data/raw-item.js';
import { logger } from '../lib/logger.js';
import { METRIC } from '../lib/metric-names.js';
import { emitMetrics } from '../lib/metrics.js';
import { cleanupOps, LocksTaken, mergePrepOps, undoPrepOps } from './markers.js';
import { MergeInvalid, mergeTuning, planMoveChunk, planPrep, planSwitch } from './merge-plan.js';
import { progressOp, releaseLease } from './merge-record.js';
import { commitWithRetry, MAX_ACTIONS, type Op } from './transact.js';
import { planSwitchBack, planUndoChunk, planUndoStart, profileImages } from './undo-plan.js';

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

/**
 * Test hook: called after each committed step (with the record as it was
 * before the step), and awaited, so a test can read between steps; throwing
 * simulates a crash between steps.
 */
export const mergeFaults: { afterStep?: (record: MergeRecord, step: number) => void | Promise<void> } = {};

class LostLease extends Error {}
const isInvalid = (error: unknown): error is Error => error instanceof MergeInvalid || error instanceof LocksTaken;

export const newOwner = () => `run:${randomUUID()}`;

/**
 * Runs one step: reads the record, plans, commits; plans again from fresh
 * reads when it loses a race. Throws LostLease when another run owns the
 * merge now.
 */
async function step(id: string, owner: string, phase: MergePhase, plan: (record: MergeRecord) => Promise<Op[] | undefined>, current?: MergeRecord): Promise<boolean> {
  return commitWithRetry<boolean>(
    async (attempt) => {
      // The caller's fresh read serves the first attempt; a retry reads again.
      const record = attempt === 0 && current ? current : await getMergeRecord(id);
      if (!record || record.leaseOwner !== owner) throw new LostLease();
      // An attempt that committed but answered with an error already moved the record on.
      if (record.phase !== phase) return { done: true };
      return (await plan(record)) ?? { done: false };
    },
    { committed: true, attempts: mergeTuning.stepAttempts, baseMs: 30, exhausted: (codes) => new Error(`merge ${id}: a step kept conflicting (${codes.join(',')})`) },
  );
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

