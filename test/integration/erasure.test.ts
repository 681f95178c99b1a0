import { gunzipSync } from 'node:zlib';
import { DeleteCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mergeLockKey } from '../../functions/data/keys.js';
import { runReconcile, type ReconcileSummary } from '../../functions/reconcile/reconcile.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLocalStack, usersOf } from '../support/api-suite.js';
import { contactBody, createApiKey, createContact, expectFieldErrors, uniqueId, type UserClient } from '../support/factories.js';
import { rawClient } from '../support/raw-client.js';

/** API.md "Erasure and suppression": an erased person leaves no trace in the table, and their phone and email cannot come back. */
const stack = useLocalStack();
const { admin, operator, agent } = usersOf(stack);

let apiKey: string;
beforeAll(async () => {
  apiKey = await createApiKey(admin());
});

const sendEvents = (events: Record<string, unknown>[]) => stack.api.call('POST', '/v1/events', { body: { events }, headers: { 'x-api-key': apiKey } });

let client: ReturnType<typeof rawClient> | undefined;
afterAll(() => client?.destroy());

/** Every item of the table as text: attributes as JSON, and binary ones (merge snapshots are gzipped) unpacked. */
async function tableText(): Promise<string[]> {
  client ??= rawClient(stack.dynamoEndpoint);
  const texts: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: stack.tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      texts.push(
        JSON.stringify(item, (_key, value) => {
          if (value instanceof Uint8Array) {
            try {
              return gunzipSync(value).toString('utf8');
            } catch {
              return Buffer.from(value).toString('utf8');
            }
          }
          return value instanceof Set ? [...value] : value;
        }),
      );
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return texts;
}

/** The items whose text holds any of `needles` (case-insensitive), as `needle in item` lines. */
async function itemsHolding(needles: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const text of await tableText()) {
    const lower = text.toLowerCase();
    for (const needle of needles) if (lower.includes(needle.toLowerCase())) found.push(`${needle} in ${text.slice(0, 300)}`);
  }
  return found;
}

/** A person with every kind of data: names, phone, email, list, tag, channels, a dispatch text, message and conversation events. */
async function aPerson(as: UserClient, names: { firstName: string; lastName: string }, listId: string, tagName: string) {
  const body = contactBody({ ...names, lastName: `Formerly${names.lastName}`, channels: { sms: 'subscribed', email: 'subscribed' } });
  const created = await createContact(as, body);
  // An edit, so that whatever records changes (their old and new values) holds the person's name too.
  const edited = await as.patch(`/v1/contacts/${created.id}`, { lastName: names.lastName });
  expect(edited.status).toBe(200);
  const contact = { ...created, lastName: names.lastName };
  expect((await as.put(`/v1/contacts/${contact.id}/lists/${listId}`)).status).toBe(204);
  expect((await as.post(`/v1/contacts/${contact.id}/tags`, { name: tagName })).status).toBe(200);
  const text = `Dear ${names.firstName} ${names.lastName}, your order is ready`;
  expect((await as.post(`/v1/contacts/${contact.id}/messages`, { channel: 'sms', text })).status).toBe(202);
  const at = new Date(Date.now() - 3_600_000).toISOString();
  const conversationId = uniqueId('conv');
  const accepted = await sendEvents([
    { id: uniqueId('ev'), type: 'message.status', phone: contact.phone, messageId: uniqueId('msg'), channel: 'sms', status: 'delivered', broadcast: true, at },
    { id: uniqueId('ev'), type: 'conversation.status', contactId: contact.id, conversationId, kind: 'sales', status: 'open', at },
    { id: uniqueId('ev'), type: 'conversation.message', email: contact.email, conversationId, from: 'contact', text: `It is ${names.firstName}, thanks!`, at },
  ]);
  expect(accepted.body, JSON.stringify(accepted.body)).toMatchObject({ accepted: 3, rejected: [] });
  return { contact, body, needles: [names.firstName, names.lastName, String(contact.phone), String(contact.email), String(body.phone), text] };
}

const panelBase = async () => (await operator().get('/v1/analytics/contacts')).body.interactions.contactBase.value as number;
const listCount = async (id: string) => (await agent().get(`/v1/lists/${id}`)).body.memberCount as number;
const tagCount = async (name: string) => ((await agent().get('/v1/tags?limit=100')).body.items as { name: string; contactCount: number }[]).find((t) => t.name === name)?.contactCount;

describe('POST /v1/contacts/{id}/erase', { timeout: 180_000 }, () => {
  it('removes every item holding the person (their merged duplicate included), suppresses their values, and counts drop as for a delete', async () => {
    const list = (await operator().post('/v1/lists', { name: uniqueId('Erasure list') })).body;
    const tagName = uniqueId('erasure-tag');
    const person = await aPerson(operator(), { firstName: 'Zephyrine', lastName: 'Quillbottom' }, list.id, tagName);
    const duplicate = await aPerson(operator(), { firstName: 'Ottoline', lastName: 'Brackenfurt' }, list.id, tagName);
    const bystander = await aPerson(operator(), { firstName: 'Bartholomew', lastName: 'Stays' }, list.id, tagName);
    const merge = await operator().post('/v1/merges', { primaryId: person.contact.id, duplicateIds: [duplicate.contact.id] });
    expect(merge.status, JSON.stringify(merge.body)).toBe(201);
    await stack.drain();
    expect(await listCount(list.id)).toBe(2);
    expect(await tagCount(tagName)).toBe(2);
    const baseBefore = await panelBase();

    // A duplicate merged away is no contact of its own: the person is erased through the contact it was merged into.
    expect((await admin().post(`/v1/contacts/${duplicate.contact.id}/erase`)).status).toBe(404);
    const erased = await admin().post(`/v1/contacts/${person.contact.id}/erase`, { reason: 'GDPR request #41' });
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(erased.body).toEqual({ erasedAt: expect.any(String), suppressions: expect.any(Array) });
    expect(erased.body.suppressions.map((s: { kind: string }) => s.kind).sort()).toEqual(['email', 'email', 'phone', 'phone']);
    await stack.drain();

    expect(await itemsHolding([...person.needles, ...duplicate.needles])).toEqual([]);
    // The bystander, who shared a list, a tag and nothing else, keeps everything.
    expect((await itemsHolding(bystander.needles.slice(0, 4))).length).toBeGreaterThan(0);
    expect((await agent().get(`/v1/contacts/${bystander.contact.id}`)).status).toBe(200);

    for (const id of [person.contact.id, duplicate.contact.id]) expect((await agent().get(`/v1/contacts/${id}`)).status).toBe(404);
    expect((await admin().post(`/v1/contacts/${person.contact.id}/erase`)).status).toBe(404);
    expect(await listCount(list.id)).toBe(1);
    expect(await tagCount(tagName)).toBe(1);
    expect(await panelBase()).toBe(baseBefore - 1);
    const listed = (await agent().get(`/v1/contacts?q=Zephyrine`)).body.items;
    expect(listed).toEqual([]);

    // The merge stays in the history, by ids alone; it can no longer be undone.
    const history = (await admin().get('/v1/merges?limit=100')).body.items.find((m: { id: string }) => m.id === merge.body.id);
    expect(history).toMatchObject({ primaryId: person.contact.id, duplicateIds: [duplicate.contact.id], primary: { name: '' }, duplicates: [{ name: '' }], undoable: false });
    expect((await admin().post(`/v1/merges/${merge.body.id}/undo`)).status).toBe(409);

    // Both people's phones and emails are suppressed (the duplicate was merged in as the same person).
    for (const value of [person.contact.phone, person.contact.email, duplicate.contact.phone, duplicate.contact.email]) {
      const found = await admin().get(`/v1/suppressions?value=${encodeURIComponent(String(value))}`);
      expect(found.body.items, String(value)).toHaveLength(1);
      expect(found.body.items[0]).toMatchObject({ by: 'ana', reason: 'GDPR request #41' });
    }
  });

  it('erases a contact that was the duplicate of an undone merge, leaving the other contact whole', async () => {
    const list = (await operator().post('/v1/lists', { name: uniqueId('Undo list') })).body;
    const tagName = uniqueId('undo-tag');
    const person = await aPerson(operator(), { firstName: 'Philomena', lastName: 'Undoneworth' }, list.id, tagName);
    const primary = await aPerson(operator(), { firstName: 'Cornelius', lastName: 'Keepsake' }, list.id, tagName);
    // The primary has no email: the merge fills it with the person's, and the undo takes it back.
    expect((await operator().patch(`/v1/contacts/${primary.contact.id}`, { email: null })).status).toBe(200);
    primary.contact.email = null;
    const merge = await operator().post('/v1/merges', { primaryId: primary.contact.id, duplicateIds: [person.contact.id] });
    expect(merge.status).toBe(201);
    expect(merge.body.filled).toContain('email');
    expect((await operator().post(`/v1/merges/${merge.body.id}/undo`)).status).toBe(200);
    await stack.drain();

    const erased = await admin().post(`/v1/contacts/${person.contact.id}/erase`);
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    await stack.drain();
    expect(await itemsHolding(person.needles)).toEqual([]);
    const kept = (await agent().get(`/v1/contacts/${primary.contact.id}`)).body;
    expect(kept).toMatchObject({ firstName: 'Cornelius', lastName: 'Keepsake', phone: primary.contact.phone });
    expect(kept.email ?? null).toBeNull();
    expect(await listCount(list.id)).toBe(1);
    const history = (await admin().get('/v1/merges?limit=100')).body.items.find((m: { id: string }) => m.id === merge.body.id);
    expect(history).toMatchObject({ primary: { id: primary.contact.id, name: 'Cornelius Keepsake' }, duplicates: [{ id: person.contact.id, name: '' }], status: 'undone' });
  });

  it('erases a contact in the recycle bin', async () => {
    const list = (await operator().post('/v1/lists', { name: uniqueId('Bin list') })).body;
    const tagName = uniqueId('bin-tag');
    const person = await aPerson(operator(), { firstName: 'Binsworth', lastName: 'Trashcombe' }, list.id, tagName);
    expect((await operator().delete(`/v1/contacts/${person.contact.id}`)).status).toBe(204);
    await stack.drain();
    expect(await listCount(list.id)).toBe(0);
    const baseBefore = await panelBase();

    const erased = await admin().post(`/v1/contacts/${person.contact.id}/erase`);
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    await stack.drain();
    expect(await itemsHolding(person.needles)).toEqual([]);
    expect((await admin().get(`/v1/recycle-bin?q=Binsworth`)).body.items).toEqual([]);
    expect((await admin().post(`/v1/recycle-bin/${person.contact.id}/restore`)).status).toBe(404);
    expect(await listCount(list.id)).toBe(0);
    expect(await panelBase()).toBe(baseBefore);
  });

  it('leaves a duplicate suggestion key another contact shares, and the suggestion goes with the erased contact', async () => {
    const shared = contactBody();
    const person = await createContact(operator(), contactBody({ firstName: 'Evangeline', lastName: 'Sharesmail', email: shared.email }));
    const other = await createContact(operator(), contactBody({ firstName: 'Otherwise', email: shared.email }));
    await stack.drain();
    const keyOf = (s: { key: string }) => s.key;
    const suggested = async () => ((await agent().get('/v1/merge-suggestions?limit=100')).body.items as { key: string }[]).map(keyOf);
    expect(await suggested()).toContain(`email:${shared.email}`);

    expect((await admin().post(`/v1/contacts/${person.id}/erase`)).status).toBe(200);
    await stack.drain();
    expect(await suggested()).not.toContain(`email:${shared.email}`);
    expect(await itemsHolding(['Evangeline', 'Sharesmail', String(person.phone)])).toEqual([]);
    // The email is the other contact's too: it stays on that contact (and so in the table), but is suppressed.
    expect((await agent().get(`/v1/contacts/${other.id}`)).body.email).toBe(shared.email);
    expect((await operator().post('/v1/contacts', { firstName: 'New', email: shared.email })).status).toBe(409);
  });

  it('answers 409 while a merge involving the contact holds its lock, and erases it once the lock is gone', async () => {
    const contact = await createContact(operator());
    client ??= rawClient(stack.dynamoEndpoint);
    await client.send(new PutCommand({ TableName: stack.tableName, Item: { ...mergeLockKey(contact.id), type: 'mergeLock', mergeId: 'running', contactId: contact.id } }));
    const refused = await admin().post(`/v1/contacts/${contact.id}/erase`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('conflict');
    expect((await agent().get(`/v1/contacts/${contact.id}`)).status).toBe(200);
    expect((await admin().get(`/v1/suppressions?value=${encodeURIComponent(String(contact.email))}`)).body.items).toEqual([]);
    await client.send(new DeleteCommand({ TableName: stack.tableName, Key: mergeLockKey(contact.id) }));
    expect((await admin().post(`/v1/contacts/${contact.id}/erase`)).status).toBe(200);
  });

  it('is for admins: operators and agents get 403 and nothing changes', async () => {
    const contact = await createContact(operator());
    for (const as of [operator(), agent()]) {
      const r = await as.post(`/v1/contacts/${contact.id}/erase`, {});
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('forbidden');
    }
    expect((await agent().get(`/v1/contacts/${contact.id}`)).status).toBe(200);
  });

  it('answers field-level 400s for a bad body, and 404 for an unknown contact', async () => {
    const contact = await createContact(operator());
    expectFieldErrors(await admin().post(`/v1/contacts/${contact.id}/erase`, { reason: 5 }), { reason: 'must be text' });
    expectFieldErrors(await admin().post(`/v1/contacts/${contact.id}/erase`, { reason: 'x'.repeat(501) }), { reason: 'must be at most 500 characters' });
    expectFieldErrors(await admin().post(`/v1/contacts/${contact.id}/erase`, { why: 'no' }), { why: 'unknown field' });
    expect((await agent().get(`/v1/contacts/${contact.id}`)).status).toBe(200);
    expect((await admin().post('/v1/contacts/01NOSUCHCONTACT0000000000/erase')).status).toBe(404);
  });
});

describe('a suppressed phone or email', { timeout: 120_000 }, () => {
  /** Erases a fresh contact; its body (phone as typed, email) and the suppressions. */
  async function erasedOne() {
    const body = contactBody();
    const contact = await createContact(operator(), body);
    const erased = await admin().post(`/v1/contacts/${contact.id}/erase`);
    expect(erased.status).toBe(200);
    return { body, contact, suppressions: erased.body.suppressions as { id: string; kind: string }[] };
  }

  it('is refused on create and edit with 409 suppressed, naming the field', async () => {
    const { contact } = await erasedOne();
    const national = String(contact.phone).replace('+55', '').replace(/^(\d{2})(\d{5})(\d{4})$/, '($1) $2-$3');
    const byPhone = await operator().post('/v1/contacts', { firstName: 'Again', phone: national });
    expect(byPhone.status).toBe(409);
    expect(byPhone.body.error).toMatchObject({ code: 'suppressed', fields: { phone: expect.any(String) } });
    const byEmail = await operator().post('/v1/contacts', { firstName: 'Again', email: `  ${String(contact.email).toUpperCase()} ` });
    expect(byEmail.status).toBe(409);
    expect(Object.keys(byEmail.body.error.fields)).toEqual(['email']);
    const both = await operator().post('/v1/contacts', { firstName: 'Again', phone: contact.phone, email: contact.email });
    expect(Object.keys(both.body.error.fields).sort()).toEqual(['email', 'phone']);
    expect((await agent().get(`/v1/contacts?q=${encodeURIComponent(String(contact.email))}`)).body.items).toEqual([]);

    const other = await createContact(operator());
    const patched = await operator().patch(`/v1/contacts/${other.id}`, { phone: contact.phone });
    expect(patched.status).toBe(409);
    expect(patched.body.error).toMatchObject({ code: 'suppressed', fields: { phone: expect.any(String) } });
    expect((await agent().get(`/v1/contacts/${other.id}`)).body.phone).toBe(other.phone);
  });

  it('is a row error `suppressed` in a CSV import; the other rows land', async () => {
    const { contact } = await erasedOne();
    const fresh = contactBody();
    const csv = ['firstName,phone,email', `Again,${contact.phone},`, `Fresh,${fresh.phone},${fresh.email}`, `Mail,,${contact.email}`].join('\n');
    const created = await operator().post('/v1/jobs', { type: 'import-contacts', fileName: 'again.csv', csv });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    await stack.idleJobs();
    const job = (await operator().get(`/v1/jobs/${created.body.id}`)).body;
    expect(job).toMatchObject({ status: 'succeeded', processed: 1, failed: 2 });
    expect(job.errors).toEqual([
      { row: 2, message: 'suppressed', fields: { phone: expect.any(String) } },
      { row: 4, message: 'suppressed', fields: { email: expect.any(String) } },
    ]);
    expect((await agent().get(`/v1/contacts?q=${encodeURIComponent(String(contact.phone))}`)).body.items).toEqual([]);
  });

  it('rejects events naming it by phone or email with reason `suppressed`', async () => {
    const { contact } = await erasedOne();
    const at = new Date(Date.now() - 60_000).toISOString();
    const base = { type: 'message.status', channel: 'sms', status: 'sent', broadcast: false, at };
    const events = [
      { ...base, id: uniqueId('sup'), messageId: uniqueId('m'), phone: contact.phone },
      { ...base, id: uniqueId('sup'), messageId: uniqueId('m'), email: String(contact.email).toUpperCase() },
      { ...base, id: uniqueId('sup'), messageId: uniqueId('m'), contactId: (await createContact(operator())).id },
    ];
    const r = await sendEvents(events);
    expect(r.status).toBe(202);
    expect(r.body).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [
        { id: events[0].id, index: 0, reason: 'suppressed' },
        { id: events[1].id, index: 1, reason: 'suppressed' },
      ],
    });
  });
});

describe('/v1/suppressions', { timeout: 120_000 }, () => {
  it('lists entries without their values, finds one by value, and lifts one so the value can be used again', async () => {
    const body = contactBody();
    const contact = await createContact(operator(), body);
    const erased = await admin().post(`/v1/contacts/${contact.id}/erase`, { reason: 'asked by email' });
    const phoneEntry = erased.body.suppressions.find((s: { kind: string }) => s.kind === 'phone');

    const page = await admin().get('/v1/suppressions?limit=100');
    expect(page.status).toBe(200);
    const entry = page.body.items.find((s: { id: string }) => s.id === phoneEntry.id);
    expect(entry).toEqual({ id: phoneEntry.id, kind: 'phone', createdAt: erased.body.erasedAt, by: 'ana', byName: expect.any(String), reason: 'asked by email' });
    const text = JSON.stringify(page.body);
    for (const value of [contact.phone, contact.email, String(contact.phone).slice(3), body.phone]) expect(text).not.toContain(String(value));

    const byValue = await admin().get(`/v1/suppressions?value=${encodeURIComponent(String(body.phone))}`);
    expect(byValue.body).toEqual({ items: [entry], cursor: null });
    expect((await admin().get(`/v1/suppressions?value=${encodeURIComponent('nobody@nowhere.example')}`)).body).toEqual({ items: [], cursor: null });
    expectFieldErrors(await admin().get('/v1/suppressions?value=not-a-phone'), { value: /./ });
    expectFieldErrors(await admin().get('/v1/suppressions?value=a@b'), { value: /./ });

    expect((await admin().delete(`/v1/suppressions/${phoneEntry.id}`)).status).toBe(204);
    expect((await admin().delete(`/v1/suppressions/${phoneEntry.id}`)).status).toBe(404);
    expect((await admin().get(`/v1/suppressions?value=${encodeURIComponent(String(contact.phone))}`)).body.items).toEqual([]);
    expect((await operator().post('/v1/contacts', { firstName: 'Back', phone: body.phone })).status).toBe(201);
    // The email stays suppressed.
    expect((await operator().post('/v1/contacts', { firstName: 'Back', email: contact.email })).status).toBe(409);
  });

  it('is for admins', async () => {
    for (const as of [operator(), agent()]) {
      expect((await as.get('/v1/suppressions')).status).toBe(403);
      expect((await as.get('/v1/suppressions?value=a@b.example')).status).toBe(403);
      expect((await as.delete('/v1/suppressions/abc')).status).toBe(403);
    }
    expect((await admin().delete('/v1/suppressions/no-such-entry')).status).toBe(404);
  });
});

describe('after the erasures above', { timeout: 120_000 }, () => {
  it('leaves nothing for the scheduled recomputation to repair: every count and aggregate dropped exactly', async () => {
    await stack.drain();
    const result = await runReconcile({ settleMs: 300, clockSkewMs: 0 });
    expect(result.status).toBe('finished');
    const summary = (result as { summary: ReconcileSummary }).summary;
    expect(summary.repaired).toEqual({ engagementCounters: 0, activityStates: 0, aggregates: 0 });
    expect(summary.unsettled).toEqual({ engagementCounters: 0, activityStates: 0, aggregates: 0 });
  });
});
