import { dailyAt } from './schedule-expression.js';

/**
 * Scheduled functions: the CDK Schedules construct creates the EventBridge
 * rules of each entry and the local host runs the same handlers on timers.
 * `functions/scheduled/<name>.ts` exports `handler`.
 *
 * A schedule fires every `everyMinutes` minutes, or, with `expression`, on
 * an EventBridge schedule expression (schedule-expression.ts) that a tenant
 * setting may override: the CDK context key `setting.context`, and locally
 * the environment variable `setting.env`. Such a schedule may also have a
 * `continueEveryMinutes` tick, which only resumes a run that one invocation
 * could not finish (its handler gets `{ "action": "continue" }`).
 */
export interface ScheduleDefinition {
  readonly name: string;
  readonly everyMinutes?: number;
  /** The default schedule expression for a tenant timezone, when the tenant setting is not given. */
  readonly expression?: (timezone: string) => string;
  readonly setting?: { readonly context: string; readonly env: string };
  readonly continueEveryMinutes?: number;
  readonly description: string;
}

/** The event a continuation tick hands the handler. */
export const CONTINUE_EVENT = { action: 'continue' } as const;

/** The schedule expression a tenant runs a schedule on: its setting when given, else the default for its timezone. */
export function scheduleExpressionOf(schedule: ScheduleDefinition, timezone: string, setting?: string): string {
  if (schedule.everyMinutes !== undefined) return schedule.everyMinutes === 1 ? 'rate(1 minute)' : `rate(${schedule.everyMinutes} minutes)`;
  if (!schedule.expression) throw new Error(`schedule ${schedule.name} has neither everyMinutes nor an expression`);
  return setting || schedule.expression(timezone);
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
  {
    name: 'purge-recycle-bin',
    everyMinutes: 60,
    description: 'purges the contacts whose time in the recycle bin (the tenant setting recycleDays, 30 days by default) is over',
  },
  {
    name: 'reconcile',
    // Nightly: 03:00 in the tenant's timezone unless the tenant setting says otherwise.
    expression: (timezone) => dailyAt(3, 0, timezone),
    setting: { context: 'reconcileSchedule', env: 'RECONCILE_SCHEDULE' },
    continueEveryMinutes: 15,
    description: 'recomputes engagement counters, activity states and panel aggregates from the table, repairs every difference and records what it repaired',
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
