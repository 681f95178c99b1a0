import type { Context } from 'aws-lambda';
import { logger } from '../lib/logger.js';
import { jobTiming, runJob } from './job-runner.js';
import './job-types.js';

export interface WorkerEvent {
  jobId: string;
  /** The lease token the starter (API, previous worker, resume-jobs) left for this invocation. */
  token?: string;
}

/**
 * The background job worker (async invocations only). It runs the job's
 * steps under a lease and, with two minutes of its 15 left, hands the job
 * to a fresh invocation of itself.
 */
export const handler = async (event: WorkerEvent, context: Context) => {
  if (!event || typeof event.jobId !== 'string') {
    logger.warn('job worker invoked without a job id', { event: event as unknown as Record<string, unknown> });
    return { result: 'ignored' };
  }
  logger.appendKeys({ jobId: event.jobId });
  const result = await runJob(event.jobId, {
    remainingMs: () => context.getRemainingTimeInMillis(),
    reserveMs: jobTiming.workerReserveMs,
    token: event.token,
  });
  logger.info('job worker finished', { result });
  return { jobId: event.jobId, result };
};
