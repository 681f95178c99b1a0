import { DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, TrimmedDataAccessException, type _Record } from '@aws-sdk/client-dynamodb-streams';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { batchInfoOf, invocationBatches, replayFailedRanges, type BatchInfo } from '../../infra/ops/replay-stream.js';

/**
 * The on-failure queue replay against mocked SQS, DynamoDB Streams and
 * Lambda: what it reads, what it invokes the stream function with, and
 * which messages it deletes.
 */
const sqs = mockClient(SQSClient);
const streams = mockClient(DynamoDBStreamsClient);
const lambda = mockClient(LambdaClient);
const clients = { sqs: new SQSClient({ region: 'us-east-1' }), streams: new DynamoDBStreamsClient({ region: 'us-east-1' }), lambda: new LambdaClient({ region: 'us-east-1' }) };
const QUEUE = 'https://sqs.us-east-1.amazonaws.com/111122223333/contacts-acme-OnFailureQueue';
const STREAM = 'arn:aws:dynamodb:us-east-1:111122223333:table/contacts-acme-Data/stream/2026-12-01T00:00:00.000';
const SHARD = 'shardId-00000001764547200000-aaaa';

afterEach(() => {
  sqs.reset();
  streams.reset();
  lambda.reset();
});

function record(seq: number, sk: string, pk = 'CONTACT#c1'): _Record {
  return {
    eventID: `e${seq}`,
    eventName: 'MODIFY',
    dynamodb: {
      Keys: { pk: { S: pk }, sk: { S: sk } },
      NewImage: { pk: { S: pk }, sk: { S: sk }, stages: { M: {} } },
      SequenceNumber: String(seq),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

function message(id: string, start: number, end: number, shardId = SHARD) {
  const body = {
    requestContext: { requestId: id, functionArn: 'arn:aws:lambda:us-east-1:111122223333:function:stream', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 6 },
    version: '1.0',
    timestamp: '2026-12-06T03:00:00.000Z',
    DDBStreamBatchInfo: { shardId, startSequenceNumber: String(start), endSequenceNumber: String(end), batchSize: end - start + 1, streamArn: STREAM },
  };
  return { MessageId: id, ReceiptHandle: `rh-${id}`, Body: JSON.stringify(body) };
}

/** The shard as GetRecords pages of `perPage` records, iterators named after the first sequence number they read. */
function shard(records: _Record[], perPage = 1000, closed = false) {
  streams.on(GetShardIteratorCommand).callsFake((input) => ({ ShardIterator: `it-${input.SequenceNumber}` }));
  streams.on(GetRecordsCommand).callsFake((input) => {
    const from = BigInt(String(input.ShardIterator).slice(3));
    const rest = records.filter((r) => BigInt(r.dynamodb!.SequenceNumber!) >= from);
    const page = rest.slice(0, perPage);
    const next = rest[perPage];
    return { Records: page, NextShardIterator: next ? `it-${next.dynamodb!.SequenceNumber}` : closed ? undefined : `it-${BigInt(page.at(-1)?.dynamodb?.SequenceNumber ?? from - 1n) + 1n}` };
  });
}

const ok = () => ({ StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify({ batchItemFailures: [] })) as never });
const invoked = () =>
  lambda.commandCalls(InvokeCommand).map((call) => (JSON.parse(new TextDecoder().decode(call.args[0].input.Payload as Uint8Array)) as { Records: { dynamodb: { SequenceNumber: string } }[] }).Records.map((r) => r.dynamodb.SequenceNumber));
const deleted = () => sqs.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input.ReceiptHandle);

describe('replaying the on-failure queue', () => {
  it('re-reads each range, oldest first, keeps what the stream filters let through, invokes the function and deletes the message', async () => {
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('later', 104, 104), message('first', 100, 102)] }).resolves({});
    shard([record(99, 'H#MSG#m0'), record(100, 'H#MSG#m1'), record(101, 'P#ENGD#2026-12-05'), record(102, 'P#PROFILE'), record(103, 'H#CONV#c1'), record(104, 'H#MSG#m2'), record(105, 'H#MSG#m3')], 2);
    lambda.on(InvokeCommand).resolves(ok());

    const reports = await replayFailedRanges(clients, { queueUrl: QUEUE, functionName: 'contacts-acme-stream' });

    // 101 (a day counter, the processors' own output) stays out, as the event source mapping's filters keep it out.
    expect(invoked()).toEqual([['100', '102'], ['104']]);
    expect(lambda.commandCalls(InvokeCommand)[0].args[0].input).toMatchObject({ FunctionName: 'contacts-acme-stream', InvocationType: 'RequestResponse' });
    expect(deleted()).toEqual(['rh-first', 'rh-later']);
    expect(reports.map((r) => [r.messageId, r.outcome.status, r.deleted])).toEqual([['first', 'replayed', true], ['later', 'replayed', true]]);
    expect(reports[0].outcome).toEqual({ status: 'replayed', records: 3, passed: 2, batches: 1 });
    // AT_SEQUENCE_NUMBER from each range's start; messages hidden while they are replayed.
    expect(streams.commandCalls(GetShardIteratorCommand).map((c) => c.args[0].input)).toEqual([
      { StreamArn: STREAM, ShardId: SHARD, ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: '100' },
      { StreamArn: STREAM, ShardId: SHARD, ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: '104' },
    ]);
    expect(sqs.commandCalls(ReceiveMessageCommand)[0].args[0].input).toMatchObject({ QueueUrl: QUEUE, VisibilityTimeout: 3600 });
    // Lambda's record shape: the stream ARN as the event source, images as attribute values.
    const sent = JSON.parse(new TextDecoder().decode(lambda.commandCalls(InvokeCommand)[0].args[0].input.Payload as Uint8Array)).Records[0];
    expect(sent).toMatchObject({ eventSource: 'aws:dynamodb', eventSourceARN: STREAM, eventName: 'MODIFY', dynamodb: { Keys: { sk: { S: 'H#MSG#m1' } } } });
    expect(sent.dynamodb.NewImage.stages).toEqual({ M: {} });
  });

  it('cuts a range into batches and stops at the first batch with a failure, leaving the message', async () => {
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('m', 10, 14)] }).resolves({});
    shard([10, 11, 12, 13, 14].map((seq) => record(seq, `H#MSG#x${seq}`)));
    lambda
      .on(InvokeCommand)
      .resolvesOnce(ok())
      .resolvesOnce({ StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify({ batchItemFailures: [{ itemIdentifier: '13' }] })) as never });

    const [report] = await replayFailedRanges(clients, { queueUrl: QUEUE, functionName: 'f', batchSize: 2 });

    expect(invoked()).toEqual([['10', '11'], ['12', '13']]);
    expect(report.outcome).toEqual({ status: 'failed', records: 5, passed: 5, reason: '1 record(s) failed again, from 13' });
    expect(deleted()).toEqual([]);
  });

  it('leaves the message when the function itself fails', async () => {
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('m', 10, 10)] }).resolves({});
    shard([record(10, 'H#MSG#x')]);
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: new TextEncoder().encode('{"errorMessage":"boom"}') as never });
    const [report] = await replayFailedRanges(clients, { queueUrl: QUEUE, functionName: 'f' });
    expect(report.outcome).toMatchObject({ status: 'failed', reason: expect.stringContaining('boom') });
    expect(deleted()).toEqual([]);
  });

  it('says when the stream no longer holds a range (older than 24 hours) and points at the reconciliation', async () => {
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('old', 10, 12)] }).resolves({});
    streams.on(GetShardIteratorCommand).rejects(new TrimmedDataAccessException({ message: 'trimmed', $metadata: {} }));
    const [report] = await replayFailedRanges(clients, { queueUrl: QUEUE, functionName: 'f' });
    expect(report.outcome).toMatchObject({ status: 'expired', reason: expect.stringContaining('reconcil') });
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(deleted()).toEqual([]);
  });

  it('reads a closed shard to its end, and a range over several pages', async () => {
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('m', 20, 40)] }).resolves({});
    shard([20, 21, 22, 23].map((seq) => record(seq, `H#CONV#c${seq}`)), 1, true);
    lambda.on(InvokeCommand).resolves(ok());
    const [report] = await replayFailedRanges(clients, { queueUrl: QUEUE, functionName: 'f' });
    expect(invoked()).toEqual([['20', '21', '22', '23']]);
    expect(report.deleted).toBe(true);
  });

  it('leaves messages it cannot read as a stream batch, and deletes nothing on a dry run', async () => {
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [{ MessageId: 'x', ReceiptHandle: 'rh-x', Body: '{"hello":1}' }, message('m', 30, 30)] }).resolves({});
    shard([record(30, 'H#MSG#y')]);
    const reports = await replayFailedRanges(clients, { queueUrl: QUEUE, functionName: 'f', dryRun: true });
    expect(reports.map((r) => r.outcome.status)).toEqual(['dry-run', 'unreadable']);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(deleted()).toEqual([]);
    expect(sqs.commandCalls(ReceiveMessageCommand)[0].args[0].input.VisibilityTimeout).toBe(0);
  });
});

describe('helpers', () => {
  it('reads the batch info of an on-failure message', () => {
    const info: BatchInfo = { shardId: SHARD, startSequenceNumber: '1', endSequenceNumber: '2', streamArn: STREAM };
    expect(batchInfoOf(message('m', 1, 2).Body)).toEqual(info);
    expect(batchInfoOf('not json')).toBeUndefined();
  });

  it('cuts invocations at the batch size and at Lambda\'s 6 MB payload', () => {
    const big = (seq: number) => ({ eventID: String(seq), dynamodb: { SequenceNumber: String(seq), NewImage: { text: { S: 'x'.repeat(2_500_000) } } } });
    expect(invocationBatches([1, 2, 3, 4, 5].map(big), 10).map((b) => b.length)).toEqual([2, 2, 1]);
    expect(invocationBatches([1, 2, 3].map((seq) => ({ eventID: String(seq) })), 2).map((b) => b.length)).toEqual([2, 1]);
  });
});
