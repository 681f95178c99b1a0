import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE } from '../../functions/lib/metric-names.js';

const ENV_KEYS = ['AWS_LAMBDA_FUNCTION_NAME', 'POWERTOOLS_METRICS_DISABLED', 'POWERTOOLS_DEV', 'TABLE_NAME', 'TENANT'] as const;
let saved: Record<string, string | undefined>;
let written: string[];

/** A fresh module (its Metrics instance reads the environment when built), with stdout captured. */
async function metricsModule(env: Partial<Record<(typeof ENV_KEYS)[number], string>>) {
  for (const key of ENV_KEYS) delete process.env[key];
  Object.assign(process.env, { TABLE_NAME: 'contacts-test', TENANT: 'acme', ...env });
  vi.resetModules();
  (await import('../../functions/lib/config.js')).resetConfig();
  return import('../../functions/lib/metrics.js');
}

/** The EMF documents written to stdout. */
const emfLines = () => written.flatMap((chunk) => chunk.split('\n')).filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line));

beforeEach(() => {
  saved = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
  written = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  for (const key of ENV_KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

describe('emitMetrics', () => {
  it('writes one embedded-metric-format line in Lambda: namespace, service and tenant dimensions, every count', async () => {
    const { emitMetrics } = await metricsModule({ AWS_LAMBDA_FUNCTION_NAME: 'contacts-acme-events' });
    emitMetrics({ [METRIC.eventsAccepted]: 7, [METRIC.eventsDuplicate]: 0, [METRIC.eventsRejected]: 2 });
    const lines = emfLines();
    expect(lines).toHaveLength(1);
    const [emf] = lines;
    expect(emf._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [['service', 'tenant']],
        Metrics: [
          { Name: 'EventsAccepted', Unit: 'Count' },
          { Name: 'EventsDuplicate', Unit: 'Count' },
          { Name: 'EventsRejected', Unit: 'Count' },
        ],
      },
    ]);
    expect(emf).toMatchObject({ service: METRICS_SERVICE, tenant: 'acme', EventsAccepted: 7, EventsDuplicate: 0, EventsRejected: 2 });
  });

  it('prints nothing outside Lambda (local stack, tests, bench), yet tells listeners', async () => {
    const { emitMetrics, onMetrics } = await metricsModule({});
    const heard: unknown[] = [];
    onMetrics((counts) => heard.push(counts));
    emitMetrics({ [METRIC.jobRows]: 5 });
    expect(written).toEqual([]);
    expect(heard).toEqual([{ JobRows: 5 }]);
  });

  it('follows POWERTOOLS_METRICS_DISABLED when it is set, either way', async () => {
    (await metricsModule({ AWS_LAMBDA_FUNCTION_NAME: 'f', POWERTOOLS_METRICS_DISABLED: 'true' })).emitMetrics({ [METRIC.merges]: 1 });
    expect(emfLines()).toEqual([]);
    (await metricsModule({ POWERTOOLS_METRICS_DISABLED: 'false' })).emitMetrics({ [METRIC.merges]: 1 });
    expect(emfLines()).toHaveLength(1);
  });

  it('writes nothing for counts that are all zero', async () => {
    const { emitMetrics, onMetrics } = await metricsModule({ AWS_LAMBDA_FUNCTION_NAME: 'f' });
    const heard: unknown[] = [];
    onMetrics((counts) => heard.push(counts));
    emitMetrics({ [METRIC.streamRecordsFailed]: 0, [METRIC.counterWrites]: 0 });
    expect(written).toEqual([]);
    expect(heard).toEqual([]);
  });
});
