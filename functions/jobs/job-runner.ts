import { randomUUID } from 'node:crypto';
import { invokeJobWorker } from '../lib/invoke.js';
import { logger } from '../lib/logger.js';
import { METRIC } from '../lib/metric-names.js';
import { emitMetrics } from '../lib/metrics.js';
import { acquireLease, commitStep, finishCancelled, getJob, handOverLease, MAX_STORED_ERRORS, type CounterUpdate, type JobError, type JobOutput, type JobRecord } from '../data/job.js';
import { runAs } from '../lib/actor.js';

/**
 * What a job type does in one step. Steps are short (seconds): after each
 * one the runner commits the progress and renews the lease, so a worker
 * that dies loses at most the step it was in, and that step is redone.
 * A step must therefore be safe to redo: writes idempotent, and any count
 * that must not be applied twice returned as `counters`, which commit in
 * the same transaction as the progress.
 */
export interface StepContext {
  readonly job: JobRecord;
  /**
   * True on the first step after taking over a job whose last worker did not
   * hand it over cleanly (a crash, a timeout): that step may be partly done.
   */
  readonly maybeRedo: boolean;
}

export interface StepOutcome {
  /** The handler's progress after this step (kept small: offsets, cursors, a planned chunk). */
  state: Record<string, unknown>;
  processed?: number;
  failed?: number;
  errors?: JobError[];
  /** Absolute total, when the step learns it. */
  total?: number;
  /** Absolute per-outcome counts (created, updated, skipped...). */
  summary?: Record<string, number>;
  output?: JobOutput;
  counters?: CounterUpdate[];
  done?: boolean;
}

export interface JobType {
  readonly name: string;
  step(context: StepContext): Promise<StepOutcome>;
  /** After the job ended (either way): drops its input blobs. Best effort; S3 expires them anyway. */
  cleanup?(job: JobRecord): Promise<void>;
}

/** Ends the job as failed with a message for the user (bad input found late, a list deleted mid-import...). */
export class JobFailure extends Error {}

/** Timings, adjustable by tests. */
export const jobTiming = {
  /** A worker that stops committing steps loses its lease after this long. */
  leaseMs: 90_000,
  /** How long a handed-over or resumed job waits for its worker before resume-jobs may start another. */
  handOverGraceMs: 30_000,
  /** A Lambda worker stops starting steps when less than this is left of its 15 minutes. */
  workerReserveMs: 120_000,
  /**
   * Pause before a fan-out's verification pass over a secondary index: a
   * write that landed just before the first pass may not have reached the
   * (eventually consistent) index yet.
   */
  settleMs: 2_000,
};

/** Step sizes and fan-out, adjustable by tests (small chunks make "midway" reachable with a few rows). */
export const jobTuning = {
  /**
   * Contacts deleted per step. The planned chunk's ids ride on the job item
   * (26 bytes each), and each step ends with the pipeline drained, so
   * bigger chunks waste less of it.
   */
  deleteChunk: 1000,
  /**
   * CSV rows imported per step at most; a step also stops taking rows after
   * `importStepMs` or `importUpdates` matches to update. Each step ends by
   * waiting for its writes, so bigger steps keep more of them in flight.
   */
  importChunk: 5000,
  importStepMs: 20_000,
  importUpdates: 1000,
  /** Rows validated at a time within an import step (their writes overlap the validation of the next). */
  importSlice: 250,
  /** Contact-base page read by a bulk job's selection (the API's largest page). */
  selectionPage: 100,
  /** Contact pages (100 each) exported per step. */
  exportPages: 20,
  /** Contacts tagged or added to a list per step. */
  bulkChunk: 100,
  /** Catalog members renamed or cleared per step. */
  fanoutChunk: 200,
  /** DynamoDB requests a step keeps in flight. */
  concurrency: 8,
  /** BatchWriteItem calls an import keeps in flight (each carries 25 items). */
  importWriters: 16,
  /** Contacts a bulk delete reads and clears at once. */
  deleteConcurrency: 16,
};

const registry = new Map<string, JobType>();

export function registerJobType(type: JobType): void {
  registry.set(type.name, type);
}

export function jobTypeOf(name: string): JobType | undefined {
  return registry.get(name);
}

export type RunResult = 'done' | 'paused' | 'busy' | 'lost';

function applyOutcome(job: JobRecord, outcome: StepOutcome): JobRecord {
  const errors = outcome.errors ?? [];
  const room = Math.max(0, MAX_STORED_ERRORS - job.errors.length);
  return {
    ...job,
    state: outcome.state,
    status: outcome.done ? 'succeeded' : 'running',
    total: outcome.total ?? job.total,
    processed: job.processed + (outcome.processed ?? 0),
    failed: job.failed + (outcome.failed ?? 0),
    errors: room > 0 ? [...job.errors, ...errors.slice(0, room).map(trimError)] : job.errors,
    errorCount: job.errorCount + errors.length,
    summary: outcome.summary ?? job.summary,
    output: outcome.output ?? job.output,
  };
}

function trimError(error: JobError): JobError {
  return { ...error, message: error.message.length > 300 ? `${error.message.slice(0, 297)}...` : error.message };
}

/** Whether `POST /v1/jobs/{id}/cancel` asked this job to stop (read fresh: the flag lands while a step runs). */
async function cancelAsked(job: JobRecord): Promise<boolean> {
  if (job.cancelRequested) return true;
  return !!(await getJob(job.id, true))?.cancelRequested;
}

/**
 * Runs a job's steps while `remainingMs()` stays above `reserveMs`, under a
 * lease. When time runs short it hands the lease over and invokes the
 * worker again, so no job depends on one invocation outliving its limit.
 */
export async function runJob(jobId: string, options: { remainingMs: () => number; reserveMs: number; token?: string }): Promise<RunResult> {
  const owner = `worker:${randomUUID()}`;
  const before = await acquireLease(jobId, owner, jobTiming.leaseMs, options.token);
  if (!before) return 'busy';
  // A token-less lease owner means a worker stopped while holding it; "start:"/"handover:" tokens are clean.
  let maybeRedo = !!before.leaseOwner && !/^(start|handover):/.test(before.leaseOwner);
  let job: JobRecord = { ...before, status: 'running', leaseOwner: owner };
  const type = jobTypeOf(job.jobType);
  for (;;) {
    if (options.remainingMs() < options.reserveMs) {
      const token = `handover:${randomUUID()}`;
      if (!(await handOverLease(job.id, owner, token, jobTiming.handOverGraceMs))) return 'lost';
      await invokeJobWorker({ jobId: job.id, token } as { jobId: string }).catch((error) =>
        logger.warn('job worker re-invoke failed; resume-jobs will continue the job', { jobId: job.id, error: error as Error }),
      );
      return 'paused';
    }
    // A cancel is honoured between steps (a redo first finishes the step a crashed worker left).
    if (!maybeRedo && (await cancelAsked(job))) {
      if (!(await finishCancelled(job.id, owner))) return 'lost';
      await type?.cleanup?.({ ...job, status: 'cancelled' }).catch((error) => logger.warn('job cleanup failed', { jobId: job.id, error: error as Error }));
      return 'done';
    }
    let next: JobRecord;
    let counters: CounterUpdate[] = [];
    try {
      if (!type) throw new JobFailure(`Unknown job type ${job.jobType}.`);
      // What a step changes reads, on each contact's timeline, as the job's (of the person who started it).
      const outcome = await runAs({ kind: 'job', jobId: job.id, sub: job.createdBy }, () => type.step({ job, maybeRedo }));
      next = applyOutcome(job, outcome);
      counters = outcome.counters ?? [];
    } catch (error) {
      if (!(error instanceof JobFailure)) throw error;
      next = { ...job, status: 'failed', message: error.message };
    }
    if (!(await commitStep(job, owner, next, counters, jobTiming.leaseMs))) return 'lost';
    emitMetrics({
      [METRIC.jobRows]: next.processed - job.processed + (next.failed - job.failed),
      [METRIC.jobRowsFailed]: next.failed - job.failed,
      [METRIC.jobsSucceeded]: next.status === 'succeeded' ? 1 : 0,
      [METRIC.jobsFailed]: next.status === 'failed' ? 1 : 0,
    });
    job = { ...next, step: job.step + 1 };
    maybeRedo = false;
    if (job.status !== 'running') {
      await type?.cleanup?.(job).catch((error) => logger.warn('job cleanup failed', { jobId: job.id, error: error as Error }));
      return 'done';
    }
  }
}

/**
 * Starts a job where it was just created: runs it inline for up to
 * `budgetMs` (small catalog fan-outs finish before the request answers),
 * then leaves the rest to the worker.
 */
export async function runInline(jobId: string, token: string, budgetMs: number): Promise<RunResult> {
  const deadline = Date.now() + budgetMs;
  return runJob(jobId, { remainingMs: () => deadline - Date.now(), reserveMs: 0, token });
}
