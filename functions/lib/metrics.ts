import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { config } from './config.js';
import { METRICS_NAMESPACE, METRICS_SERVICE, type MetricName } from './metric-names.js';

export type MetricCounts = Partial<Record<MetricName, number>>;

let metrics: Metrics | undefined;
const listeners = new Set<(counts: MetricCounts) => void>();

/**
 * Whether EMF lines go to stdout. POWERTOOLS_METRICS_DISABLED decides when
 * it is set (Powertools' own switch); otherwise metrics are published in
 * Lambda only, so the local stack, the tests and the bench print none.
 */
function publishing(): boolean {
  const flag = process.env.POWERTOOLS_METRICS_DISABLED?.trim();
  if (flag) return !/^(1|true|yes|on|y)$/i.test(flag);
  return Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);
}

/**
 * Emits business counts as one CloudWatch embedded-metric-format log line,
 * at once: CloudWatch turns the line into metrics with no API call, and
 * nothing waits for the end of the invocation, so no handler needs a flush
 * wrapper and a crash later in the invocation loses nothing already counted.
 * Callers pass what one unit of work produced (a call, a batch, a job step),
 * so a line carries several counts. A line of zeros only is not written.
 */
export function emitMetrics(counts: MetricCounts): void {
  const entries = Object.entries(counts).filter((entry): entry is [MetricName, number] => Number.isFinite(entry[1]));
  if (!entries.some(([, value]) => value !== 0)) return;
  for (const listener of listeners) listener(Object.fromEntries(entries));
  if (!publishing()) return;
  metrics ??= new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE, defaultDimensions: { tenant: config().tenant } });
  for (const [name, value] of entries) metrics.addMetric(name, MetricUnit.Count, value);
  metrics.publishStoredMetrics();
}

/** Calls `listener` with every emission, published or not (tests); returns the unsubscribe function. */
export function onMetrics(listener: (counts: MetricCounts) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
