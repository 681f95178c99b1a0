import { randomUUID } from 'node:crypto';
import { invokeJobWorker } from '../lib/invoke.js';
import { logger } from '../lib/logger.js';
import { activeJobs, claimForResume, failStoppedJob } from '../data/job.js';
import { jobTiming } from '../jobs/job-runner.js';

/** A job resumed this many times without committing a step in between is given up. */
export const MAX_STALLS = 5;

/**
 * Every minute: finds unfinished jobs whose lease ran out (the worker
 * crashed, timed out, or its invocation never came) and starts a worker on
 * each from its saved progress. The claim is conditional, so overlapping
 * runs start one worker per job.
 */
export const handler = async () => {
  const now = Date.now();
  const stopped = (await activeJobs(now)).filter((job) => job.leaseUntil === undefined || job.leaseUntil < now);
  let resumed = 0;
  let failed = 0;
  for (const job of stopped) {
    const stalls = job.resumeStep === job.step ? (job.stalls ?? 0) + 1 : 0;
    if (stalls >= MAX_STALLS) {
      if (await failStoppedJob(job, `The job stopped making progress and was given up after ${MAX_STALLS} attempts to resume it.`, now)) failed++;
      continue;
    }
    const token = `resume:${randomUUID()}`;
    if (!(await claimForResume(job, token, jobTiming.handOverGraceMs, now))) continue;
    resumed++;
    logger.info('resuming job', { jobId: job.id, jobType: job.jobType, step: job.step, processed: job.processed });
    await invokeJobWorker({ jobId: job.id, token } as { jobId: string }).catch((error) =>
      logger.warn('could not invoke the job worker; the next run retries', { jobId: job.id, error: error as Error }),
    );
  }
  return { stopped: stopped.length, resumed, failed };
};
