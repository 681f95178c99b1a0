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

/**
 * The table stream's consumer: one function that routes records by item
 * type. Records per invocation: counters and per-contact states are written
 * once per distinct key per batch, so larger batches mean fewer writes per
 * event (the events of one message or contact often fall in one batch).
 * Above 1,000 (one GetRecords call) the event source mapping gathers several
 * calls within its batching window, and the local poller does likewise;
 * 5,000 gave ~15% more events/s than 1,000 on DynamoDB Local and 10,000
 * little more (Lambda's 6 MB payload limit caps a batch of large images
 * anyway).
 */
export const STREAM_PROCESSOR = { name: 'process-table-stream', entry: 'functions/streams/process-table-stream.ts', batchSize: 5_000 } as const;

/** Background job worker, invoked asynchronously by the jobs API and by resume-jobs. */
export const JOB_WORKER = { name: 'run-job-worker', entry: 'functions/jobs/run-job-worker.ts' } as const;
