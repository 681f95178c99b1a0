import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageKey } from '../../functions/data/keys.js';
import { processBatch } from '../../functions/streams/process-table-stream.js';
import { replayedFileOf, replayFailureSink } from '../../infra/ops/replay-sink.js';
import { startLocalStack } from '../support/local-stack.js';

/**
 * `npm run replay` on the local stack: the poller's failure sink goes
 * through the real stream handler (processBatch) on DynamoDB Local; what
 * goes through leaves the sink, what fails again stays with everything
 * after it of the same contact.
 */
type Stack = Awaited<ReturnType<typeof startLocalStack>>;
let stack: Stack;
let dir: string;
const contacts = { a: '', b: '' };

beforeAll(async () => {
  stack = await startLocalStack();
  for (const name of ['a', 'b'] as const) contacts[name] = (await stack.api.as('operator').post('/v1/contacts', { firstName: name.toUpperCase() })).body.id;
  await stack.drain();
  dir = mkdtempSync(join(tmpdir(), 'replay-sink-'));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await stack?.stop();
});

/** Sequence numbers above anything DynamoDB Local has handed out. */
let seq = 900_000_000_000_000_000_000n;
const at = new Date(Date.now() - 3_600_000).toISOString();

function messageRecord(contactId: string, messageId: string, stages: Record<string, string>, before?: Record<string, string>): DynamoDBRecord {
  const item = (s: Record<string, string>) => ({
    ...messageKey(contactId, messageId), type: 'message', contactId, messageId, channel: 'whatsapp', broadcast: false, stages: s, firstAt: at, version: 1, updatedAt: at,
  });
  const sequence = String(seq++);
  return {
    eventID: sequence,
    eventName: before ? 'MODIFY' : 'INSERT',
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: marshall(messageKey(contactId, messageId)) as never,
      NewImage: marshall(item(stages)) as never,
      ...(before ? { OldImage: marshall(item(before)) as never } : {}),
      SequenceNumber: sequence,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

const line = (record: DynamoDBRecord) => JSON.stringify({ at: new Date().toISOString(), record });
const linesOf = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
const sequenceOf = (text: string) => (JSON.parse(text) as { record?: DynamoDBRecord }).record?.dynamodb?.SequenceNumber;

async function dispatched(contactId: string): Promise<number> {
  const r = await stack.api.as('agent').get(`/v1/contacts/${contactId}`);
  return r.body.engagement.dispatched.total;
}

describe('replaying the local failure sink', () => {
  it('runs the records through the stream handler in order, moves those that went through and keeps a failing one with what follows it', async () => {
    const sink = join(dir, 'stream-failures.jsonl');
    const a1 = messageRecord(contacts.a, 'a1', { sent: at });
    const b1 = messageRecord(contacts.b, 'b1', { sent: at });
    const a1delivered = messageRecord(contacts.a, 'a1', { sent: at, delivered: at }, { sent: at });
    const b2 = messageRecord(contacts.b, 'b2', { sent: at });
    writeFileSync(sink, [line(a1), line(b1), line(a1delivered), line(b2), 'not a record'].join('\n') + '\n');
    const late = line(messageRecord(contacts.a, 'a-late', { sent: at }));

    const seen: string[][] = [];
    const failing = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
      seen.push(event.Records.map((r) => r.dynamodb!.SequenceNumber!));
      // The poller gives up on another record meanwhile: it lands in a new sink, not lost.
      if (seen.length === 1) appendFileSync(sink, `${late}\n`);
      // b1 fails again; the rest goes through the real processors.
      const bad = event.Records.filter((r) => r.dynamodb!.SequenceNumber === b1.dynamodb!.SequenceNumber);
      const response = await processBatch({ Records: event.Records.filter((r) => !bad.includes(r)) });
      return { batchItemFailures: [...response.batchItemFailures, ...bad.map((r) => ({ itemIdentifier: r.dynamodb!.SequenceNumber! }))] };
    };
    const report = await replayFailureSink({ failureFile: sink, handler: failing, batchSize: 2 });

    // b2 follows b1 on the same contact: never sent while b1 fails.
    expect(seen).toEqual([[a1, b1].map((r) => r.dynamodb!.SequenceNumber), [a1delivered.dynamodb!.SequenceNumber]]);
    expect(report).toMatchObject({ replayed: 2, kept: 3, batches: 2 });
    expect(linesOf(replayedFileOf(sink)).map(sequenceOf)).toEqual([a1, a1delivered].map((r) => r.dynamodb!.SequenceNumber));
    expect(JSON.parse(linesOf(replayedFileOf(sink))[0]).replayedAt).toEqual(expect.any(String));
    const left = linesOf(sink);
    expect(left).toHaveLength(4);
    expect(left[0]).toBe(late);
    expect(left.slice(1, 3).map(sequenceOf)).toEqual([b1, b2].map((r) => r.dynamodb!.SequenceNumber));
    expect(left[3]).toBe('not a record');
    expect(existsSync(`${sink}.replaying`)).toBe(false);
    await stack.drain();
    expect(await dispatched(contacts.a)).toBe(1);
    expect(await dispatched(contacts.b)).toBe(0);

    // Once the trouble is gone, the same command replays the rest; what is not a record stays for a person to look at.
    const again = await replayFailureSink({ failureFile: sink, handler: (event) => processBatch(event) });
    expect(again).toMatchObject({ replayed: 3, kept: 1 });
    expect(linesOf(sink)).toEqual(['not a record']);
    expect(linesOf(replayedFileOf(sink))).toHaveLength(5);
    expect(await dispatched(contacts.a)).toBe(2);
    expect(await dispatched(contacts.b)).toBe(2);

    // Replaying what was already applied changes nothing (the processors' watermarks).
    writeFileSync(sink, `${line(a1)}\n`);
    expect(await replayFailureSink({ failureFile: sink, handler: (event) => processBatch(event) })).toMatchObject({ replayed: 1, kept: 0 });
    expect(await dispatched(contacts.a)).toBe(2);
  });
});
