import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jobKey } from '../../functions/data/keys.js';
import { jobTiming, jobTuning } from '../../functions/jobs/job-runner.js';
import { ddb } from '../../functions/lib/dynamo.js';
import { engagementCheck } from '../support/engagement-check.js';
import { createApiKey, planEvents, postEvents } from '../support/events.js';
import { createContact, type CreatedContact } from '../support/factories.js';
import { faultInjector, type FaultInjector } from '../support/faults.js';
import { startLocalStack, type ApiResponse } from '../support/local-stack.js';
import { rawClient } from '../support/raw-client.js';

/**
 * Faults DynamoDB Local never produces (throttling, timeouts, answers lost
 * after the write was applied, transaction conflicts, a worker killed
 * mid-job), injected into the product's own DynamoDB client: the SDK and
 * the product retry with backoff, nothing is lost, nothing is counted
 * twice, and what still fails answers the API's error JSON.
 */

type Stack = Awaited<ReturnType<typeof startLocalStack>>;
let stack: Stack;
let faults: FaultInjector;
let check: ReturnType<typeof engagementCheck>;
let raw: ReturnType<typeof rawClient>;
let serial = 0;
const TIMEZONE = 'America/Sao_Paulo';

beforeAll(async () => {
  stack = await startLocalStack({ timezone: TIMEZONE });
  faults = faultInjector(ddb());
  check = engagementCheck(stack, TIMEZONE);
  raw = rawClient(stack.dynamoEndpoint);
  jobTiming.settleMs = 0;
});
afterEach(() => {
  faults.clear();
});
afterAll(async () => {
  check?.close();
  raw?.destroy();
  await stack?.stop();
});

/**
 * Arms fault rules once the stream is idle, so background stream work
 * cannot take a fault meant for the request under test.
 */
async function arm(...rules: Parameters<FaultInjector['add']>[0][]) {
  await stack.drain(60_000);
  for (const rule of rules) faults.add(rule);
}

const operator = () => stack.api.as('operator', 'faults-operator');
const admin = () => stack.api.as('admin', 'faults-admin');

/** A new contact (with a phone and an email); also moves `serial` on, which names the test's lists, tags and series. */
async function freshContact() {
  serial++;
  return (await createContact(operator())) as CreatedContact & { email: string };
}
const listCount = async (id: string) => (await admin().get(`/v1/lists/${id}`)).body.memberCount;
const tagCount = async (id: string) => (await admin().get(`/v1/tags/${id}`)).body.contactCount;
const contactsWithEmail = async (email: string) => (await admin().get(`/v1/contacts?q=${encodeURIComponent(email)}`)).body.items.length;

/** The API's error JSON and nothing else: no stack, no SDK internals. */
function expectErrorJson(r: ApiResponse, statuses: number[]) {
  expect(statuses, JSON.stringify(r.body)).toContain(r.status);
  expect(r.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
  expect(JSON.stringify(r.body)).not.toMatch(/Exception|injected|\n\s+at |node_modules/);
}

describe('throttling and timeouts the SDK retries', () => {
  it('answers a profile read whose Query was throttled twice, after backing off', async () => {
    const contact = await freshContact();
    await arm({ fault: 'throttle', operation: 'Query', times: 2 });
    const r = await stack.api.as('agent').get(`/v1/contacts/${contact.id}`);
    expect(r.status).toBe(200);
    expect(r.body.id).toBe(contact.id);
    const injected = faults.drainLog();
    expect(injected.map((f) => f.fault)).toEqual(['throttle', 'throttle']);
    expect(faults.pending()).toEqual([]);
  });

  it('creates a contact exactly once when its write timed out before reaching DynamoDB', async () => {
    // The profile goes in one transaction with its activity entry.
    await arm({ fault: 'timeout', operation: 'TransactWrite', key: /^CONTACT#.*\|P#PROFILE$/, times: 2 });
    const r = await operator().post('/v1/contacts', { firstName: 'Timeout', email: 'timeout@faults.example' });
    expect(r.status).toBe(201);
    expect(faults.pending()).toEqual([]);
    expect(await contactsWithEmail('timeout@faults.example')).toBe(1);
  });
});

describe('transactions cancelled by a concurrent one', () => {
  it('adds a list member through transient conflicts, counting it once', async () => {
    const contact = await freshContact();
    const list = (await operator().post('/v1/lists', { name: `Conflicts ${serial}` })).body;
    await arm({ fault: 'conflict', operation: 'TransactWrite', key: /^LIST#/, times: 2 });
    expect((await operator().put(`/v1/contacts/${contact.id}/lists/${list.id}`)).status).toBe(204);
    expect(faults.pending()).toEqual([]);
    expect(await listCount(list.id)).toBe(1);
  });
});

describe('answers lost after the write was applied (the SDK sends it again)', () => {
  it('keeps list counts exact when adding and removing a member', async () => {
    const contact = await freshContact();
    const list = (await operator().post('/v1/lists', { name: `Lost answers ${serial}` })).body;
    await arm({ fault: 'lost-answer', operation: 'TransactWrite', key: /^LIST#/ });
    expect((await operator().put(`/v1/contacts/${contact.id}/lists/${list.id}`)).status).toBe(204);
    expect(await listCount(list.id)).toBe(1);
    await arm({ fault: 'lost-answer', operation: 'TransactWrite', key: /^LIST#/ });
    expect((await operator().delete(`/v1/contacts/${contact.id}/lists/${list.id}`)).status).toBe(204);
    expect(faults.pending()).toEqual([]);
    expect(await listCount(list.id)).toBe(0);
  });

  it('creates a tag once and counts its contact once when both transactions lost their answers', async () => {
    const contact = await freshContact();
    const name = `Lost tag ${serial}`;
    await arm({ fault: 'lost-answer', operation: 'TransactWrite', key: /^TAGNAME#/ });
    await arm({ fault: 'lost-answer', operation: 'TransactWrite', key: /^TAG#/ });
    const r = await operator().post(`/v1/contacts/${contact.id}/tags`, { name });
    expect(r.status).toBe(200);
    expect(faults.pending()).toEqual([]);
    expect(await tagCount(r.body.id)).toBe(1);
    const tags = (await admin().get(`/v1/tags?q=${encodeURIComponent(name)}&limit=100`)).body.items.filter((t: { name: string }) => t.name === name);
    expect(tags).toHaveLength(1);
  });

  it('never creates a contact twice; the request answers it or an error JSON', async () => {
    await arm({ fault: 'lost-answer', operation: 'TransactWrite', key: /^CONTACT#.*\|P#PROFILE$/ });
    const r = await operator().post('/v1/contacts', { firstName: 'Lost', email: 'lost.answer@faults.example' });
    expect(faults.pending()).toEqual([]);
    if (r.status !== 201) expectErrorJson(r, [409, 500, 503]);
    expect(await contactsWithEmail('lost.answer@faults.example')).toBe(1);
  });
});

describe('the engagement pipeline under faults', () => {
  it('ingests through write conflicts and lost answers and counts through throttled and lost counter writes, exactly once', async () => {
    const contacts = [await freshContact(), await freshContact(), await freshContact()];
    const key = (await createApiKey(stack.api))!;
    const plan = planEvents(
      contacts.map((c) => c.id),
      30,
      { series: `faults-${serial}` },
    );
    await arm(
      // A conversation's write (a message is one conditional Put of the conversation, its id kept on it) meets a
      // concurrent transaction, then lands with its answer lost: its messages are accepted and counted once.
      { fault: 'conflict', operation: 'Put', key: /\|H#CONV#/, times: 3 },
      { fault: 'lost-answer', operation: 'Put', key: /\|H#CONV#/, times: 2 },
      // A status event's write applied but its answer lost: the retry meets its own write, and the event is accepted once.
      { fault: 'lost-answer', operation: 'Put', key: /\|H#MSG#/, times: 3 },
      { fault: 'throttle', operation: 'Update', key: /\|P#ENGD#/, times: 2 },
      { fault: 'lost-answer', operation: 'Update', key: /\|P#ENGD#/, after: 2, times: 4 },
      { fault: 'lost-answer', operation: 'Update', key: /^AN(DAY|NODE|MONTH|GEO)/, times: 4 },
      { fault: 'timeout', operation: 'BatchGet', times: 2 },
    );
    const posted = await postEvents(stack.api, key, plan.events, { perCall: 25, concurrency: 2 });
    await stack.drain(120_000);
    expect(faults.pending(), 'every armed fault fired').toEqual([]);
    expect(posted).toMatchObject({ accepted: plan.events.length, rejected: 0, failedCalls: 0 });

    for (const c of contacts) {
      const { stored, expected } = await check.counters(c.id);
      expect(stored, `counters of ${c.id}`).toEqual(expected);
      const profile = await stack.api.as('agent').get(`/v1/contacts/${c.id}`);
      expect(profile.body.engagement.dispatched.total).toBe(plan.messagesByContact.get(c.id));
    }
    const panel = (await operator().get('/v1/analytics/contacts')).body;
    const broadcasts = new Set(plan.events.filter((e) => e.type === 'message.status' && e.broadcast === true).map((e) => e.messageId)).size;
    expect(panel.daily.reduce((sum: number, d: { broadcasts: number }) => sum + d.broadcasts, 0)).toBe(broadcasts);
    expect(panel.messageFunnel.sent).toBe(contacts.length);
  });
});

describe('a request that still fails after retries', () => {
  it('answers 429 throttled when DynamoDB keeps throttling, with the error JSON only', async () => {
    const contact = await freshContact();
    await arm({ fault: 'throttle', operation: 'Query', where: 'final' });
    expectErrorJson(await stack.api.as('agent').get(`/v1/contacts/${contact.id}`), [429]);
    await arm({ fault: 'throttle', operation: 'TransactWrite', where: 'final' });
    const r = await operator().post('/v1/contacts', { firstName: 'Throttled', email: 'throttled@faults.example' });
    expectErrorJson(r, [429]);
    expect(r.body.error.code).toBe('throttled');
    expect(await contactsWithEmail('throttled@faults.example')).toBe(0);
  });

  it('answers a generic 5xx for a timeout and a conflict, writes nothing half-way, and keeps counts exact', async () => {
    const contact = await freshContact();
    await arm({ fault: 'timeout', operation: 'TransactWrite', key: /\|P#PROFILE$/, where: 'final' });
    expectErrorJson(await operator().patch(`/v1/contacts/${contact.id}`, { lastName: 'Never' }), [500, 503, 504]);
    expect((await stack.api.as('agent').get(`/v1/contacts/${contact.id}`)).body.lastName).toBeNull();

    const list = (await operator().post('/v1/lists', { name: `Conflicted ${serial}` })).body;
    await arm({ fault: 'conflict', operation: 'TransactWrite', key: /^LIST#/, where: 'final', times: 10 });
    const r = await operator().put(`/v1/contacts/${contact.id}/lists/${list.id}`);
    if (r.status !== 204) expectErrorJson(r, [409, 429, 500, 503]);
    const member = (await stack.api.as('agent').get(`/v1/contacts/${contact.id}`)).body.lists.some((l: { id: string }) => l.id === list.id);
    expect(await listCount(list.id)).toBe(member ? 1 : 0);
  });

  it('answers 429 to an integration whose events call is throttled, and the retry of that call lands once', async () => {
    const contact = await freshContact();
    const key = (await createApiKey(stack.api))!;
    const plan = planEvents([contact.id], 5, { series: `throttled-call-${serial}` });
    await arm({ fault: 'throttle', operation: 'Put', key: /\|H#(MSG|CONV)#/, where: 'final', times: 50 });
    const refused = await stack.api.call('POST', '/v1/events', { body: { events: plan.events }, headers: { 'x-api-key': key } });
    faults.clear();
    if (refused.status !== 202) expectErrorJson(refused, [429, 500, 503]);
    const retried = await postEvents(stack.api, key, plan.events);
    await stack.drain(60_000);
    expect(retried.failedCalls).toBe(0);
    expect((await stack.api.as('agent').get(`/v1/contacts/${contact.id}`)).body.engagement.dispatched.total).toBe(5);
  });
});

describe('a bulk job whose worker is killed midway', () => {
  it('is resumed by resume-jobs and imports every row once, with the list count exact', async () => {
    const chunk = jobTuning.importChunk;
    jobTuning.importChunk = 5;
    try {
      const list = (await operator().post('/v1/lists', { name: `Killed import ${serial}` })).body;
      const rows = Array.from({ length: 23 }, (_, i) => `Killed${i},killed.${serial}.${i}@faults.example`);
      // Steps that move the list count commit in a transaction with the job item: the worker
      // dies at the second one, after the first chunk landed and before the job finished.
      await arm({ fault: 'crash', operation: 'TransactWrite', key: /^JOB#/, after: 1 });
      const started = await operator().post('/v1/jobs', { type: 'import-contacts', fileName: 'killed.csv', csv: `firstName,email\n${rows.join('\n')}\n`, listId: list.id });
      expect(started.status).toBe(202);
      await stack.idleJobs();
      expect(faults.pending()).toEqual([]);
      const midway = (await operator().get(`/v1/jobs/${started.body.id}`)).body;
      expect(['queued', 'running']).toContain(midway.status);
      expect(midway.processed).toBeLessThan(23);

      // The dead worker's lease runs out; the schedule hands the job to a new worker.
      await raw.send(new UpdateCommand({ TableName: stack.tableName, Key: jobKey(started.body.id), UpdateExpression: 'SET leaseUntil = :past', ExpressionAttributeValues: { ':past': 0 } }));
      expect(await stack.runSchedule('resume-jobs')).toMatchObject({ resumed: 1 });
      await stack.idleJobs();
      const done = (await operator().get(`/v1/jobs/${started.body.id}`)).body;
      expect(done).toMatchObject({ status: 'succeeded', total: 23, processed: 23, failed: 0 });
      await stack.drain(60_000);
      expect(await listCount(list.id)).toBe(23);
      for (const i of [0, 7, 22]) expect(await contactsWithEmail(`killed.${serial}.${i}@faults.example`)).toBe(1);
    } finally {
      jobTuning.importChunk = chunk;
    }
  });
});
