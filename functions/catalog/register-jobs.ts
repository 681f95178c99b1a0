import { registerJobType } from '../jobs/job-runner.js';
import { catalogJobTypes } from './catalog-jobs.js';

/** The catalog's fan-out job types, for functions that start them inline (functions/jobs/job-types.ts registers every type for the worker). */
for (const type of catalogJobTypes) registerJobType(type);
