import type { Context } from 'aws-lambda';
import { runReconcile, type ReconcileResult } from '../reconcile/reconcile.js';
import { CONTINUE_EVENT } from './schedules.js';

/** Time kept back from the invocation's end: the step under way finishes and the progress is saved. */
const RESERVE_MS = 60_000;

/**
 * Nightly (tenant setting `reconcileSchedule`): recomputes the derived
 * numbers from the table and repairs what differs (functions/reconcile/).
 * The nightly rule starts a run; the continuation rule (`{"action":
 * "continue"}`, every 15 minutes) only resumes a run that an invocation
 * paused at its time limit or that a crash interrupted, from its saved
 * progress.
 */
export const handler = async (event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<ReconcileResult> => {
  const continuing = (event as { action?: string } | undefined)?.action === CONTINUE_EVENT.action;
  const remaining = context?.getRemainingTimeInMillis?.() ?? 15 * 60_000;
  return runReconcile({ start: !continuing, deadline: Date.now() + remaining - RESERVE_MS, trigger: 'schedule' });
};
