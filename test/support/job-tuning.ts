import { afterEach, beforeAll } from 'vitest';
import { jobTiming, jobTuning } from '../../functions/jobs/job-runner.js';

/** For a file of job tests: jobs start without the settle wait, and what a test changes in jobTuning is put back after it. */
export function useJobTuning(): void {
  const defaults = { ...jobTuning };
  beforeAll(() => {
    jobTiming.settleMs = 0;
  });
  afterEach(() => {
    Object.assign(jobTuning, defaults);
  });
}
