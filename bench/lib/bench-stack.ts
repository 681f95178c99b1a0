import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { ddb } from '../../functions/lib/dynamo.js';
import type { StreamProcessor } from '../../functions/streams/processors.js';
import { processBatch } from '../../functions/streams/process-table-stream.js';
import { STREAM_PROCESSORS } from '../../functions/streams/registry.js';
import { startDynamoLocal } from '../../infra/local/dynamo-local.js';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { apiClient, type ApiClient } from '../../test/support/local-stack.js';
import { counterKeys, writtenKeys } from '../../test/support/ddb-calls.js';
import { DdbMeter } from './ddb-meter.js';
import { rawClient } from '../../test/support/raw-client.js';

/** How long the bench waits for the stream to catch up: a 100,000-contact backlog takes a while on 2 cores. */
export const DRAIN_MS = 60 * 60_000;

export interface BatchStats {
  records: number;
  /** Counter writes (ADD updates) the stream function made for the batch. */
  counterWrites: number;
  /** Distinct counter items among them. */
  counterKeys: number;
  /** Counter items written more than once in the batch. */
  repeatedCounterKeys: string[];
  /** Every item write of the batch, counters or not, and their distinct keys. */
  writes: number;
  distinctKeys: number;
}

export interface BenchStack {
  readonly stack: LocalStack;
  readonly api: ApiClient;
  readonly meter: DdbMeter;
  /** A client of the bench's own, outside the meter: raw baselines and inspection. */
  readonly raw: DynamoDBDocumentClient;
  /** DynamoDB Local's process id, for its CPU time (cpu.ts). */
  readonly dynamoPid: number | undefined;
  /** One entry per stream batch handled since the last `batches.length = 0`. */
  readonly batches: BatchStats[];
  /**
   * Stops the stream poller reading until `resumeStream()`: in AWS the stream
   * function runs on compute of its own, here it would share two cores with
   * the write path being timed; what is written meanwhile is then read as a
   * backlog, in full batches. Never `drain()` while paused.
   */
  pauseStream(): void;
  resumeStream(): void;
  /**
   * Runs stream batches through only the named consumers (undefined: all,
   * as deployed). For untimed catch-up of a large backlog whose other
   * consumers the next measurement does not read.
   */
  onlyConsumers(names: readonly string[] | undefined): void;
  stop(): Promise<void>;
}

/**
 * Runs `work` with the stream held: in AWS the stream function runs on
 * compute of its own, here it would share the two cores with what is timed.
 * The backlog before is drained first; the one `work` leaves is processed
 * afterwards, off the clock.
 */
export async function withStreamHeld<T>(b: BenchStack, work: () => Promise<T>): Promise<T> {
  await b.stack.drain(DRAIN_MS);
  b.pauseStream();
  try {
    return await work();
  } finally {
    b.resumeStream();
  }
}

/**
 * The local stack on a DynamoDB Local of its own, with the request meter on
 * the product's module-scope client and every stream batch measured.
 * Schedules are off: the bench runs the one it needs when it needs it, so
 * timers never land inside a measurement.
 */
export async function startBenchStack(tableName: string): Promise<BenchStack> {
  // A DynamoDB Local of its own per phase: once a large in-memory table has been dropped, DynamoDB Local
  // stays slow for every later write (hundreds of times slower), which would poison the next phase.
  const dynamo = await startDynamoLocal();
  const stack = await startLocalStack({ port: 0, dynamoEndpoint: dynamo.endpoint, tableName, schedules: false });
  const meter = new DdbMeter();
  meter.attach(ddb());
  const batches: BatchStats[] = [];
  // The poller keeps its options private; wrapping the handler it was given is
  // the only seam that sees each batch exactly as the event source mapping would.
  const poller = stack.poller as unknown as { options: { handler: (event: DynamoDBStreamEvent) => Promise<unknown> } };
  const inner = poller.options.handler;
  let consumers: readonly StreamProcessor[] | undefined;
  poller.options.handler = async (event) => {
    const { result, calls } = await meter.scoped(() => (consumers ? processBatch(event, consumers) : inner(event)));
    const keys = calls.flatMap(writtenKeys);
    const counters = calls.flatMap(counterKeys);
    const repeatedCounterKeys = [...new Set(counters.filter((key, i) => counters.indexOf(key) !== i))];
    batches.push({ records: event.Records.length, counterWrites: counters.length, counterKeys: new Set(counters).size, repeatedCounterKeys, writes: keys.length, distinctKeys: new Set(keys).size });
    return result;
  };
  const raw = rawClient(stack.dynamoEndpoint);
  return {
    stack,
    api: apiClient(stack),
    meter,
    raw,
    dynamoPid: dynamo.pid,
    batches,
    // The poller stops reading, so the backlog is read afterwards in full batches, as the event source mapping would.
    pauseStream: () => stack.poller.hold(),
    resumeStream: () => stack.poller.release(),
    onlyConsumers: (names) => {
      consumers = names && STREAM_PROCESSORS.filter((p) => names.includes(p.name));
      if (consumers && consumers.length !== names!.length) throw new Error(`no stream consumer named ${names!.join(' or ')}`);
    },
    stop: async () => {
      await stack.stop();
      raw.destroy();
      await dynamo.stop();
    },
  };
}
