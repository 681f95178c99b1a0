import { DRAIN_MS, type BenchStack } from '../lib/bench-stack.js';
import { closedLoop } from '../lib/load.js';
import { round, summarize } from '../lib/stats.js';

const READS = 200;

/**
 * The Contact Behavior panel's cost at the current base size: DynamoDB
 * requests per read (counted by the meter, the stack otherwise idle) and
 * latency over HTTP, one operator reading the default 30-day period.
 */
export async function measureAnalytics(b: BenchStack, label: 'at10k' | 'at100k', log: (line: string) => void) {
  const operator = b.api.as('operator', 'bench-operator');
  await b.stack.drain(DRAIN_MS);
  const reads = 5;
  const { calls } = await b.meter.record(async () => {
    for (let i = 0; i < reads; i++) {
      const r = await operator.get('/v1/analytics/contacts');
      if (r.status !== 200) throw new Error(`the panel answered ${r.status}`);
    }
  });
  const requests = round(calls.length / reads);
  const panel = await operator.get('/v1/analytics/contacts');
  const base = panel.body?.interactions?.contactBase?.value;
  await closedLoop({ clients: 1, requests: 20, op: async () => (await operator.get('/v1/analytics/contacts')).status === 200 });
  const run = await closedLoop({ clients: 1, requests: READS, op: async () => (await operator.get('/v1/analytics/contacts')).status === 200 });
  if (run.errors > 0) throw new Error(`${run.errors} panel reads failed`);
  const s = summarize(run.latencies);
  log(`  panel ${label}: base ${base}, ${requests} requests (${[...new Set(calls.map((c) => c.command))].join(', ')}), median ${s.medianMs} ms, p99 ${s.p99Ms} ms`);
  return { analytics: { ddbRequests: { [label]: requests }, [label]: { p99Ms: s.p99Ms, medianMs: s.medianMs, contactBase: typeof base === 'number' ? base : -1 } } };
}
