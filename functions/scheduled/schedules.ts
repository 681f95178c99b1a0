/**
 * Scheduled functions: the CDK Schedules construct creates one EventBridge
 * rule per entry and the local host runs the same handlers on timers.
 * `functions/scheduled/<name>.ts` exports `handler`.
 */
export interface ScheduleDefinition {
  readonly name: string;
  readonly everyMinutes: number;
  readonly description: string;
}

export const SCHEDULES: readonly ScheduleDefinition[] = [
  {
    name: 'roll-engagement-window',
    everyMinutes: 60,
    description: 'moves per-contact 90-day engagement windows for contacts whose oldest active day just left the window',
  },
  {
    name: 'roll-analytics',
    everyMinutes: 5,
    description: 'rolls tenant-wide windows and distinct counts for the Contact Behavior panel',
  },
  {
    name: 'resume-jobs',
    everyMinutes: 1,
    description: 'resumes background jobs whose worker stopped (crash, timeout) from their saved progress',
  },
  {
    name: 'resume-merges',
    everyMinutes: 1,
    description: 'finishes merges and undos that a request left running (very large histories) or a crash interrupted, from their saved progress',
  },
];

/** The stream processor: one function on the table stream that routes records by item type. */
/**
 * The table stream's consumer. Records per invocation: counters are written
 * once per distinct key per batch, so larger batches mean fewer writes per
 * event (the events of one message or contact often fall in one batch);
 * 1,000 is the most one GetRecords call returns.
 */
export const STREAM_PROCESSOR = { name: 'process-table-stream', entry: 'functions/streams/process-table-stream.ts', batchSize: 1_000 } as const;

/** Background job worker, invoked asynchronously by the jobs API and by resume-jobs. */
export const JOB_WORKER = { name: 'run-job-worker', entry: 'functions/jobs/run-job-worker.ts' } as const;
