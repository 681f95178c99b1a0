import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ddb } from '../../functions/lib/dynamo.js';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { apiClient, type ApiClient } from '../../test/support/local-stack.js';
import { writtenKeys } from '../../test/support/ddb-calls.js';
import { DdbMeter } from './ddb-meter.js';
import { rawClient } from '../../test/support/raw-client.js';

export interface BatchStats {
  records: number;
  /** Item writes the stream function made for the batch. */
  writes: number;
  /** Distinct item keys among those writes. */
  distinctKeys: number;
}

export interface BenchStack {
  readonly stack: LocalStack;
  readonly api: ApiClient;
  readonly meter: DdbMeter;
  /** A client of the bench's own, outside the meter: raw baselines and inspection. */
  readonly raw: DynamoDBDocumentClient;
  /** One entry per stream batch handled since the last `batches.length = 0`. */
  readonly batches: BatchStats[];
  stop(): Promise<void>;
}

/**
 * The local stack on the bench's DynamoDB Local, with the request meter on
 * the product's module-scope client and every stream batch measured.
 * Schedules are off: the bench runs the one it needs when it needs it, so
 * timers never land inside a measurement.
 */
export async function startBenchStack(dynamoEndpoint: string, tableName: string): Promise<BenchStack> {
  const stack = await startLocalStack({ port: 0, dynamoEndpoint, tableName, schedules: false });
  const meter = new DdbMeter();
  meter.attach(ddb());
  const batches: BatchStats[] = [];
  // The poller keeps its options private; wrapping the handler it was given is
  // the only seam that sees each batch exactly as the event source mapping would.
  const poller = stack.poller as unknown as { options: { handler: (event: DynamoDBStreamEvent) => Promise<unknown> } };
  const inner = poller.options.handler;
  poller.options.handler = async (event) => {
    const { result, calls } = await meter.scoped(() => inner(event));
    const keys = calls.flatMap(writtenKeys);
    batches.push({ records: event.Records.length, writes: keys.length, distinctKeys: new Set(keys).size });
    return result;
  };
  const raw = rawClient(stack.dynamoEndpoint);
  return {
    stack,
    api: apiClient(stack),
    meter,
    raw,
    batches,
    stop: async () => {
      await stack.stop();
      raw.destroy();
      // Free DynamoDB Local's heap for the next phase: the bench runs in memory.
      const admin = new DynamoDBClient({ endpoint: dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      await admin.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
      admin.destroy();
    },
  };
}
