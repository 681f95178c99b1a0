import { randomUUID } from 'node:crypto';
import { ulid } from 'ulid';
import { putReconcileRun, putReconcileState, readReconcileState, releaseReconcileLease, deleteReconcileSums, type Condition } from '../data/reconcile-run.js';
import { logger } from '../lib/logger.js';
import { emptySummary, type ReconcileSummary, type RunningSummary } from './summary.js';

/**
 * A run's saved progress (data/reconcile-run.ts), claimed under a lease:
 * only the worker holding the lease commits a step, and only over the step
 * it read, so two workers never both advance a run.
 */
export type Phase = 'contacts' | 'aggregates' | 'done';

export interface SegmentCursor {
  start?: Record<string, unknown>;
  /** Last contact met in this segment: a contact straddling two pages is not read twice. */
  last?: string;
  done: boolean;
}

export interface RunState {
  runId: string;
  phase: Phase;
  trigger: string;
  startedAt: string;
  /** Epoch ms the scan started: aggregates the stream touched since are left alone. */
  scanStartMs: number;
  segments: SegmentCursor[];
  pageLimit: number;
  chunk: number;
  summary: RunningSummary;
  lease?: { token: string; until: number };
  previousRunId?: string;
  /** How contacts are met (SCAN_VERSION); a run saved by another version is started over. */
  scanVersion?: number;
}

/**
 * 2: activity states live in their lanes, and a contact is met through its
 * lane state or through its own partition by the state's `createdAt`
 * (data/contact-collection.ts). A run an earlier version began met contacts
 * otherwise: continuing it would count some twice.
 */
export const SCAN_VERSION = 2;

export type ReconcileResult =
  | { status: 'finished'; summary: ReconcileSummary }
  | { status: 'paused'; runId: string; phase: Phase; chunks: number }
  | { status: 'busy'; runId: string; leaseUntil: number }
  | { status: 'idle' };

export interface ClaimOptions {
  segments: number;
  pageLimit: number;
  leaseMs: number;
  start?: boolean;
  takeOver?: boolean;
  trigger?: string;
}

const readRun = async () => (await readReconcileState()) as (RunState & { pk: string }) | undefined;

const putRun = (run: RunState | Record<string, unknown>, condition: Condition) => putReconcileState(run as Record<string, unknown>, condition);

/** Saves progress (or the finished run): only while this worker holds the lease and the step is the one it read. */
export async function commit(item: RunState | Record<string, unknown>, token: string, chunkRead: number): Promise<void> {
  const ok = await putRun(item, {
    expression: '#lease.#token = :t AND #chunk = :c',
    names: { '#lease': 'lease', '#token': 'token', '#chunk': 'chunk' },
    values: { ':t': token, ':c': chunkRead },
  });
  if (!ok) throw new Error('reconcile: the run was taken over by another worker; this one stops');
}

type Claim = { run: RunState; token: string } | Exclude<ReconcileResult, { status: 'finished' | 'paused' }>;

/** Starts a run (none under way), or takes over the one under way when its lease lapsed (or `takeOver`). */
export async function claim(options: ClaimOptions, now: Date): Promise<Claim> {
  const existing = await readRun();
  const token = randomUUID();
  const lease = { token, until: now.getTime() + options.leaseMs };
  const outdated = existing !== undefined && existing.phase !== 'done' && existing.scanVersion !== SCAN_VERSION;
  if (!existing || existing.phase === 'done' || outdated) {
    if (options.start === false && !outdated) return { status: 'idle' };
    const runId = ulid(now.getTime());
    const startedAt = now.toISOString();
    const trigger = options.trigger ?? 'schedule';
    const run: RunState = {
      runId,
      phase: 'contacts',
      trigger,
      startedAt,
      scanStartMs: now.getTime(),
      segments: Array.from({ length: options.segments }, () => ({ done: false })),
      pageLimit: options.pageLimit,
      chunk: 0,
      summary: emptySummary(runId, trigger, startedAt, existing?.runId),
      lease,
      scanVersion: SCAN_VERSION,
      ...(existing?.runId ? { previousRunId: existing.runId } : {}),
    };
    const ok = await putRun(
      run,
      outdated
        ? { expression: '#r = :r', names: { '#r': 'runId' }, values: { ':r': existing.runId } }
        : existing
          ? { expression: '#r = :r AND #p = :done', names: { '#r': 'runId', '#p': 'phase' }, values: { ':r': existing.runId, ':done': 'done' } }
          : { expression: 'attribute_not_exists(pk)' },
    );
    if (ok) return { run, token };
    const now2 = await readRun();
    return { status: 'busy', runId: String(now2?.runId), leaseUntil: Number(now2?.lease?.until ?? 0) };
  }
  if (existing.lease && existing.lease.until > now.getTime() && !options.takeOver) {
    return { status: 'busy', runId: existing.runId, leaseUntil: existing.lease.until };
  }
  const run: RunState = { ...existing, lease };
  const ok = await putRun(run, {
    expression: '#r = :r AND #chunk = :c AND ' + (existing.lease ? '#lease.#token = :old' : 'attribute_not_exists(#lease)'),
    names: { '#r': 'runId', '#chunk': 'chunk', '#lease': 'lease', ...(existing.lease ? { '#token': 'token' } : {}) },
    values: { ':r': existing.runId, ':c': existing.chunk, ...(existing.lease ? { ':old': existing.lease.token } : {}) },
  });
  if (!ok) return { status: 'busy', runId: existing.runId, leaseUntil: existing.lease?.until ?? 0 };
  return { run, token };
}

/** Gives the lease up without touching the saved progress. */
export const releaseLease = (token: string): Promise<boolean> => releaseReconcileLease(token);

/** Saves the progress without the lease: the next call continues without waiting for it. */
export async function pause(run: RunState, token: string): Promise<ReconcileResult> {
  const chunkRead = run.chunk;
  const paused: RunState = { ...run };
  delete paused.lease;
  await commit(paused, token, chunkRead);
  logger.info('reconcile paused; the next tick continues', { runId: run.runId, phase: run.phase, chunks: run.chunk });
  return { status: 'paused', runId: run.runId, phase: run.phase, chunks: run.chunk };
}

/** Keeps the summary (its own item and in the state), frees the run's totals and logs it. */
export async function finish(run: RunState, token: string, now: Date): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = { ...run.summary, finishedAt: now.toISOString(), chunks: run.chunk };
  await putReconcileRun({ ...summary }, now);
  await commit({ runId: run.runId, phase: 'done', chunk: run.chunk, finishedAt: summary.finishedAt, lastSummary: summary }, token, run.chunk);
  await deleteReconcileSums(run.runId).catch((error) => logger.warn('reconcile: saved totals not deleted (they expire)', { error: error as Error }));
  logger.info('reconcile finished', {
    runId: summary.runId,
    repaired: summary.repaired,
    unsettled: summary.unsettled,
    details: summary.details,
    checked: summary.checked,
    examples: summary.examples,
  });
  return summary;
}

/** The latest finished run's summary, if any. */
export async function lastReconcileSummary(): Promise<ReconcileSummary | undefined> {
  const run = await readRun();
  return (run as unknown as { lastSummary?: ReconcileSummary })?.lastSummary;
}
