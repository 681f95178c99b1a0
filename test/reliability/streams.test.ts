import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactPk } from '../../functions/data/keys.js';
import { rawClient } from '../support/raw-client.js';
import { createApiKey, planEvents, postEvents, type PlannedEvent } from '../support/events.js';
import { engagementCheck } from '../support/engagement-check.js';
import { startLocalStack } from '../support/local-stack.js';

/**
 * The engagement pipeline end to end (POST /v1/events -> state items ->
 * table stream -> StreamPoller -> stream function -> counters) under what
 * at-least-once delivery does: events duplicated and out of order at the
 * API, whole batches delivered twice, batches retried from a failed record
 * in their middle, and a poison record. After each, every counter item
 * equals the sum of the contributions of the state items stored in the
 * table, and the state items equal what the events sent say.
 */

type Stack = Awaited<ReturnType<typeof startLocalStack>>;
type Delivery = 'once' | 'replay-whole-batch' | 'fail-middle-record';

let stack: Stack;
let dataDir: string;
let raw: ReturnType<typeof rawClient>;
let check: ReturnType<typeof engagementCheck>;
let apiKey: string;
let contacts: string[] = [];
let delivery: Delivery = 'once';
const redelivered = { batches: 0, fromMiddle: 0 };
const sent: PlannedEvent[] = [];
const TIMEZONE = 'America/Sao_Paulo';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'streams-'));
  stack = await startLocalStack({ dataDir, timezone: TIMEZONE });
  raw = rawClient(stack.dynamoEndpoint);
  check = engagementCheck(stack, TIMEZONE);
  apiKey = (await createApiKey(stack.api))!;
  for (let i = 0; i < 6; i++) contacts.push((await stack.api.as('operator').post('/v1/contacts', { firstName: `Stream${i}`, phone: `+55 31 9${String(70000000 + i)}` })).body.id);
  // The poller keeps its options private; wrapping the handler it was given is the seam that
  // lets the test deliver batches again exactly as Lambda's retries would.
  const poller = stack.poller as unknown as { options: { handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void> } };
  const real = poller.options.handler;
  const seen = new Set<string>();
  poller.options.handler = async (event) => {
    const response = await real(event);
    const first = event.Records[0]?.dynamodb?.SequenceNumber ?? '';
    if (delivery === 'once' || (response?.batchItemFailures?.length ?? 0) > 0 || seen.has(first)) return response;
    seen.add(first);
    // The function did all the work; the answer is lost (timeout, crash), so the batch comes again.
    if (delivery === 'replay-whole-batch') {
      redelivered.batches++;
      return { batchItemFailures: [{ itemIdentifier: first }] };
    }
    const middle = event.Records[Math.floor(event.Records.length / 2)];
    redelivered.fromMiddle++;
    return { batchItemFailures: [{ itemIdentifier: middle.dynamodb!.SequenceNumber! }] };
  };
});
afterAll(async () => {
  raw?.destroy();
  check?.close();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function send(events: PlannedEvent[]) {
  const outcome = await postEvents(stack.api, apiKey, events, { perCall: 40, concurrency: 3 });
  expect(outcome.failedCalls).toBe(0);
  expect(outcome.rejected).toBe(0);
  sent.push(...events);
  return outcome;
}

/** Every counter of every contact equals the recomputation from its state items. */
async function expectCountersExact(skip?: (item: Record<string, any>) => boolean) {
  for (const contactId of contacts) {
    const { stored, expected } = await check.counters(contactId, skip);
    expect(stored, `counters of ${contactId}`).toEqual(expected);
  }
}

/** Each message state item holds, per status, the earliest time any event sent for it reported. */
async function expectStateMatchesEvents() {
  const earliest = new Map<string, Record<string, string>>();
  for (const e of sent.filter((e) => e.type === 'message.status')) {
    const stages = earliest.get(String(e.messageId)) ?? {};
    const at = new Date(String(e.at)).toISOString();
    if (!stages[String(e.status)] || at < stages[String(e.status)]) stages[String(e.status)] = at;
    earliest.set(String(e.messageId), stages);
  }
  const stored = new Map<string, Record<string, string>>();
  for (const contactId of contacts) for (const item of await check.collection(contactId, 'H#MSG#')) if (earliest.has(item.messageId)) stored.set(item.messageId, item.stages);
  expect(stored.size).toBe(earliest.size);
  for (const [messageId, stages] of earliest) expect(stored.get(messageId), messageId).toEqual(stages);
}

/** The profile shows every message sent to the contact exactly once. */
async function expectProfilesCountEveryMessage(skipMessage = '') {
  for (const contactId of contacts) {
    const messages = new Set(sent.filter((e) => e.contactId === contactId && e.type === 'message.status' && e.messageId !== skipMessage).map((e) => e.messageId));
    const profile = await stack.api.as('agent').get(`/v1/contacts/${contactId}`);
    expect(profile.body.engagement.dispatched.total, contactId).toBe(messages.size);
  }
}

// Each case posts a few hundred events and waits for the stream: minutes on a loaded 2-core machine.
describe('engagement counters under at-least-once delivery', { timeout: 180_000 }, () => {
  it('count events that arrive shuffled, twice, and with earlier times later, exactly once', async () => {
    const plan = planEvents(contacts, 60, { series: 'shuffled', seed: 7 });
    const outcome = await send(plan.events);
    // The platform retries whole calls and resends some events on their own.
    const resent = [...plan.events.slice(0, 40), ...plan.events.filter((_, i) => i % 7 === 0)];
    const again = await postEvents(stack.api, apiKey, resent, { perCall: 40 });
    expect(again.accepted).toBe(0);
    expect(again.duplicates).toBe(resent.length);
    // An earlier "sent" of already counted messages shows up late: they move to their earlier day.
    const late = plan.events
      .filter((e) => e.type === 'message.status' && e.status === 'sent')
      .slice(0, 10)
      .map((e) => ({ ...e, id: `${e.id}-late`, at: new Date(Date.parse(String(e.at)) - 3 * 86_400_000).toISOString() }));
    await send(late);
    await stack.drain(60_000);
    expect(outcome.accepted).toBe(plan.events.length);
    await expectStateMatchesEvents();
    await expectCountersExact();
    await expectProfilesCountEveryMessage();
  });

  it('change nothing when whole batches are delivered twice', async () => {
    delivery = 'replay-whole-batch';
    await send(planEvents(contacts, 50, { series: 'replayed', seed: 11 }).events);
    await stack.drain(60_000);
    delivery = 'once';
    expect(redelivered.batches).toBeGreaterThan(0);
    await expectStateMatchesEvents();
    await expectCountersExact();
    await expectProfilesCountEveryMessage();
  });

  it('change nothing when a batch is retried from a record in its middle', async () => {
    delivery = 'fail-middle-record';
    await send(planEvents(contacts, 50, { series: 'partial', seed: 13 }).events);
    await stack.drain(60_000);
    delivery = 'once';
    expect(redelivered.fromMiddle).toBeGreaterThan(0);
    await expectCountersExact();
    await expectProfilesCountEveryMessage();
  });

  it('set a poison record aside after bounded retries and count everything else', async () => {
    const poison = { ...{ pk: contactPk(contacts[0]), sk: 'H#MSG#poison' }, type: 'message', contactId: contacts[0], messageId: 'poison', channel: 'sms', broadcast: true, stages: { sent: 'not a time' }, firstAt: 'not a time', version: 1, updatedAt: 'never' };
    await raw.send(new PutCommand({ TableName: stack.tableName, Item: poison }));
    await send(planEvents(contacts, 40, { series: 'after-poison', seed: 17 }).events);
    await stack.drain(120_000);
    const failureFile = join(dataDir, 'stream-failures.jsonl');
    expect(existsSync(failureFile)).toBe(true);
    const givenUp = readFileSync(failureFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line).record.dynamodb.Keys);
    expect(givenUp).toEqual([{ pk: { S: poison.pk }, sk: { S: 'H#MSG#poison' } }]);
    await expectCountersExact((item) => item.messageId === 'poison');
    await expectProfilesCountEveryMessage('poison');
  });
});
