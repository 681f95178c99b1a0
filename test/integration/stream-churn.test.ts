import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsStateKey, contactIdFromPk } from '../../functions/data/keys.js';
import { engagementCheck } from '../support/engagement-check.js';
import { createApiKey, planEvents, postEvents } from '../support/events.js';
import { startLocalStack } from '../support/local-stack.js';
import { rawClient } from '../support/raw-client.js';

/**
 * Ordinary churn while the stream lags behind: contacts created, deleted
 * and purged from the recycle bin before the stream processed their
 * creation, deleted and purged with events still on the stream,
 * bulk-deleted into the bin, merged, undone and merged again, all written
 * while the poller is held, then processed as one backlog. Nothing may fail
 * and every derived number must equal what the stored items give.
 */
type Stack = Awaited<ReturnType<typeof startLocalStack>>;
let stack: Stack;
let apiKey: string;
const TZ = 'America/Sao_Paulo';
type Item = Record<string, any>;

beforeAll(async () => {
  stack = await startLocalStack({ timezone: TZ });
  apiKey = (await createApiKey(stack.api))!;
});
afterAll(async () => {
  await stack?.stop();
});

const operator = () => stack.api.as('operator', 'olga');
const admin = () => stack.api.as('admin', 'ana');

/** Deleted (to the recycle bin) and purged from it at once: gone for good. */
async function deleteAndPurge(id: string): Promise<void> {
  expect((await operator().delete(`/v1/contacts/${id}`)).status).toBe(204);
  expect((await admin().delete(`/v1/recycle-bin/${id}`)).status).toBe(204);
}

async function createContact(body: Record<string, unknown>): Promise<string> {
  const created = await operator().post('/v1/contacts', body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

async function listedContacts(): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await operator().get(`/v1/contacts?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    count += page.body.items.length;
    cursor = page.body.cursor ?? undefined;
  } while (cursor);
  return count;
}

async function scan(): Promise<Item[]> {
  const raw = rawClient(stack.dynamoEndpoint);
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await raw.send(new ScanCommand({ TableName: stack.tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  raw.destroy();
  return items;
}

const health = async () => (await fetch(`${stack.baseUrl}/health`)).json();

describe('derived numbers under churn before the stream catches up', () => {
  it('fail no record, keep the base equal to the listing, and leave nothing but expiring tombstones of purged contacts', async () => {
    stack.poller.hold();
    const gone: string[] = [];
    // Created, deleted and purged a moment later, before the stream sees any of it.
    for (let i = 0; i < 10; i++) {
      const id = await createContact({ firstName: `Fleeting ${i}`, phone: `+55119876${String(5000 + i)}` });
      await deleteAndPurge(id);
      gone.push(id);
    }
    const kept: string[] = [];
    for (let i = 0; i < 8; i++) kept.push(await createContact({ firstName: `Kept ${i}`, phone: `+55219876${String(6000 + i)}`, email: `kept${i}@example.com` }));
    const plan = planEvents(kept, 40, { series: 'churn', days: 20, seed: 7 });
    const posted = await postEvents(stack.api, apiKey, plan.events);
    expect(posted.failedCalls).toBe(0);
    expect(posted.rejected).toBe(0);

    // Deleted and purged with their events still on the stream, one by one; two bulk-deleted into the recycle bin.
    for (const id of kept.splice(0, 2)) {
      await deleteAndPurge(id);
      gone.push(id);
    }
    const binned = kept.splice(0, 2);
    const job = await operator().post('/v1/jobs', { type: 'delete-contacts', contactIds: binned });
    expect(job.status).toBe(202);
    await stack.idleJobs();
    expect((await operator().get(`/v1/jobs/${job.body.id}`)).body.status).toBe('succeeded');

    // Duplicates merged, undone, merged again; an edit and a block in between.
    const [primary, duplicate] = kept.splice(0, 2);
    expect((await operator().patch(`/v1/contacts/${duplicate}`, { phone: `+55219876${String(6002)}` })).status).toBe(200);
    const merge = await operator().post('/v1/merges', { primaryId: primary, duplicateIds: [duplicate] });
    expect(merge.status, JSON.stringify(merge.body)).toBe(201);
    expect((await operator().post(`/v1/merges/${merge.body.id}/undo`)).status).toBe(200);
    const again = await operator().post('/v1/merges', { primaryId: primary, duplicateIds: [duplicate] });
    expect(again.status).toBe(201);
    kept.push(primary);
    gone.push(duplicate);
    expect((await operator().post(`/v1/contacts/${kept[0]}/block`)).status).toBe(200);

    const waiting = await health();
    expect(waiting.status).toBe('ok');
    expect(waiting.stream.lagRecords).toBeGreaterThan(0);

    stack.poller.release();
    await stack.drain(120_000);

    expect(await health()).toEqual({ status: 'ok', stream: { lagRecords: 0, failedRecords: 0 } });
    expect(stack.poller.stats.failures).toBe(0);
    expect(stack.poller.stats.givenUp).toBe(0);

    // The base of today equals what the listing shows.
    const listed = await listedContacts();
    expect(listed).toBe(kept.length);
    const panel = await operator().get('/v1/analytics/contacts');
    expect(panel.status).toBe(200);
    expect(panel.body.interactions.contactBase.value).toBe(listed);

    // Engagement counters of every contact left, in the base or in the bin, equal their recomputation from the stored history.
    const check = engagementCheck(stack, TZ);
    for (const id of [...kept, ...binned]) {
      const { stored, expected } = await check.counters(id);
      expect(stored, id).toEqual(expected);
    }
    check.close();

    // Reached contacts over the events' days: contacts left with a broadcast message that was sent.
    const items = await scan();
    const profiles = new Set(items.filter((i) => i.sk === 'P#PROFILE' && i.type === 'contact').map((i) => contactIdFromPk(i.pk)));
    expect(profiles).toEqual(new Set(kept));
    // A contact's activity state lives in its analytics lane.
    const stateOf = (id: string) => items.find((i) => i.pk === analyticsStateKey(id).pk && i.sk === analyticsStateKey(id).sk);
    const reached = new Set(items.filter((i) => i.type === 'message' && i.broadcast === true && i.stages?.sent && profiles.has(i.contactId)).map((i) => i.contactId));
    // The default period (the last 30 days) holds every event planned over the last 20.
    expect(panel.body.interactions.reachedContacts.value).toBe(reached.size);

    // A binned contact is out of the base, keeps its items for a restore, and its state never expires.
    for (const id of binned) {
      const left = items.filter((i) => i.pk === `CONTACT#${id}`);
      expect(left.find((i) => i.sk === 'P#PROFILE')?.type, id).toBe('binnedContact');
      const state = stateOf(id);
      expect(state?.inBase, id).toBe(false);
      expect(state?.binned, id).toBe(true);
      expect(state?.expiresAt, id).toBeUndefined();
    }

    // What stays of a purged or merged-away contact is derived only, zeroed, and expiring.
    for (const id of gone) {
      const left = items.filter((i) => i.pk === `CONTACT#${id}`);
      for (const item of left.filter((i) => i.sk.startsWith('P#ENG'))) {
        const counters = Object.entries(item).filter(([name, value]) => typeof value === 'number' && name !== 'expiresAt');
        expect(counters.every(([, value]) => value === 0), `${id} ${item.sk}`).toBe(true);
        expect(item.expiresAt, `${id} ${item.sk}`).toBeGreaterThan(Date.now() / 1000);
      }
      const state = stateOf(id);
      expect(state?.inBase, id).toBe(false);
      if (id !== duplicate) expect(state?.expiresAt, id).toBeGreaterThan(Date.now() / 1000);
      expect(left.filter((i) => !i.sk.startsWith('P#ENG') && i.sk !== 'S#ANALYTICS' && i.sk !== 'A#MERGED').map((i) => i.sk), id).toEqual([]);
    }
    // A merged-away duplicate keeps its state (an undo may bring it back), without expiry.
    expect(stateOf(duplicate)?.expiresAt).toBeUndefined();
  });
});
