import { BatchWriteCommand, DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ddb, tableName } from '../../functions/lib/dynamo.js';
import { switchTuning } from '../../functions/merge/markers.js';
import { mergeFaults } from '../../functions/merge/merge-engine.js';
import { mergeTuning } from '../../functions/merge/merge-plan.js';
import { getMergeRecord, type MergePhase } from '../../functions/data/merge-record.js';
import { mergeTiming } from '../../functions/merge/merge-record.js';
import { ANSWER_MARGIN_MS, createMerge, undoMerge } from '../../functions/merge/merge-service.js';
import { canonical, queryRaw } from '../../functions/data/raw-item.js';
import { useLocalStack, usersOf } from '../support/api-suite.js';
import { contactBody, createContact, expectFieldErrors } from '../support/factories.js';

/**
 * A merge is never half-visible: between its steps (driven one at a time
 * through the engine's step hook) every reader sees either the contacts as
 * they were or the merged contact whole, never history arriving piece by
 * piece, a duplicate still answering after the switch, or an item twice.
 */
const stack = useLocalStack();
const { operator, agent } = usersOf(stack);
const otto = { sub: 'otto', name: 'Otto', role: 'operator' as const };

const savedTuning = { ...mergeTuning };
const savedSwitch = { ...switchTuning };
const savedTiming = { ...mergeTiming };

beforeEach(() => {
  // These merges read between their steps (or are large): on a loaded machine they outlast the request's inline budget.
  mergeTiming.inlineBudgetMs = 600_000;
});
afterEach(() => {
  Object.assign(mergeTuning, savedTuning);
  Object.assign(switchTuning, savedSwitch);
  Object.assign(mergeTiming, savedTiming);
  mergeFaults.afterStep = undefined;
});

/** A contact with a phone and no email (fewer items for the large merges to move). */
const newContactId = async (fields: Record<string, unknown> = {}) => (await createContact(operator(), contactBody({ email: undefined, ...fields }))).id;

/**
 * The merge's status once it settles: a request that ran short of time answered `running` (or
 * `undoing`) and left the rest to resume-merges, which the test runs as its schedule would.
 */
async function settled(id: string, want: 'completed' | 'undone') {
  for (let attempt = 0; attempt < 20; attempt++) {
    const r = await operator().get(`/v1/merges/${id}`);
    expect(r.status).toBe(200);
    if (r.body.status === want) return r.body;
    expect(r.body.status).toBe(want === 'completed' ? 'running' : 'undoing');
    await stack.runSchedule('resume-merges');
  }
  throw new Error(`merge ${id} did not reach ${want}`);
}

async function aList() {
  const r = await operator().post('/v1/lists', { name: `L-${ulid()}` });
  expect(r.status).toBe(201);
  return r.body.id as string;
}

const isFailed = (i: number) => i % 4 === 0;
const failedOf = (ids: string[]) => ids.filter((_, i) => isFailed(i));

/** Dispatches (queued or failed to send), messages and support conversations, stored the way the product stores them. */
async function writeHistory(contactId: string, counts: { dispatches: number; messages?: number; tickets?: number }) {
  const pk = `CONTACT#${contactId}`;
  const items: Record<string, unknown>[] = [];
  const dispatchIds: string[] = [];
  for (let i = 0; i < counts.dispatches; i++) {
    const id = ulid();
    dispatchIds.push(id);
    const failed = isFailed(i);
    items.push({ pk, sk: `H#DSP#${id}`, type: 'dispatch', id, contactId, channel: 'sms', status: failed ? 'sending_error' : 'queued', ...(failed ? { reason: 'unsubscribed' } : {}), at: new Date().toISOString(), text: `hi ${i}`, by: 'otto', gsi1pk: 'DISPATCH', gsi1sk: id });
  }
  for (let i = 0; i < (counts.messages ?? 0); i++) {
    const at = new Date(Date.now() - (1 + (i % 10)) * 86_400_000).toISOString();
    items.push({ pk, sk: `H#MSG#m${contactId}-${i}`, type: 'message', contactId, messageId: `m${contactId}-${i}`, channel: 'whatsapp', broadcast: true, stages: { sent: at, delivered: at, ...(i % 2 ? { read: at } : {}) }, firstAt: at, version: 2, updatedAt: at });
  }
  for (let i = 0; i < (counts.tickets ?? 0); i++) {
    const at = new Date(Date.now() - (1 + (i % 10)) * 86_400_000).toISOString();
    items.push({ pk, sk: `H#CONV#c${contactId}-${i}`, type: 'conversation', contactId, conversationId: `c${contactId}-${i}`, kind: 'support', status: i % 3 ? 'resolved' : 'open', statusAt: at, openedAt: at, firstAt: at, hours: { [at.slice(0, 13)]: { contact: 1, agent: 1 } }, contactMessages: 1, agentMessages: 1, version: 2, updatedAt: at });
  }
  for (let i = 0; i < items.length; i += 25) {
    await ddb().send(new BatchWriteCommand({ RequestItems: { [tableName()]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  }
  return dispatchIds;
}

/** The whole per-contact dispatch report, page by page. */
async function dispatchReport(contactId: string, query = '') {
  const items: { id: string; contactId: string; status: string }[] = [];
  let cursor: string | null = null;
  do {
    const r: { status: number; body: any } = await operator().get(`/v1/dispatches?contactId=${contactId}&limit=100${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    items.push(...r.body.items);
    cursor = r.body.cursor;
  } while (cursor);
  return items;
}

/** The profile once the stream has caught up with every write so far (counters are eventually consistent by contract). */
async function settledProfile(id: string) {
  await stack.drain(120_000);
  return agent().get(`/v1/contacts/${id}`);
}

const numbers = (p: { engagement: { dispatched: { total: number } }; tickets: { open: number; resolved: number } }) => ({
  dispatched: p.engagement.dispatched.total,
  open: p.tickets.open,
  resolved: p.tickets.resolved,
});
const sorted = (ids: string[]) => [...ids].sort();
const collection = (id: string, prefix = '') => queryRaw(`CONTACT#${id}`, prefix);

describe('a merge read between its steps', { timeout: 300_000 }, () => {
  it('shows the dispatch report, tickets, counters and lists of the primary whole after every chunk, each item once', async () => {
    mergeTuning.itemsPerStep = 30;
    const [shared, own, theirs] = [await aList(), await aList(), await aList()];
    const primary = await newContactId();
    const duplicate = await newContactId();
    for (const [contact, lists] of [[primary, [shared, own]], [duplicate, [shared, theirs]]] as const) {
      for (const list of lists) expect((await operator().put(`/v1/contacts/${contact}/lists/${list}`)).status).toBe(204);
    }
    const primaryDispatches = await writeHistory(primary, { dispatches: 12, messages: 4, tickets: 3 });
    const duplicateDispatches = await writeHistory(duplicate, { dispatches: 220, messages: 30, tickets: 12 });
    const before = { p: numbers((await settledProfile(primary)).body), d: numbers((await settledProfile(duplicate)).body) };
    expect(before.d).toEqual({ dispatched: 30, open: 4, resolved: 8 });
    const union = sorted([...primaryDispatches, ...duplicateDispatches]);
    const failedUnion = sorted([...failedOf(primaryDispatches), ...failedOf(duplicateDispatches)]);
    const combined = { dispatched: before.p.dispatched + before.d.dispatched, open: before.p.open + before.d.open, resolved: before.p.resolved + before.d.resolved };

    const phases: MergePhase[] = [];
    let readWhileSplit = 0;
    mergeFaults.afterStep = async (record) => {
      const now = (await getMergeRecord(record.id))!;
      phases.push(now.phase);
      const report = await dispatchReport(primary);
      const failed = await dispatchReport(primary, '&status=sending_error');
      const profile = await settledProfile(primary);
      // What the merge has not moved yet: proof that this read met history still split between the two contacts.
      if (now.phase === 'moving' && (await collection(duplicate, 'H#')).length > 0 && (await collection(primary, 'H#DSP#')).length > primaryDispatches.length + 1) readWhileSplit++;

      expect(report.map((d) => d.id)).toHaveLength(new Set(report.map((d) => d.id)).size);
      expect(sorted(report.map((d) => d.id))).toEqual(union);
      expect(new Set(report.map((d) => d.contactId))).toEqual(new Set([primary]));
      expect(sorted(failed.map((d) => d.id))).toEqual(failedUnion);
      expect(numbers(profile.body)).toEqual(combined);
      expect(sorted(profile.body.lists.map((l: { id: string }) => l.id))).toEqual(sorted([shared, own, theirs]));
      expect((await agent().get(`/v1/contacts/${duplicate}`)).status).toBe(404);
    };
    const merge = await createMerge({ primaryId: primary, duplicateIds: [duplicate] }, otto);
    mergeFaults.afterStep = undefined;

    expect(merge.status).toBe('completed');
    expect(merge.movedItems).toBeGreaterThanOrEqual(220 + 30 + 12);
    // The switch, nine chunks of at most 30 items, the end: every one was read, eight of them with history on both contacts.
    expect(phases).toEqual(['moving', ...Array(9).fill('moving'), 'completed']);
    expect(readWhileSplit).toBe(8);
    expect(sorted((await dispatchReport(primary)).map((d) => d.id))).toEqual(union);
    expect(numbers((await settledProfile(primary)).body)).toEqual(combined);
    expect(await collection(primary, 'P#MERGE')).toEqual([]);
    expect(await collection(primary, 'H#DSP#~')).toEqual([]);
  });

  it('a reader running beside an unpaused merge sees the contacts as they were or the merged contact whole, never in between', async () => {
    mergeTuning.itemsPerStep = 8;
    const primary = await newContactId();
    const duplicate = await newContactId();
    const own = sorted(await writeHistory(primary, { dispatches: 10 }));
    const union = sorted([...own, ...(await writeHistory(duplicate, { dispatches: 80 }))]);
    let done = false;
    let mergeId: string | undefined;
    let duringMove = 0;
    const reads: string[][] = [];
    mergeFaults.afterStep = (record) => {
      mergeId = record.id;
    };
    const phase = async () => (mergeId ? (await getMergeRecord(mergeId))?.phase : undefined);
    const reader = (async () => {
      while (!done) {
        const before = await phase();
        const ids = sorted((await dispatchReport(primary)).map((d) => d.id));
        if (before === 'moving' && (await phase()) === 'moving') duringMove++;
        reads.push(ids);
      }
    })();
    const merge = await createMerge({ primaryId: primary, duplicateIds: [duplicate] }, otto);
    done = true;
    await reader;
    expect(merge.status).toBe('completed');
    expect(reads.length).toBeGreaterThan(0);
    for (const ids of reads) expect([own, union]).toContainEqual(ids);
    expect(duringMove).toBeGreaterThan(0);
  });
});

describe('a merge of more duplicates than one transaction holds', { timeout: 300_000 }, () => {
  /** Every stored item of the contacts but the counters the stream keeps, as text. */
  const state = async (ids: string[]) =>
    // Activity entries aside: the timelines gain `merged` and `merge_undone` (test/integration/activity.test.ts).
    (await Promise.all(ids.map((id) => collection(id)))).flat().filter((item) => !item.sk.S!.startsWith('P#ENG') && !item.sk.S!.startsWith('T#') && item.sk.S !== 'S#ANALYTICS').map(canonical).sort();
  const profileFields = (p: Record<string, unknown>) => ({ ...p, engagement: undefined, tickets: undefined, satisfaction: undefined, band: undefined });

  it('switches late duplicates at once for readers through their markers, on merge and on undo, and leaves nothing behind', async () => {
    switchTuning.duplicates = 2;
    switchTuning.latePerStep = 2;
    const list = await aList();
    const primary = await newContactId();
    const duplicates: string[] = [];
    for (let i = 0; i < 5; i++) duplicates.push(await newContactId({ lastName: `Dup ${i}` }));
    const everyone = [primary, ...duplicates];
    for (const id of everyone) expect((await operator().put(`/v1/contacts/${id}/lists/${list}`)).status).toBe(204);
    const union = [...(await writeHistory(primary, { dispatches: 3 }))];
    for (const id of duplicates) union.push(...(await writeHistory(id, { dispatches: 4, tickets: 1 })));
    await stack.drain();
    const original = new Map(await Promise.all(everyone.map(async (id) => [id, profileFields((await agent().get(`/v1/contacts/${id}`)).body)] as const)));
    const stored = await state(everyone);
    const late = duplicates.slice(2);

    const seen = { lateHiddenWhileStored: 0, lateBackWhileAbsent: 0, preparing: 0 };
    const statuses = async () => Promise.all(duplicates.map(async (id) => (await agent().get(`/v1/contacts/${id}`)).status));
    mergeFaults.afterStep = async (record) => {
      const phase = (await getMergeRecord(record.id))!.phase;
      const answers = await statuses();
      if (phase === 'preparing') {
        seen.preparing++;
        expect(answers).toEqual(duplicates.map(() => 200));
        return;
      }
      if (phase === 'moving' || phase === 'completed' || phase === 'undoPreparing') {
        expect(answers).toEqual(duplicates.map(() => 404));
        const latePresent = (await Promise.all(late.map((id) => collection(id, 'P#PROFILE')))).filter((p) => p.length > 0).length;
        if (latePresent > 0) seen.lateHiddenWhileStored++;
        expect(sorted((await dispatchReport(primary)).map((d) => d.id))).toEqual(sorted(union));
        expect((await agent().get(`/v1/contacts/${primary}`)).body.lists.map((l: { id: string }) => l.id)).toEqual([list]);
      } else if (phase === 'undoing' || phase === 'undone') {
        expect(answers).toEqual(duplicates.map(() => 200));
        const lateAbsent = (await Promise.all(late.map((id) => collection(id, 'P#PROFILE')))).filter((p) => p.length === 0).length;
        if (lateAbsent > 0) seen.lateBackWhileAbsent++;
        for (const id of duplicates) {
          const back = (await agent().get(`/v1/contacts/${id}`)).body;
          expect({ ...profileFields(back), lists: undefined, channels: undefined }).toEqual({ ...original.get(id)!, lists: undefined, channels: undefined });
        }
      }
    };

    const merge = await createMerge({ primaryId: primary, duplicateIds: duplicates }, otto);
    expect(merge.status).toBe('completed');
    expect((await agent().get(`/v1/lists/${list}`)).body.memberCount).toBe(1);
    expect(numbers((await settledProfile(primary)).body)).toEqual({ dispatched: 0, open: 5, resolved: 0 });

    const undone = await undoMerge(merge.id, otto);
    mergeFaults.afterStep = undefined;
    expect(undone.status).toBe('undone');
    // The late duplicates were switched in their own chunks (merge: prepared, switched, two late chunks; undo likewise).
    expect(seen).toEqual({ lateHiddenWhileStored: 2, lateBackWhileAbsent: 2, preparing: 1 });

    await stack.drain();
    expect(await state(everyone)).toEqual(stored);
    expect((await agent().get(`/v1/lists/${list}`)).body.memberCount).toBe(6);
    for (const id of everyone) expect(profileFields((await agent().get(`/v1/contacts/${id}`)).body)).toEqual(original.get(id));
    // Locks and the active entry are gone (markers too: the collections are as they were).
    expect((await queryRaw('MERGES#ACTIVE', '')).map((item) => item.sk.S)).not.toContain(merge.id);
    for (const id of everyone) expect(await queryRaw(`MERGELOCK#${id}`, '')).toEqual([]);
  });

  it('merges and undoes 60 duplicates through the API with exact list counts', async () => {
    const list = await aList();
    const primary = await newContactId();
    const duplicates: string[] = [];
    for (let i = 0; i < 60; i += 10) duplicates.push(...(await Promise.all(Array.from({ length: 10 }, (_, j) => newContactId({ lastName: `Many ${i + j}` })))));
    for (const id of [primary, ...duplicates]) expect((await operator().put(`/v1/contacts/${id}/lists/${list}`)).status).toBe(204);
    expect((await agent().get(`/v1/lists/${list}`)).body.memberCount).toBe(61);

    const r = await operator().post('/v1/merges', { primaryId: primary, duplicateIds: duplicates });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ duplicateIds: duplicates });
    await settled(r.body.id, 'completed');
    expect((await agent().get(`/v1/lists/${list}`)).body.memberCount).toBe(1);
    expect(new Set(await Promise.all(duplicates.map(async (id) => (await agent().get(`/v1/contacts/${id}`)).status)))).toEqual(new Set([404]));
    expect((await agent().get(`/v1/contacts/${primary}`)).body.lastName).toBe('Many 0');

    const undo = await operator().post(`/v1/merges/${r.body.id}/undo`);
    expect(undo.status, JSON.stringify(undo.body)).toBe(200);
    await settled(r.body.id, 'undone');
    expect((await agent().get(`/v1/lists/${list}`)).body.memberCount).toBe(61);
    expect(new Set(await Promise.all(duplicates.map(async (id) => (await agent().get(`/v1/contacts/${id}`)).status)))).toEqual(new Set([200]));
    expect((await agent().get(`/v1/contacts/${primary}`)).body.lastName).toBeNull();
  });

  it('a request short of time answers running instead of failing, and resume-merges finishes the merge and the undo', async () => {
    const list = await aList();
    const primary = await newContactId();
    const duplicates = [await newContactId({ lastName: 'Short 1' }), await newContactId({ lastName: 'Short 2' })];
    for (const id of [primary, ...duplicates]) expect((await operator().put(`/v1/contacts/${id}/lists/${list}`)).status).toBe(204);
    await writeHistory(duplicates[0], { dispatches: 3 });
    // The function has no more time than the margin kept for answering: the switch happens, the history waits.
    const merge = await createMerge({ primaryId: primary, duplicateIds: duplicates }, otto, Date.now() + ANSWER_MARGIN_MS);
    expect(merge.status).toBe('running');
    for (const id of duplicates) expect((await agent().get(`/v1/contacts/${id}`)).status).toBe(404);
    await settled(merge.id, 'completed');
    expect((await agent().get(`/v1/lists/${list}`)).body.memberCount).toBe(1);

    const undone = await undoMerge(merge.id, otto, Date.now() + ANSWER_MARGIN_MS);
    expect(undone.status).toBe('undoing');
    await settled(merge.id, 'undone');
    expect((await agent().get(`/v1/lists/${list}`)).body.memberCount).toBe(3);
    for (const id of duplicates) expect((await agent().get(`/v1/contacts/${id}`)).status).toBe(200);
  });

  it('a late duplicate locked by another merge fails the merge or the undo and releases what it took; a crash before or after a switch resumes', async () => {
    switchTuning.duplicates = 1;
    switchTuning.latePerStep = 1;
    mergeTiming.leaseMs = 300;
    const list = await aList();
    const primary = await newContactId();
    const duplicates = [await newContactId({ lastName: 'Early' }), await newContactId({ lastName: 'Late 1' }), await newContactId({ lastName: 'Late 2' })];
    const everyone = [primary, ...duplicates];
    for (const id of everyone) expect((await operator().put(`/v1/contacts/${id}/lists/${list}`)).status).toBe(204);
    await writeHistory(duplicates[2], { dispatches: 3 });
    await stack.drain();
    const stored = await state(everyone);
    const foreignLock = (contactId: string) => ({ pk: `MERGELOCK#${contactId}`, sk: '#LOCK', type: 'mergeLock', mergeId: 'OTHER', contactId });
    const locksOf = async (mergeId: string) => (await Promise.all(everyone.map((id) => queryRaw(`MERGELOCK#${id}`, '')))).flat().filter((lock) => lock.mergeId.S === mergeId);
    const statuses = async () => Promise.all(duplicates.map(async (id) => (await agent().get(`/v1/contacts/${id}`)).status));

    await ddb().send(new PutCommand({ TableName: tableName(), Item: foreignLock(duplicates[2]) }));
    const refused = await operator().post('/v1/merges', { primaryId: primary, duplicateIds: duplicates });
    expect(refused.status).toBe(409);
    const [failed] = (await stack.api.as('admin', 'ana').get('/v1/merges?limit=1')).body.items;
    expect(failed).toMatchObject({ primaryId: primary, status: 'failed' });
    expect(await locksOf(failed.id)).toEqual([]);
    expect(await state(everyone)).toEqual(stored);
    expect(await statuses()).toEqual([200, 200, 200]);
    await ddb().send(new DeleteCommand({ TableName: tableName(), Key: { pk: `MERGELOCK#${duplicates[2]}`, sk: '#LOCK' } }));

    // Crash right after the late duplicates were locked and marked, before the switch.
    mergeFaults.afterStep = (_record, step) => {
      if (step === 1) throw new Error('simulated crash');
    };
    await expect(createMerge({ primaryId: primary, duplicateIds: duplicates }, otto)).rejects.toThrow('simulated crash');
    mergeFaults.afterStep = undefined;
    const [merge] = (await stack.api.as('admin', 'ana').get('/v1/merges?limit=1')).body.items;
    expect(merge.status).toBe('running');
    expect(await statuses()).toEqual([200, 200, 200]);
    await new Promise((r) => setTimeout(r, 400));
    expect(((await stack.runSchedule('resume-merges')) as Record<string, string>)[merge.id]).toBe('completed');
    expect(await statuses()).toEqual([404, 404, 404]);
    expect((await agent().get(`/v1/lists/${list}`)).body.memberCount).toBe(1);
    expect(sorted((await dispatchReport(primary)).map((d) => d.id))).toHaveLength(3);

    // An undo that meets a lock of another merge gives back what it took; the merge stands.
    await ddb().send(new PutCommand({ TableName: tableName(), Item: foreignLock(duplicates[1]) }));
    expect((await operator().post(`/v1/merges/${merge.id}/undo`)).status).toBe(409);
    expect((await stack.api.as('admin', 'ana').get(`/v1/merges/${merge.id}`)).body).toMatchObject({ status: 'completed', undoable: true });
    expect(await locksOf(merge.id)).toEqual([]);
    expect(await statuses()).toEqual([404, 404, 404]);
    await ddb().send(new DeleteCommand({ TableName: tableName(), Key: { pk: `MERGELOCK#${duplicates[1]}`, sk: '#LOCK' } }));

    // Crash after the undo took its locks and marked the late duplicates, before it switched back.
    mergeFaults.afterStep = (_record, step) => {
      if (step === 1) throw new Error('simulated crash');
    };
    await expect(undoMerge(merge.id, otto)).rejects.toThrow('simulated crash');
    mergeFaults.afterStep = undefined;
    expect((await operator().get(`/v1/merges/${merge.id}`)).body.status).toBe('undoing');
    expect(await statuses()).toEqual([404, 404, 404]);
    await new Promise((r) => setTimeout(r, 400));
    expect(((await stack.runSchedule('resume-merges')) as Record<string, string>)[merge.id]).toBe('undone');
    expect((await operator().get(`/v1/merges/${merge.id}`)).body).toMatchObject({ status: 'undone', undoneBy: 'otto' });
    await stack.drain();
    expect(await state(everyone)).toEqual(stored);
    expect(await locksOf(merge.id)).toEqual([]);
  });

  it('answers 400 past the limit the merge record can hold, writing nothing', async () => {
    const primary = await newContactId();
    const r = await operator().post('/v1/merges', { primaryId: primary, duplicateIds: Array.from({ length: 1001 }, () => ulid()) });
    expectFieldErrors(r, { duplicateIds: 'must list at most 1000 contacts' });
  });
});
