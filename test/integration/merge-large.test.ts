import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ddb, tableName } from '../../functions/lib/dynamo.js';
import { mergeFaults } from '../../functions/merge/merge-engine.js';
import { mergeTuning } from '../../functions/merge/merge-plan.js';
import { createMerge, undoMerge } from '../../functions/merge/merge-service.js';
import { mergeTiming } from '../../functions/merge/merge-record.js';
import { canonical, queryRaw } from '../../functions/data/raw-item.js';
import { startLocalStack } from '../support/local-stack.js';

type Stack = Awaited<ReturnType<typeof startLocalStack>>;
let stack: Stack;

const operator = () => stack.api.as('operator', 'otto');
const agent = () => stack.api.as('agent', 'gil');
const admin = () => stack.api.as('admin', 'ana');

const HISTORY = 2_000;
const saved = { ...mergeTiming };

beforeAll(async () => {
  stack = await startLocalStack();
});
afterEach(() => {
  Object.assign(mergeTiming, saved);
  mergeFaults.afterStep = undefined;
});
afterAll(async () => {
  await stack?.stop();
});

/** A contact's collection (or the part under `prefix`) as stored. */
const collection = (contactId: string, prefix = '') => queryRaw(`CONTACT#${contactId}`, prefix);

/** Message and conversation state items of the last days, written the way ingestion stores them. */
async function writeHistory(contactId: string, count: number) {
  const items = Array.from({ length: count }, (_, i) => {
    const at = new Date(Date.now() - (1 + (i % 20)) * 86_400_000 + i * 1000).toISOString();
    if (i % 10 === 9) {
      return { pk: `CONTACT#${contactId}`, sk: `H#CONV#c${i}`, type: 'conversation', contactId, conversationId: `c${i}`, kind: 'support', status: i % 20 === 9 ? 'open' : 'resolved', statusAt: at, openedAt: at, firstAt: at, hours: { [at.slice(0, 13)]: { contact: 1, agent: 2, positive: 1 } }, contactMessages: 1, agentMessages: 2, version: 3, updatedAt: at };
    }
    return { pk: `CONTACT#${contactId}`, sk: `H#MSG#m${contactId}-${i}`, type: 'message', contactId, messageId: `m${contactId}-${i}`, channel: i % 2 ? 'whatsapp' : 'email', broadcast: true, stages: { sent: at, delivered: at, ...(i % 3 ? {} : { read: at }) }, firstAt: at, version: 2, updatedAt: at };
  });
  for (let i = 0; i < items.length; i += 25) {
    await ddb().send(new BatchWriteCommand({ RequestItems: { [tableName()]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  }
}

async function numbers(id: string) {
  await stack.drain(120_000);
  await stack.drain(120_000);
  const p = (await agent().get(`/v1/contacts/${id}`)).body;
  return { dispatched: p.engagement.dispatched.total, open: p.tickets.open, resolved: p.tickets.resolved };
}

describe('a merge of a large history', () => {
  it('moves thousands of items in chunks, resumes after a crash midway, and an undo brings every item back byte for byte', async () => {
    const primary = (await operator().post('/v1/contacts', { firstName: 'Big', phone: '+55 31 98888-0001' })).body;
    const duplicate = (await operator().post('/v1/contacts', { firstName: 'Big', lastName: 'Dup', phone: '+55 31 98888-0002' })).body;
    await writeHistory(duplicate.id, HISTORY);
    await writeHistory(primary.id, 30);
    const before = { p: await numbers(primary.id), d: await numbers(duplicate.id) };
    expect(before.d.dispatched).toBe(HISTORY - HISTORY / 10);
    const originalHistory = await collection(duplicate.id, 'H#');
    expect(originalHistory).toHaveLength(HISTORY);

    // The run "crashes" after its switch and a dozen chunks; its lease runs out quickly.
    mergeTiming.leaseMs = 300;
    mergeTiming.inlineBudgetMs = 600_000;
    mergeFaults.afterStep = (_record, step) => {
      if (step === 12) throw new Error('simulated crash');
    };
    const otto = { sub: 'otto', name: 'Otto', role: 'operator' as const };
    await expect(createMerge({ primaryId: primary.id, duplicateIds: [duplicate.id] }, otto)).rejects.toThrow('simulated crash');
    mergeFaults.afterStep = undefined;

    const [merge] = (await admin().get('/v1/merges?limit=1')).body.items;
    expect(merge).toMatchObject({ primaryId: primary.id, status: 'running' });
    // Switched: the duplicate already reads as merged, and part of its history has moved.
    expect((await agent().get(`/v1/contacts/${duplicate.id}`)).status).toBe(404);
    const halfway = (await collection(duplicate.id, 'H#')).length;
    expect(halfway).toBeGreaterThan(0);
    expect(halfway).toBeLessThan(HISTORY - 11 * mergeTuning.itemsPerStep + 1);
    // Conversations c9, c19 and c29 exist on both: they combine into one each (two open, one resolved).
    const shared = 3;
    // While the history moves, the primary's dispatch report range also holds the merge's marker.
    expect((await collection(primary.id, 'H#')).filter((item) => item.sk.S !== 'H#DSP#~MERGE').length).toBe(30 + HISTORY - halfway - shared);

    await new Promise((r) => setTimeout(r, 400));
    const resumed = (await stack.runSchedule('resume-merges')) as Record<string, string>;
    expect(resumed[merge.id]).toBe('completed');
    expect((await collection(duplicate.id, 'H#')).length).toBe(0);
    expect((await collection(primary.id, 'H#')).length).toBe(30 + HISTORY - shared);
    // The history, and the duplicate's two activity entries (created, and merged by the switch).
    expect((await operator().get(`/v1/merges/${merge.id}`)).body).toMatchObject({ status: 'completed', movedItems: HISTORY + 2 });
    expect(await numbers(primary.id)).toEqual({
      dispatched: before.p.dispatched + before.d.dispatched,
      open: before.p.open + before.d.open - 2,
      resolved: before.p.resolved + before.d.resolved - 1,
    });

    // An undo that runs out of its inline budget answers "undoing" and is finished by resume-merges.
    mergeTiming.inlineBudgetMs = 1;
    const undo = await undoMerge(merge.id, otto);
    expect(undo.status).toBe('undoing');
    expect((await agent().get(`/v1/contacts/${duplicate.id}`)).status).toBe(200);
    mergeTiming.inlineBudgetMs = saved.inlineBudgetMs;
    mergeTiming.leaseMs = 1;
    await new Promise((r) => setTimeout(r, 20));
    expect(((await stack.runSchedule('resume-merges')) as Record<string, string>)[merge.id]).toBe('undone');

    const restored = await collection(duplicate.id, 'H#');
    expect(restored.map(canonical)).toEqual(originalHistory.map(canonical));
    expect((await collection(primary.id, 'H#')).length).toBe(30);
    expect({ p: await numbers(primary.id), d: await numbers(duplicate.id) }).toEqual(before);
  }, 600_000);
});
