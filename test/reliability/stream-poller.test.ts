import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoEndpoint } from '../support/file-dynamo.js';
import { replayedFileOf, StreamPoller } from '../../infra/local/stream-poller.js';
import type { FilterPattern } from '../../functions/streams/filters.js';
import { ensureTable } from '../../infra/local/table.js';
import { rawClient } from '../support/raw-client.js';

/**
 * The local stand-in for Lambda's event source mapping, on a real
 * DynamoDB Local stream: what it promises the stream handler (order,
 * retry from the earliest failed record, bounded attempts then the
 * on-failure file, resume from its checkpoint) is what the engagement
 * counters' idempotency relies on.
 */
let endpoint: string;
let admin: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let dir: string;
let tables = 0;

beforeAll(async () => {
  endpoint = await dynamoEndpoint();
  const options = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  admin = new DynamoDBClient(options);
  doc = rawClient(endpoint);
  dir = mkdtempSync(join(tmpdir(), 'poller-'));
});
afterAll(() => {
  admin?.destroy();
  doc?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

async function aStream(items: number): Promise<{ table: string; streamArn: string; write: (from: number, count: number) => Promise<void> }> {
  const table = `poller-${process.pid}-${Date.now().toString(36)}-${tables++}`;
  const streamArn = await ensureTable(admin, table);
  const write = async (from: number, count: number) => {
    for (let i = from; i < from + count; i += 25) {
      const batch = Array.from({ length: Math.min(25, from + count - i) }, (_, k) => ({ PutRequest: { Item: { pk: `ITEM#${String(i + k).padStart(4, '0')}`, sk: '#', n: i + k } } }));
      await doc.send(new BatchWriteCommand({ RequestItems: { [table]: batch } }));
    }
  };
  await write(0, items);
  return { table, streamArn, write };
}

type Handler = (records: DynamoDBRecord[], call: number) => Promise<DynamoDBBatchResponse | void>;

function aPoller(
  streamArn: string,
  handler: Handler,
  options: { checkpointFile?: string; failureFile?: string; maxAttempts?: number; batchSize?: number; maxBatchBytes?: number; filters?: FilterPattern[] } = {},
) {
  const deliveries: number[][] = [];
  const poller = new StreamPoller({
    endpoint,
    streamArn,
    idleMs: 20,
    batchSize: options.batchSize ?? 10,
    maxBatchBytes: options.maxBatchBytes,
    filters: options.filters,
    maxAttempts: options.maxAttempts ?? 3,
    checkpointFile: options.checkpointFile,
    failureFile: options.failureFile,
    handler: async (event: DynamoDBStreamEvent) => {
      deliveries.push(event.Records.map(numberOf));
      return handler(event.Records, deliveries.length);
    },
  });
  // Counts what GetRecords hands over: each record should be read once.
  let read = 0;
  const client = (poller as unknown as { client: { send: (command: unknown) => Promise<{ Records?: unknown[] }> } }).client;
  const send = client.send.bind(client);
  client.send = async (command) => {
    const out = await send(command);
    read += out.Records?.length ?? 0;
    return out;
  };
  poller.start();
  return { poller, deliveries, read: () => read };
}

const numberOf = (record: DynamoDBRecord) => Number(record.dynamodb?.NewImage?.n?.N);
const failure = (record: DynamoDBRecord) => ({ itemIdentifier: record.dynamodb!.SequenceNumber! });

describe('StreamPoller', () => {
  it('hands every record to the handler once, in write order, in batches of at most batchSize', async () => {
    const { streamArn } = await aStream(35);
    const { poller, deliveries } = aPoller(streamArn, async () => undefined);
    await poller.drain(30_000);
    await poller.stop();
    expect(deliveries.flat()).toEqual(Array.from({ length: 35 }, (_, i) => i));
    expect(Math.max(...deliveries.map((d) => d.length))).toBeLessThanOrEqual(10);
  });

  it('gathers several GetRecords calls into one batch when batchSize is above the 1,000 one call returns', async () => {
    const { streamArn } = await aStream(1_500);
    const { poller, deliveries } = aPoller(streamArn, async () => undefined, { batchSize: 1_200 });
    await poller.drain(30_000);
    await poller.stop();
    expect(deliveries.map((d) => d.length)).toEqual([1_200, 300]);
    expect(deliveries.flat()).toEqual(Array.from({ length: 1_500 }, (_, i) => i));
  });

  it('cuts a batch where its payload would pass the invocation limit and hands the rest over next, in order', async () => {
    const { streamArn } = await aStream(100);
    const sizes: number[] = [];
    const { poller, deliveries, read } = aPoller(streamArn, async (records) => void sizes.push(JSON.stringify({ Records: records }).length), { batchSize: 100, maxBatchBytes: 20_000 });
    await poller.drain(30_000);
    await poller.stop();
    expect(deliveries.flat()).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // What did not fit waited in the poller: every record was read from the stream once.
    expect(read()).toBe(100);
    expect(deliveries.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(20_000);
    // Each batch but the last stopped only because the next record would not have fitted.
    expect(sizes.slice(0, -1).every((size) => size > 20_000 - 1_000)).toBe(true);
  });

  it('hands over only records that pass the filter criteria, in order, and moves its checkpoint past the rest', async () => {
    const { streamArn, write } = await aStream(30);
    const checkpointFile = join(dir, `checkpoint-${tables}.json`);
    // Items 0000-0029: keep those whose key ends in 0 or 5.
    const filters: FilterPattern[] = [{ dynamodb: { Keys: { pk: { S: [{ prefix: 'ITEM#000' }, 'ITEM#0005', 'ITEM#0010', 'ITEM#0015', 'ITEM#0020', 'ITEM#0025'] } } } }];
    const first = aPoller(streamArn, async () => undefined, { checkpointFile, filters, batchSize: 3 });
    await first.poller.drain(30_000);
    await first.poller.stop();
    expect(first.deliveries.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20, 25]);
    expect(Math.max(...first.deliveries.map((d) => d.length))).toBeLessThanOrEqual(3);
    // Records filtered out after the last delivered one count as handled: a restart reads none of them again.
    await write(30, 1);
    const second = aPoller(streamArn, async () => undefined, { checkpointFile, filters: [{ dynamodb: { Keys: { pk: { S: [{ prefix: 'ITEM#' }] } } } }] });
    await second.poller.drain(30_000);
    await second.poller.stop();
    expect(second.deliveries.flat()).toEqual([30]);
    expect(second.read()).toBe(1);
  });

  it('reads nothing while held, then takes what built up as a backlog in full batches', async () => {
    const { streamArn, write } = await aStream(5);
    const { poller, deliveries } = aPoller(streamArn, async () => undefined, { batchSize: 50 });
    await poller.drain(30_000);
    poller.hold();
    await write(5, 30);
    await new Promise((r) => setTimeout(r, 300));
    expect(deliveries.flat()).toEqual([0, 1, 2, 3, 4]);
    // What GET /health reports: the backlog waiting, nothing given up.
    expect(await poller.health()).toEqual({ lagRecords: 30, failedRecords: 0 });
    poller.release();
    await poller.drain(30_000);
    expect(await poller.health()).toEqual({ lagRecords: 0, failedRecords: 0 });
    await poller.stop();
    expect(deliveries.slice(1)).toEqual([Array.from({ length: 30 }, (_, i) => i + 5)]);
  });

  it('retries from the earliest failed record and never redelivers the records before it', async () => {
    const { streamArn } = await aStream(20);
    const failedOnce = new Set<number>();
    const { poller, deliveries } = aPoller(streamArn, async (records) => {
      // Fail 4 and 7 the first time they come: the retry must start at 4.
      const failing = records.filter((r) => [7, 4].includes(numberOf(r)) && !failedOnce.has(numberOf(r)));
      failing.forEach((r) => failedOnce.add(numberOf(r)));
      return { batchItemFailures: failing.map(failure) };
    });
    await poller.drain(30_000);
    await poller.stop();
    const firstWithFour = deliveries.findIndex((d) => d.includes(4));
    expect(deliveries[firstWithFour + 1][0]).toBe(4);
    const seen = deliveries.flat();
    for (let i = 0; i < 4; i++) expect(seen.filter((n) => n === i)).toHaveLength(1);
    expect(new Set(seen)).toEqual(new Set(Array.from({ length: 20 }, (_, i) => i)));
    expect(poller.stats.givenUp).toBe(0);
  });

  it('retries the whole batch when the handler throws', async () => {
    const { streamArn } = await aStream(8);
    const { poller, deliveries } = aPoller(streamArn, async (_records, call) => {
      if (call === 1) throw new Error('cold start blew up');
    });
    await poller.drain(30_000);
    await poller.stop();
    expect(deliveries[1]).toEqual(deliveries[0]);
    expect(deliveries.slice(1).flat()).toEqual(Array.from({ length: 8 }, (_, i) => i));
  });

  it('gives up on a poison record after bounded attempts, writes it to the failure file, and goes on', async () => {
    const { streamArn } = await aStream(12);
    const failureFile = join(dir, `failures-${tables}.jsonl`);
    const { poller, deliveries } = aPoller(streamArn, async (records) => ({ batchItemFailures: records.filter((r) => numberOf(r) === 5).map(failure) }), { failureFile, maxAttempts: 3 });
    await poller.drain(30_000);
    expect(await poller.health()).toEqual({ lagRecords: 0, failedRecords: 1 });
    // Replayed (npm run replay moves the line out of the sink), it was still given up once.
    renameSync(failureFile, replayedFileOf(failureFile));
    expect(await poller.health()).toEqual({ lagRecords: 0, failedRecords: 1 });
    renameSync(replayedFileOf(failureFile), failureFile);
    await poller.stop();
    expect(deliveries.filter((d) => d[0] === 5)).toHaveLength(3);
    expect(poller.stats.givenUp).toBe(1);
    const lines = readFileSync(failureFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(1);
    expect(lines[0].record.dynamodb.Keys.pk.S).toBe('ITEM#0005');
    expect(new Set(deliveries.flat())).toEqual(new Set(Array.from({ length: 12 }, (_, i) => i)));
    expect(deliveries.at(-1)!.at(-1)).toBe(11);
  });

  it('hands binary attributes over as base64 text, as a Lambda event does, and the failure file keeps them so', async () => {
    const { table, streamArn } = await aStream(0);
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await doc.send(new BatchWriteCommand({ RequestItems: { [table]: [{ PutRequest: { Item: { pk: 'ITEM#0000', sk: '#', n: 0, packed: bytes, set: new Set([Buffer.from('a'), Buffer.from('b')]) } } }] } }));
    const failureFile = join(dir, `failures-binary-${tables}.jsonl`);
    const seen: DynamoDBRecord[] = [];
    const { poller } = aPoller(streamArn, async (records) => {
      seen.push(...records);
      return { batchItemFailures: records.map(failure) };
    }, { failureFile, maxAttempts: 1 });
    await poller.drain(30_000);
    await poller.stop();
    expect(seen[0].dynamodb!.NewImage!.packed).toEqual({ B: bytes.toString('base64') });
    expect([...(seen[0].dynamodb!.NewImage!.set as { BS: string[] }).BS].sort()).toEqual([Buffer.from('a').toString('base64'), Buffer.from('b').toString('base64')]);
    const [line] = readFileSync(failureFile, 'utf8').trim().split('\n').map((text) => JSON.parse(text));
    expect(line.record.dynamodb.NewImage.packed).toEqual({ B: bytes.toString('base64') });
  });

  it('resumes after its checkpoint when started again', async () => {
    const { streamArn, write } = await aStream(15);
    const checkpointFile = join(dir, `checkpoint-${tables}.json`);
    const first = aPoller(streamArn, async () => undefined, { checkpointFile });
    await first.poller.drain(30_000);
    await first.poller.stop();
    expect(existsSync(checkpointFile)).toBe(true);
    await write(15, 6);
    const second = aPoller(streamArn, async () => undefined, { checkpointFile });
    await second.poller.drain(30_000);
    await second.poller.stop();
    expect(first.deliveries.flat()).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(second.deliveries.flat()).toEqual([15, 16, 17, 18, 19, 20]);
  });
});
