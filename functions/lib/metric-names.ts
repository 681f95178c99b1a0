/**
 * The business metrics the functions emit (./metrics.ts, CloudWatch embedded
 * metric format) and the CDK alarms and dashboard read
 * (infra/constructs/monitoring.ts): one list, so a renamed metric cannot
 * leave an alarm watching nothing. Kept apart from ./metrics.ts so the CDK
 * app imports the names without Powertools.
 *
 * Every metric is a count in METRICS_NAMESPACE with the dimensions
 * `service` (METRICS_SERVICE) and `tenant`: one custom metric per name and
 * tenant, and nothing finer (a dimension per job type or per route would
 * multiply what CloudWatch bills per metric).
 */
export const METRICS_NAMESPACE = 'ContactBase';

/** The `service` dimension; also POWERTOOLS_SERVICE_NAME of every function. */
export const METRICS_SERVICE = 'contact-base';

export const METRIC = {
  /** Integration events applied by `POST /v1/events`. */
  eventsAccepted: 'EventsAccepted',
  /** Events already applied (a retried call, a repeated id). */
  eventsDuplicate: 'EventsDuplicate',
  /** Events refused one by one (invalid, unknown contact, item kept changing). */
  eventsRejected: 'EventsRejected',
  /** Table stream records the processors handled without failure. */
  streamRecordsProcessed: 'StreamRecordsProcessed',
  /** Records reported as batch item failures (retried, then sent to the on-failure queue). */
  streamRecordsFailed: 'StreamRecordsFailed',
  /** Engagement counter items written by the stream function (at most one per distinct counter per batch). */
  counterWrites: 'CounterWrites',
  /** Rows (contacts, CSV lines, members) background jobs went through, failed rows included. */
  jobRows: 'JobRows',
  jobRowsFailed: 'JobRowsFailed',
  jobsSucceeded: 'JobsSucceeded',
  jobsFailed: 'JobsFailed',
  /** Merges completed, and the duplicates they merged. */
  merges: 'Merges',
  mergedDuplicates: 'MergedDuplicates',
  mergesUndone: 'MergesUndone',
  /** Contacts erased with suppression (issue 17); emitted by the erasure once it exists. */
  erasures: 'Erasures',
  /**
   * Derived items the reconciliation found different from a recomputation
   * and repaired (functions/reconcile/). Any repair is a bug somewhere
   * upstream: an alarm goes off on the first one.
   */
  reconcileRepairs: 'ReconcileRepairs',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];
