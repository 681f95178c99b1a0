import { PAGE_LIMIT } from '../data/query.js';
import { METRIC } from '../lib/metric-names.js';
import { emitMetrics } from '../lib/metrics.js';
import { aggregatesPhase } from './aggregates-phase.js';
import { contactsChunk } from './contacts-phase.js';
import { claim, commit, finish, pause, releaseLease, type ReconcileResult } from './run-state.js';
import { repairCount } from './summary.js';

export { lastReconcileSummary, type ReconcileResult } from './run-state.js';
export type { ReconcileSummary } from './summary.js';

/**
 * Scheduled reconciliation (issue 15): recomputes every derived number the
 * stream keeps from the table, compares it with what is stored, repairs
 * each difference and records what it repaired.
 *
 * A run has two phases, resumable like a job:
 * 1. contacts: a parallel Scan (one page per segment per chunk) finds every
 *    contact with a profile, an activity state or engagement counters; each
 *    one's collection is read in one consistent Query, its counters and
 *    state recomputed (engagement-counters.ts, activity-states.ts) and
 *    repaired (contacts-phase.ts), and its state's share of the tenant
 *    aggregates added to the chunk's totals, saved beside the progress (a
 *    contact's items are contiguous in a Scan, so each is met once).
 * 2. aggregates: the saved totals are compared with every stored aggregate
 *    item (aggregates.ts) and the differences repaired
 *    (aggregates-phase.ts).
 * After each chunk the progress (scan cursors, counts, examples) is saved in
 * the run state under a lease (run-state.ts); a crash loses at most one
 * chunk, and redoing a chunk is harmless (repairs are conditional, totals
 * overwritten). A finished run leaves its summary (summary.ts) in its own
 * item (data/reconcile-run.ts) and in one structured log line.
 *
 * Races with the stream: a record in flight when the table is read has
 * already changed the history but not yet the numbers derived from it;
 * "repairing" that would count it twice once the stream applies it. So a
 * difference is repaired only when a second read, `settleMs` later, finds
 * exactly the same difference with the item's watermarks (counters,
 * aggregates) or version (states) unchanged, and the write is conditioned on
 * them. An aggregate is also left alone when the stream applied anything to
 * it since the run started (its watermark times say so), since the states
 * summed were read at different moments. What is left alone is counted as
 * unsettled; the next run looks again. A stream stalled for longer than
 * `settleMs` defeats the second read: replay failed records first.
 */

export interface ReconcileOptions {
  now?: () => Date;
  /** Parallel Scan segments. @default 4 */
  segments?: number;
  /** Items a Scan page evaluates (a chunk is one page per segment). @default PAGE_LIMIT */
  pageLimit?: number;
  /** Time between the two reads of a difference. @default 15 s */
  settleMs?: number;
  /** Clock difference allowed between this function and the stream's. @default 2 s */
  clockSkewMs?: number;
  /** Contacts read and repaired at once. @default 8 */
  concurrency?: number;
  /** Epoch ms by which this invocation must be done; it pauses (saving its progress) before. @default none */
  deadline?: number;
  /** Stop after this many steps (a chunk, or the aggregates phase) in this call, paused (tests). */
  maxChunks?: number;
  /** How long a claim on the run lasts without a committed chunk: longer than a Lambda invocation can live. @default 16 min */
  leaseMs?: number;
  /** Start a new run when none is in progress. @default true (false: only continue one) */
  start?: boolean;
  /** Take over a run whose lease is still live (its worker is known to be gone). */
  takeOver?: boolean;
  /** Who started the run (schedule, command). */
  trigger?: string;
}

export async function runReconcile(options: ReconcileOptions = {}): Promise<ReconcileResult> {
  const opts = {
    segments: 4,
    pageLimit: PAGE_LIMIT,
    settleMs: 15_000,
    clockSkewMs: 2_000,
    concurrency: 8,
    leaseMs: 16 * 60_000,
    ...options,
  };
  const now = () => opts.now?.() ?? new Date();
  const claimed = await claim(opts, now());
  if (!('run' in claimed)) return claimed;
  const { run, token } = claimed;
  const deadline = opts.deadline ?? Number.POSITIVE_INFINITY;
  // A chunk takes a page per segment, two reads of what differs and the repairs; the aggregates phase reads them all twice.
  const chunkBudget = 60_000 + opts.settleMs;
  const aggregatesBudget = 3 * 60_000 + opts.settleMs;
  let steps = 0;
  // Repairs count in a business metric (an alarm goes off on the first), per step as they happen.
  let counted = repairCount(run.summary);
  const emitRepairs = () => {
    emitMetrics({ [METRIC.reconcileRepairs]: repairCount(run.summary) - counted });
    counted = repairCount(run.summary);
  };
  const work = async (): Promise<ReconcileResult> => {
    for (;;) {
      if (opts.maxChunks !== undefined && steps >= opts.maxChunks) return pause(run, token);
      if (run.phase === 'contacts') {
        if (run.segments.every((s) => s.done)) {
          const chunkRead = run.chunk;
          run.phase = 'aggregates';
          await commit(run, token, chunkRead);
          continue;
        }
        if (Date.now() + chunkBudget > deadline) return pause(run, token);
        const chunkRead = run.chunk;
        await contactsChunk(run, opts, now());
        run.chunk++;
        run.lease = { token, until: Date.now() + opts.leaseMs };
        await commit(run, token, chunkRead);
        emitRepairs();
        steps++;
        continue;
      }
      if (Date.now() + aggregatesBudget > deadline) return pause(run, token);
      await aggregatesPhase(run, opts, now());
      const summary = await finish(run, token, now());
      emitRepairs();
      return { status: 'finished', summary };
    }
  };
  try {
    return await work();
  } catch (error) {
    // The step under way is lost (its progress was not saved); let the next call redo it without waiting for the lease.
    await releaseLease(token).catch(() => undefined);
    throw error;
  }
}
