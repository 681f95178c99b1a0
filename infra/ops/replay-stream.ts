import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { STREAM_PROCESSOR } from '../../functions/scheduled/schedules.js';
import { passesFilters, STREAM_FILTERS } from '../../functions/streams/filters.js';
import { MAX_PAYLOAD_BYTES, toLambdaRecord, withinPayload } from '../local/stream-poller.js';

/**
 * Replays what the table stream's on-failure queue points at. Lambda puts
 * there not the failed records but where they are: a shard and a sequence
 * range (`DDBStreamBatchInfo`), and the stream keeps records 24 hours. So
 * for each message: read the range again through the DynamoDB Streams API
 * (GetShardIterator AT_SEQUENCE_NUMBER, GetRecords until past its end),
 * keep what the event source mapping's filters let through, invoke the
 * stream function with it in batches as the mapping would, and delete the
 * message only when the whole range went through without a batch item
 * failure. The processors are idempotent: a record already applied, or
 * overtaken by a later record of its item, changes nothing (watermarks),
 * which is also why a reconciliation should follow a replay.
 */

export interface BatchInfo {
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  streamArn: string;
}

export interface ReplayClients {
  sqs: Pick<SQSClient, 'send'>;
  streams: Pick<DynamoDBStreamsClient, 'send'>;
  lambda: Pick<LambdaClient, 'send'>;
}

export interface ReplayOptions {
  queueUrl: string;
  /** The stream function (stack output StreamFunctionName). */
  functionName: string;
  /** Records per invocation. @default STREAM_PROCESSOR.batchSize */
  batchSize?: number;
  /** Messages read from the queue at most. @default 1,000 */
  maxMessages?: number;
  /** How long received messages stay hidden from other readers while this replays them. @default 1 hour */
  visibilitySeconds?: number;
  /** Read and report, invoke nothing, delete nothing. */
  dryRun?: boolean;
  /** Empty GetRecords pages tolerated on an open shard before giving up on reaching a range's end. @default 20 */
  maxEmptyPages?: number;
  log?: (line: string) => void;
}

export type RangeOutcome =
  | { status: 'replayed'; records: number; passed: number; batches: number }
  | { status: 'failed'; records: number; passed: number; reason: string }
  | { status: 'expired' | 'unreadable' | 'incomplete'; reason: string }
  | { status: 'dry-run'; records: number; passed: number };

export interface MessageReport {
  messageId?: string;
  range?: BatchInfo;
  outcome: RangeOutcome;
  deleted: boolean;
}

const big = (seq: string) => BigInt(seq);

/** The batch info of an on-failure message body (Lambda's invocation record for a stream source), or undefined. */
export function batchInfoOf(body: string | undefined): BatchInfo | undefined {
  try {
    const info = (JSON.parse(body ?? '') as { DDBStreamBatchInfo?: Partial<BatchInfo> }).DDBStreamBatchInfo;
    if (!info?.shardId || !info.startSequenceNumber || !info.endSequenceNumber || !info.streamArn) return undefined;
    return { shardId: info.shardId, startSequenceNumber: info.startSequenceNumber, endSequenceNumber: info.endSequenceNumber, streamArn: info.streamArn };
  } catch {
    return undefined;
  }
}

/** Every record of the range, in order; `complete` once the range's end (or the end of a closed shard) was reached. */
export async function readRange(
  streams: ReplayClients['streams'],
  range: BatchInfo,
  maxEmptyPages = 20,
): Promise<{ records: _Record[]; complete: true } | { complete: false; status: 'expired' | 'unreadable' | 'incomplete'; reason: string }> {
  const end = big(range.endSequenceNumber);
  const records: _Record[] = [];
  try {
    let iterator = (
      await streams.send(
        new GetShardIteratorCommand({ StreamArn: range.streamArn, ShardId: range.shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: range.startSequenceNumber }),
      )
    ).ShardIterator;
    let empty = 0;
    while (iterator) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      const got = page.Records ?? [];
      for (const record of got) {
        const seq = big(record.dynamodb?.SequenceNumber ?? '0');
        if (seq > end) return { records, complete: true };
        if (seq >= big(range.startSequenceNumber)) records.push(record);
        if (seq === end) return { records, complete: true };
      }
      empty = got.length === 0 ? empty + 1 : 0;
      if (empty > maxEmptyPages) return { complete: false, status: 'incomplete', reason: `the range's end was not reached after ${empty} empty pages` };
      iterator = page.NextShardIterator;
    }
    // A closed shard ended: nothing of the range is left after what was read.
    return { records, complete: true };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TrimmedDataAccessException' || name === 'ExpiredIteratorException') {
      return { complete: false, status: 'expired', reason: 'the stream no longer holds these records (it keeps them 24 hours): run the reconciliation (npm run reconcile / the reconcile schedule) instead' };
    }
    return { complete: false, status: 'unreadable', reason: `${name}: ${(error as Error).message}` };
  }
}

/** Cuts records into invocations of at most `batchSize` records and Lambda's 6 MB payload, in order. */
export function invocationBatches(records: DynamoDBRecord[], batchSize: number): DynamoDBRecord[][] {
  const out: DynamoDBRecord[][] = [];
  for (let rest = records; rest.length > 0; ) {
    const batch = withinPayload(rest.slice(0, batchSize), MAX_PAYLOAD_BYTES);
    out.push(batch);
    rest = rest.slice(batch.length);
  }
  return out;
}

async function invoke(lambda: ReplayClients['lambda'], functionName: string, records: DynamoDBRecord[]): Promise<string | undefined> {
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify({ Records: records })) }),
  );
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
  if (out.FunctionError) return `the function failed (${out.FunctionError}): ${text.slice(0, 300)}`;
  const failures = ((text ? JSON.parse(text) : {}) as DynamoDBBatchResponse).batchItemFailures ?? [];
  if (failures.length > 0) return `${failures.length} record(s) failed again, from ${failures[0].itemIdentifier}`;
  return undefined;
}

/** Replays one range: read, filter, invoke batch by batch, stopping at the first batch that does not go through. */
export async function replayRange(clients: ReplayClients, range: BatchInfo, options: ReplayOptions): Promise<RangeOutcome> {
  const read = await readRange(clients.streams, range, options.maxEmptyPages);
  if (!read.complete) return { status: read.status, reason: read.reason };
  const passed = read.records.filter((record) => passesFilters(record, STREAM_FILTERS)).map((record) => toLambdaRecord(record, range.streamArn));
  if (options.dryRun) return { status: 'dry-run', records: read.records.length, passed: passed.length };
  const batches = invocationBatches(passed, options.batchSize ?? STREAM_PROCESSOR.batchSize);
  for (const batch of batches) {
    const failure = await invoke(clients.lambda, options.functionName, batch);
    if (failure) return { status: 'failed', records: read.records.length, passed: passed.length, reason: failure };
  }
  return { status: 'replayed', records: read.records.length, passed: passed.length, batches: batches.length };
}

async function receiveAll(sqs: ReplayClients['sqs'], options: ReplayOptions): Promise<Message[]> {
  const messages: Message[] = [];
  const max = options.maxMessages ?? 1_000;
  while (messages.length < max) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(10, max - messages.length),
        VisibilityTimeout: options.dryRun ? 0 : (options.visibilitySeconds ?? 3_600),
        WaitTimeSeconds: 1,
      }),
    );
    if (!out.Messages?.length) break;
    messages.push(...out.Messages);
  }
  return messages;
}

/**
 * Replays every message of the queue, oldest range first per shard (a
 * range replayed after a later one of the same items would be skipped by
 * the watermarks), and deletes those fully replayed. A message that cannot
 * be read as a stream batch, or whose range failed, stays in the queue and
 * comes back when its visibility timeout ends.
 */
export async function replayFailedRanges(clients: ReplayClients, options: ReplayOptions): Promise<MessageReport[]> {
  const log = options.log ?? (() => undefined);
  const messages = (await receiveAll(clients.sqs, options)).map((message) => ({ message, range: batchInfoOf(message.Body) }));
  messages.sort((a, b) => {
    if (!a.range || !b.range) return a.range ? -1 : b.range ? 1 : 0;
    if (a.range.streamArn !== b.range.streamArn) return a.range.streamArn.localeCompare(b.range.streamArn);
    if (a.range.shardId !== b.range.shardId) return a.range.shardId.localeCompare(b.range.shardId);
    const [x, y] = [big(a.range.startSequenceNumber), big(b.range.startSequenceNumber)];
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const reports: MessageReport[] = [];
  for (const { message, range } of messages) {
    if (!range) {
      const report: MessageReport = { messageId: message.MessageId, outcome: { status: 'unreadable', reason: 'not a DynamoDB stream batch description (no DDBStreamBatchInfo)' }, deleted: false };
      reports.push(report);
      log(`message ${message.MessageId}: ${report.outcome.status}: ${(report.outcome as { reason: string }).reason}`);
      continue;
    }
    const outcome = await replayRange(clients, range, options);
    let deleted = false;
    if (outcome.status === 'replayed' && message.ReceiptHandle) {
      await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle }));
      deleted = true;
    }
    reports.push({ messageId: message.MessageId, range, outcome, deleted });
    const where = `${range.shardId} ${range.startSequenceNumber}..${range.endSequenceNumber}`;
    const what = 'reason' in outcome ? outcome.reason : `${outcome.records} records read, ${outcome.passed} through the filters`;
    log(`${where}: ${outcome.status}${deleted ? ' (message deleted)' : ''}: ${what}`);
  }
  return reports;
}
