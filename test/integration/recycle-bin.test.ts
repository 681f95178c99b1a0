import { describe, expect, it } from 'vitest';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { analyticsStateKey, contactPk, mergeLockKey } from '../../functions/data/keys.js';
import { canonical, queryRaw, type RawItem } from '../../functions/data/raw-item.js';
import { resetConfig } from '../../functions/lib/config.js';
import { runReconcile, type ReconcileResult } from '../../functions/reconcile/reconcile.js';
import { useLocalStack, usersOf } from '../support/api-suite.js';
import { rawClient } from '../support/raw-client.js';
import { DAY, ago, contactBody, createApiKey, createContact, createContacts, expectFieldErrors, uniqueId as uid } from '../support/factories.js';

/**
 * Issue 17, item 1: the recycle bin (API.md "Recycle bin", "Jobs"). A
 * delete moves a contact to the bin, where it answers 404 everywhere and
 * counts nowhere; an admin restores it exactly as it was, or purges it; a
 * schedule purges those whose `recycleDays` are over.
 */
const stack = useLocalStack();
const { admin, operator, agent } = usersOf(stack);

const sendEvents = async (key: string, events: unknown[]) => {
  const r = await stack.api.call('POST', '/v1/events', { body: { events }, headers: { 'x-api-key': key } });
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  expect(r.body.rejected).toEqual([]);
};
const message = (contactId: string, stages: string[], broadcast = true) => {
  const messageId = uid('msg');
  return stages.map((status, i) => ({ id: uid('evt'), type: 'message.status', at: ago(2 * DAY - i * 60_000), messageId, channel: 'whatsapp', status, broadcast, contactId }));
};

async function named(kind: 'lists' | 'tags', name = uid(kind)) {
  const r = await operator().post(`/v1/${kind}`, { name });
  expect(r.status).toBe(201);
  return r.body.id as string;
}
const listCount = async (id: string) => (await agent().get(`/v1/lists/${id}`)).body.memberCount as number;
const tagCount = async (id: string) => (await agent().get(`/v1/tags/${id}`)).body.contactCount as number;
const base = async () => (await operator().get('/v1/analytics/contacts')).body.interactions.contactBase.value as number;

/** Every item of the contact's collection as stored, by sort key (the analytics state aside: its base history moves by design; and its activity entries, which gain `deleted` and `restored`). */
async function collection(id: string): Promise<Map<string, string>> {
  const items = await queryRaw(contactPk(id), '');
  return new Map(items.filter((item) => item.sk.S !== 'S#ANALYTICS' && !item.sk.S!.startsWith('T#')).map((item: RawItem) => [item.sk.S!, canonical(item)]));
}

async function waitForJob(id: string) {
  for (let attempt = 0; attempt < 60; attempt++) {
    await stack.idleJobs();
    const job = (await admin().get(`/v1/jobs/${id}`)).body;
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    await stack.runSchedule('resume-jobs');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`job ${id} did not finish`);
}

describe('DELETE /v1/contacts/{id} and GET /v1/recycle-bin', () => {
  it('moves the contact to the bin, listed most recently deleted first with who deleted it and when it will be purged', async () => {
    const [a, b] = [await createContact(operator(), contactBody({ firstName: 'Ãngela', lastName: 'Binário' })), await createContact(operator())];
    expect((await operator().delete(`/v1/contacts/${a.id}`)).status).toBe(204);
    expect((await operator().delete(`/v1/contacts/${b.id}`)).status).toBe(204);
    const page = await operator().get('/v1/recycle-bin?limit=100');
    expect(page.status).toBe(200);
    const ids = page.body.items.map((c: { id: string }) => c.id);
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
    const listed = page.body.items.find((c: { id: string }) => c.id === a.id);
    expect(listed).toEqual({
      id: a.id,
      firstName: 'Ãngela',
      lastName: 'Binário',
      phone: a.phone,
      email: a.email,
      deletedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      deletedBy: { sub: 'otto', name: expect.any(String) },
      purgeAt: expect.any(String),
    });
    expect(Date.parse(listed.purgeAt) - Date.parse(listed.deletedAt)).toBe(30 * DAY);

    // q as contact search reads it: a name prefix (accents and case aside), a phone in any format, an email.
    for (const q of ['angela', 'BINA', a.phone!.replace('+55', ''), a.email!.toUpperCase()]) {
      const found = await operator().get(`/v1/recycle-bin?q=${encodeURIComponent(q)}`);
      expect(found.body.items.map((c: { id: string }) => c.id), q).toEqual([a.id]);
    }
    expect((await operator().get('/v1/recycle-bin?q=nobody-like-this')).body).toEqual({ items: [], cursor: null });
  });

  it('answers 409 while a merge or undo holds the contact, and changes nothing', async () => {
    const contact = await createContact(operator());
    const raw = rawClient(stack.dynamoEndpoint);
    try {
      await raw.send(new PutCommand({ TableName: stack.tableName, Item: { ...mergeLockKey(contact.id), mergeId: 'planted' } }));
      expect((await operator().delete(`/v1/contacts/${contact.id}`)).status).toBe(409);
      const job = await operator().post('/v1/jobs', { type: 'delete-contacts', contactIds: [contact.id] });
      expect(await waitForJob(job.body.id)).toMatchObject({ status: 'succeeded', processed: 0, failed: 1 });
      expect((await agent().get(`/v1/contacts/${contact.id}`)).status).toBe(200);
      await raw.send(new DeleteCommand({ TableName: stack.tableName, Key: mergeLockKey(contact.id) }));
    } finally {
      raw.destroy();
    }
    expect((await operator().delete(`/v1/contacts/${contact.id}`)).status).toBe(204);
  });

  it('pages with a cursor', async () => {
    const ids = await createContacts(operator(), 5);
    for (const id of ids) expect((await operator().delete(`/v1/contacts/${id}`)).status).toBe(204);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: { id: string }[]; cursor: string | null } } = await operator().get(`/v1/recycle-bin?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((c) => c.id));
      cursor = page.body.cursor;
    } while (cursor);
    expect(seen.slice(0, 5)).toEqual([...ids].reverse());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('answers 404 for the contact everywhere, and it leaves every listing, search, count and the duplicates view', async () => {
    const listId = await named('lists');
    const tagId = await named('tags');
    const twin = await createContact(operator());
    const gone = await createContact(operator(), contactBody({ phone: twin.phone, firstName: 'Zebedeu' }));
    expect((await operator().put(`/v1/contacts/${gone.id}/lists/${listId}`)).status).toBe(204);
    expect((await operator().post(`/v1/contacts/${gone.id}/tags`, { name: (await agent().get(`/v1/tags/${tagId}`)).body.name })).status).toBe(200);
    await stack.drain();
    const key = `phone:${twin.phone}`;
    expect((await agent().get('/v1/merge-suggestions?limit=100')).body.items.map((s: { key: string }) => s.key)).toContain(key);
    const baseBefore = await base();

    expect((await operator().delete(`/v1/contacts/${gone.id}`)).status).toBe(204);
    await stack.drain();

    expect((await agent().get(`/v1/contacts/${gone.id}`)).status).toBe(404);
    expect((await operator().patch(`/v1/contacts/${gone.id}`, { firstName: 'Back' })).status).toBe(404);
    expect((await operator().delete(`/v1/contacts/${gone.id}`)).status).toBe(404);
    expect((await operator().post(`/v1/contacts/${gone.id}/block`)).status).toBe(404);
    expect((await operator().put(`/v1/contacts/${gone.id}/lists/${listId}`)).status).toBe(404);
    expect((await operator().post(`/v1/contacts/${gone.id}/tags`, { name: 'Again' })).status).toBe(404);
    expect((await operator().post(`/v1/contacts/${gone.id}/channels/sms/subscribe`)).status).toBe(404);
    expect((await operator().post(`/v1/contacts/${gone.id}/messages`, { channel: 'sms', text: 'hi' })).status).toBe(404);
    expect((await agent().get(`/v1/contacts/${gone.id}/merge-suggestions`)).status).toBe(404);
    expect((await operator().post('/v1/merges', { primaryId: twin.id, duplicateIds: [gone.id] })).status).toBe(400);
    for (const q of [gone.phone, gone.email, 'Zebedeu']) {
      expect((await agent().get(`/v1/contacts?q=${encodeURIComponent(q!)}`)).body.items.map((c: { id: string }) => c.id), q!).not.toContain(gone.id);
    }
    expect((await agent().get('/v1/contacts?limit=100')).body.items.map((c: { id: string }) => c.id)).not.toContain(gone.id);
    expect((await agent().get(`/v1/lists/${listId}/contacts`)).body.items).toEqual([]);
    expect(await listCount(listId)).toBe(0);
    expect(await tagCount(tagId)).toBe(0);
    expect((await agent().get(`/v1/contacts?tag=${tagId}`)).body.items).toEqual([]);
    expect((await agent().get('/v1/merge-suggestions?limit=100')).body.items.map((s: { key: string }) => s.key)).not.toContain(key);
    expect(await base()).toBe(baseBefore - 1);
    // Nor does an event find it, by id or by phone.
    const key2 = await createApiKey(admin(), 'bin events');
    const [byId] = message(gone.id, ['sent']);
    const { contactId: _id, ...byEmail } = { ...message(gone.id, ['sent'])[0], email: gone.email };
    const r = await stack.api.call('POST', '/v1/events', { body: { events: [byId, byEmail] }, headers: { 'x-api-key': key2 } });
    expect(r.status).toBe(202);
    expect(r.body.accepted).toBe(0);
  });
});

describe('POST /v1/recycle-bin/{id}/restore', () => {
  it('brings the contact back exactly as it was, after the stream processed the delete: items, counts and the analytics base', async () => {
    const key = await createApiKey(admin(), 'restore events');
    const company = await operator().post('/v1/companies', { name: uid('Acme') });
    const agentEntry = await admin().post('/v1/agents', { name: 'Bia', kind: 'agent' });
    expect(agentEntry.status).toBe(201);
    await admin().post('/v1/custom-fields', { name: 'Plano', key: 'plan', type: 'text' });
    const listId = await named('lists');
    const tagName = uid('VIP');
    const contact = await createContact(
      operator(),
      contactBody({
        lastName: 'Restaurada',
        customFields: { plan: 'Pro', free: 'x' },
        channels: { sms: 'subscribed', email: 'unsubscribed' },
        companyId: company.body.id,
        assignee: { type: 'agent', id: agentEntry.body.id },
      }),
    );
    expect((await operator().put(`/v1/contacts/${contact.id}/lists/${listId}`)).status).toBe(204);
    const tag = await operator().post(`/v1/contacts/${contact.id}/tags`, { name: tagName });
    expect((await operator().post(`/v1/contacts/${contact.id}/block`)).status).toBe(200);
    await sendEvents(key, [...message(contact.id, ['sent', 'delivered', 'read']), ...message(contact.id, ['sent', 'delivered'])]);
    expect((await operator().post(`/v1/contacts/${contact.id}/messages`, { channel: 'sms', text: 'Oi' })).status).toBe(202);
    await stack.drain();
    await stack.drain();
    const profile = (await agent().get(`/v1/contacts/${contact.id}`)).body;
    expect(profile.engagement.dispatched.total).toBe(2);
    const items = await collection(contact.id);
    const [lists, tags, baseBefore] = [await listCount(listId), await tagCount(tag.body.id), await base()];

    expect((await operator().delete(`/v1/contacts/${contact.id}`)).status).toBe(204);
    await stack.drain();
    await stack.drain();
    expect([await listCount(listId), await tagCount(tag.body.id), await base()]).toEqual([lists - 1, tags - 1, baseBefore - 1]);
    expect((await agent().get(`/v1/contacts?blocked=true&limit=100`)).body.items.map((c: { id: string }) => c.id)).not.toContain(contact.id);
    expect((await agent().get(`/v1/contacts?assignee=agent:${agentEntry.body.id}`)).body.items).toEqual([]);

    // Operators see the bin but restoring is an admin's.
    expect((await operator().post(`/v1/recycle-bin/${contact.id}/restore`)).status).toBe(403);
    const restored = await admin().post(`/v1/recycle-bin/${contact.id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body).toEqual(profile);
    await stack.drain();
    await stack.drain();
    expect(await collection(contact.id)).toEqual(items);
    expect((await agent().get(`/v1/contacts/${contact.id}`)).body).toEqual(profile);
    expect([await listCount(listId), await tagCount(tag.body.id), await base()]).toEqual([lists, tags, baseBefore]);
    expect((await agent().get(`/v1/contacts?blocked=true&limit=100`)).body.items.map((c: { id: string }) => c.id)).toContain(contact.id);
    expect((await agent().get(`/v1/contacts?assignee=agent:${agentEntry.body.id}`)).body.items.map((c: { id: string }) => c.id)).toEqual([contact.id]);
    expect((await operator().get('/v1/recycle-bin?limit=100')).body.items.map((c: { id: string }) => c.id)).not.toContain(contact.id);
    expect((await admin().post(`/v1/recycle-bin/${contact.id}/restore`)).status).toBe(404);
  });

  it('moves a contact with more memberships than one transaction holds, both ways, with every count exact', async () => {
    const contact = await createContact(operator());
    const names = Array.from({ length: 60 }, () => uid('many'));
    const tagIds: string[] = [];
    for (const name of names) tagIds.push((await operator().post(`/v1/contacts/${contact.id}/tags`, { name })).body.id);
    const counts = async () => Promise.all(tagIds.map(tagCount));
    expect(await counts()).toEqual(tagIds.map(() => 1));
    const items = await collection(contact.id);
    expect((await operator().delete(`/v1/contacts/${contact.id}`)).status).toBe(204);
    expect(await counts()).toEqual(tagIds.map(() => 0));
    // A tag deleted while the contact is in the bin is not brought back.
    expect((await admin().delete(`/v1/tags/${tagIds[0]}`)).status).toBe(204);
    await stack.idleJobs();
    expect((await admin().post(`/v1/recycle-bin/${contact.id}/restore`)).status).toBe(200);
    expect(await Promise.all(tagIds.slice(1).map(tagCount))).toEqual(tagIds.slice(1).map(() => 1));
    const profileTags = (await agent().get(`/v1/contacts/${contact.id}`)).body.tags.map((t: { id: string }) => t.id);
    expect(profileTags.sort()).toEqual(tagIds.slice(1).sort());
    items.delete(`P#TAG#${tagIds[0]}`);
    expect(await collection(contact.id)).toEqual(items);
  });

  it('restores a merge primary, whose merge can still be undone afterwards', async () => {
    const primary = await createContact(operator());
    const duplicate = await createContact(operator(), contactBody({ phone: primary.phone, lastName: 'Dup' }));
    const merge = await operator().post('/v1/merges', { primaryId: primary.id, duplicateIds: [duplicate.id] });
    expect(merge.status).toBe(201);
    await stack.drain();
    expect((await operator().delete(`/v1/contacts/${primary.id}`)).status).toBe(204);
    await stack.drain();
    expect((await operator().post(`/v1/merges/${merge.body.id}/undo`)).status).toBe(409);
    expect((await admin().post(`/v1/recycle-bin/${primary.id}/restore`)).status).toBe(200);
    await stack.drain();
    const undone = await operator().post(`/v1/merges/${merge.body.id}/undo`);
    expect(undone.status, JSON.stringify(undone.body)).toBe(200);
    expect((await agent().get(`/v1/contacts/${duplicate.id}`)).body).toMatchObject({ id: duplicate.id, lastName: 'Dup', phone: primary.phone });
    expect((await agent().get(`/v1/contacts/${primary.id}`)).body.lastName).toBeNull();
  });

  it('restores a contact whose phone another contact holds now; the duplicates view shows both', async () => {
    const first = await createContact(operator());
    expect((await operator().delete(`/v1/contacts/${first.id}`)).status).toBe(204);
    const second = await createContact(operator(), contactBody({ phone: first.phone }));
    expect((await admin().post(`/v1/recycle-bin/${first.id}/restore`)).status).toBe(200);
    await stack.drain();
    const byPhone = (await agent().get(`/v1/contacts?q=${encodeURIComponent(first.phone!)}`)).body.items.map((c: { id: string }) => c.id);
    expect(byPhone.sort()).toEqual([first.id, second.id].sort());
    const suggestion = (await agent().get('/v1/merge-suggestions?limit=100')).body.items.find((s: { key: string }) => s.key === `phone:${first.phone}`);
    expect(suggestion.contacts.map((c: { id: string }) => c.id).sort()).toEqual([first.id, second.id].sort());
  });
});

describe('bulk delete and restore-contacts jobs', () => {
  it('a delete job bins the contacts; a restore job brings them back with their counts', async () => {
    const listId = await named('lists');
    const ids = await createContacts(operator(), 6);
    for (const id of ids) expect((await operator().put(`/v1/contacts/${id}/lists/${listId}`)).status).toBe(204);
    const deleted = await operator().post('/v1/jobs', { type: 'delete-contacts', contactIds: ids });
    expect(deleted.status).toBe(202);
    expect(await waitForJob(deleted.body.id)).toMatchObject({ status: 'succeeded', processed: 6 });
    expect(await listCount(listId)).toBe(0);
    const binned = (await operator().get('/v1/recycle-bin?limit=100')).body.items.map((c: { id: string }) => c.id);
    expect(binned).toEqual(expect.arrayContaining(ids));

    expect((await operator().post('/v1/jobs', { type: 'restore-contacts', contactIds: ids.slice(0, 2) })).status).toBe(403);
    expectFieldErrors(await admin().post('/v1/jobs', { type: 'restore-contacts' }), { contactIds: 'give contactIds or all: true' });
    expectFieldErrors(await admin().post('/v1/jobs', { type: 'restore-contacts', filter: { tag: 'x' } }), { filter: 'unknown field' });
    expectFieldErrors(await admin().post('/v1/jobs', { type: 'restore-contacts', contactIds: [] }), { contactIds: 'must be a non-empty array of contact ids' });

    const some = await admin().post('/v1/jobs', { type: 'restore-contacts', contactIds: ids.slice(0, 2) });
    expect(some.status).toBe(202);
    expect(await waitForJob(some.body.id)).toMatchObject({ type: 'restore-contacts', status: 'succeeded', processed: 2, total: 2 });
    expect(await listCount(listId)).toBe(2);
    const all = await admin().post('/v1/jobs', { type: 'restore-contacts', all: true });
    expect(all.status).toBe(202);
    const job = await waitForJob(all.body.id);
    expect(job.status).toBe('succeeded');
    expect(await listCount(listId)).toBe(6);
    expect((await operator().get('/v1/recycle-bin')).body.items).toEqual([]);
    for (const id of ids) expect((await agent().get(`/v1/contacts/${id}`)).status).toBe(200);
  });
});

describe('purging', () => {
  it('DELETE /v1/recycle-bin/{id} purges now (admin), 404 for ids not in the bin', async () => {
    const listId = await named('lists');
    const contact = await createContact(operator());
    expect((await operator().put(`/v1/contacts/${contact.id}/lists/${listId}`)).status).toBe(204);
    expect((await admin().delete(`/v1/recycle-bin/${contact.id}`)).status).toBe(404);
    expect((await operator().delete(`/v1/contacts/${contact.id}`)).status).toBe(204);
    expect((await operator().delete(`/v1/recycle-bin/${contact.id}`)).status).toBe(403);
    expect((await admin().delete(`/v1/recycle-bin/${contact.id}`)).status).toBe(204);
    expect([...(await collection(contact.id)).keys()].filter((sk) => !sk.startsWith('P#ENG'))).toEqual([]);
    expect(await listCount(listId)).toBe(0);
    expect((await admin().delete(`/v1/recycle-bin/${contact.id}`)).status).toBe(404);
    expect((await admin().post(`/v1/recycle-bin/${contact.id}/restore`)).status).toBe(404);
    expect((await operator().get('/v1/recycle-bin?limit=100')).body.items.map((c: { id: string }) => c.id)).not.toContain(contact.id);
  });

  it('the schedule purges only the contacts whose recycleDays are over', async () => {
    const [longer, shorter] = await createContacts(operator(), 2);
    expect((await operator().delete(`/v1/contacts/${longer}`)).status).toBe(204);
    process.env.RECYCLE_DAYS = '2';
    resetConfig();
    try {
      expect((await operator().delete(`/v1/contacts/${shorter}`)).status).toBe(204);
    } finally {
      process.env.RECYCLE_DAYS = '30';
      resetConfig();
    }
    const inBin = async () => (await operator().get('/v1/recycle-bin?limit=100')).body.items.map((c: { id: string }) => c.id);
    const at = (days: number) => new Date(Date.now() + days * DAY).toISOString();
    await stack.runSchedule('purge-recycle-bin', { time: at(1) });
    expect(await inBin()).toEqual(expect.arrayContaining([longer, shorter]));
    expect(await stack.runSchedule('purge-recycle-bin', { time: at(3) })).toMatchObject({ purged: 1 });
    expect(await inBin()).toContain(longer);
    expect(await inBin()).not.toContain(shorter);
    expect((await admin().post(`/v1/recycle-bin/${shorter}/restore`)).status).toBe(404);
    expect(await stack.runSchedule('purge-recycle-bin', { time: at(31) })).toMatchObject({ purged: expect.any(Number) });
    expect(await inBin()).not.toContain(longer);
  });
});

describe('roles and input', () => {
  it('lists the bin for operators and admins only', async () => {
    expect((await agent().get('/v1/recycle-bin')).status).toBe(403);
    expect((await operator().get('/v1/recycle-bin')).status).toBe(200);
    expect((await admin().get('/v1/recycle-bin')).status).toBe(200);
    expect((await agent().post('/v1/recycle-bin/x/restore')).status).toBe(403);
    expect((await agent().delete('/v1/recycle-bin/x')).status).toBe(403);
    expect((await admin().post('/v1/recycle-bin/nosuchcontact/restore')).status).toBe(404);
  });

  it('answers field errors for bad paging and search', async () => {
    expectFieldErrors(await operator().get('/v1/recycle-bin?limit=0'), { limit: 'must be a whole number from 1 to 100' });
    expectFieldErrors(await operator().get('/v1/recycle-bin?cursor=forged'), { cursor: 'is not a valid cursor' });
    expectFieldErrors(await operator().get(`/v1/recycle-bin?q=${'x'.repeat(201)}`), { q: 'must be at most 200 characters' });
  });
});

describe('derived numbers', () => {
  it('reconciliation finds nothing to repair around contacts in the bin, restored and purged, and a binned contact keeps its analytics state', async () => {
    const kept = await createContact(operator());
    await sendEvents(await createApiKey(admin(), 'reconcile events'), message(kept.id, ['sent', 'delivered']));
    await stack.drain();
    expect((await operator().delete(`/v1/contacts/${kept.id}`)).status).toBe(204);
    await stack.drain();
    await stack.drain();
    const state = (await queryRaw(analyticsStateKey(kept.id).pk, analyticsStateKey(kept.id).sk))[0];
    expect(state.binned?.BOOL).toBe(true);
    expect(state.inBase?.BOOL).toBe(false);
    expect(state.expiresAt).toBeUndefined();
    // Watermark times are whole seconds: let the stream's last writes fall before the run starts.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const result = (await runReconcile({ settleMs: 300, clockSkewMs: 0 })) as ReconcileResult & { summary?: { repaired: unknown; unsettled: unknown } };
    expect(result.status).toBe('finished');
    expect(result.summary?.repaired).toEqual({ engagementCounters: 0, activityStates: 0, aggregates: 0 });
    expect(result.summary?.unsettled).toEqual({ engagementCounters: 0, activityStates: 0, aggregates: 0 });
  });
});
