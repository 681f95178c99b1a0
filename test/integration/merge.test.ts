import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { useLocalStack, usersOf } from '../support/api-suite.js';
import { DAY, ago, createApiKey, createContact, expectFieldErrors, uniqueId as uid } from '../support/factories.js';
import { rawClient } from '../support/raw-client.js';

const stack = useLocalStack();
const { admin, operator, agent } = usersOf(stack);
let apiKey: string;

let phones = 0;
const freshPhone = () => `+55 21 9${String(6100_0000 + ++phones * 53).padStart(8, '0')}`;

function postEvents(events: unknown[]) {
  return stack.api.call('POST', '/v1/events', { body: { events }, headers: { 'x-api-key': apiKey } });
}

/** A message that reached `stages` on WhatsApp two days ago, naming its contact by `ref`. */
function message(ref: Record<string, string>, stages: string[], messageId = uid('msg')) {
  return stages.map((status) => ({ id: uid('evt'), type: 'message.status', at: ago(2 * DAY), messageId, channel: 'whatsapp', status, broadcast: true, ...ref }));
}
const ticket = (ref: Record<string, string>, status: 'open' | 'resolved', conversationId = uid('conv')) => ({
  id: uid('evt'),
  type: 'conversation.status',
  at: ago(DAY),
  conversationId,
  kind: 'support',
  status,
  ...ref,
});

async function send(events: unknown[]) {
  const r = await postEvents(events);
  expect(r.status).toBe(202);
  expect(r.body.rejected).toEqual([]);
}

/** The profile once every stream hop (events -> counters, forwarding -> counters) has run. */
async function profile(id: string) {
  await stack.drain();
  await stack.drain();
  return agent().get(`/v1/contacts/${id}`);
}

const ids = (items: { id: string }[]) => items.map((i) => i.id).sort();
const numbers = (p: { engagement: { dispatched: { total: number } }; tickets: { open: number; resolved: number } }) => ({
  dispatched: p.engagement.dispatched.total,
  open: p.tickets.open,
  resolved: p.tickets.resolved,
});

async function named(kind: 'lists' | 'tags', name: string) {
  const r = kind === 'lists' ? await operator().post('/v1/lists', { name }) : await operator().post('/v1/tags', { name });
  expect(r.status).toBe(201);
  return r.body.id as string;
}
const listCount = async (id: string) => (await agent().get(`/v1/lists/${id}`)).body.memberCount;
const tagCount = async (id: string) => {
  const r = await agent().get('/v1/tags?limit=100');
  return r.body.items.find((t: { id: string }) => t.id === id)?.contactCount;
};

beforeAll(async () => {
  apiKey = await createApiKey(admin());
});

// Each case makes dozens of requests and waits for two stream hops; the shared test machine can be slow.
describe('POST /v1/merges', { timeout: 240_000 }, () => {
  it('keeps the primary values, fills the empty ones, unions lists, tags and channels with exact counts, and the duplicate answers 404', async () => {
    const phone = freshPhone();
    const [l1, l2, l3, t1, t2] = [await named('lists', uid('L1')), await named('lists', uid('L2')), await named('lists', uid('L3')), await named('tags', uid('T1')), await named('tags', uid('T2'))];
    const primary = await createContact(operator(), { firstName: 'Maria', phone, channels: { sms: 'subscribed' }, customFields: { plan: 'silver' } });
    const duplicate = await createContact(operator(), {
      firstName: 'Maria S.',
      lastName: 'Silva',
      phone,
      email: 'maria.silva@example.com',
      language: 'pt',
      channels: { sms: 'unsubscribed', whatsapp: 'subscribed' },
      customFields: { plan: 'gold', city: 'Recife' },
    });
    for (const [contact, lists] of [[primary, [l1, l2]], [duplicate, [l2, l3]]] as const) for (const l of lists) expect((await operator().put(`/v1/contacts/${contact.id}/lists/${l}`)).status).toBe(204);
    const tagName = async (id: string) => (await agent().get('/v1/tags?limit=100')).body.items.find((t: { id: string }) => t.id === id).name;
    await operator().post(`/v1/contacts/${primary.id}/tags`, { name: await tagName(t1) });
    await operator().post(`/v1/contacts/${duplicate.id}/tags`, { name: await tagName(t1) });
    await operator().post(`/v1/contacts/${duplicate.id}/tags`, { name: await tagName(t2) });
    expect([await listCount(l1), await listCount(l2), await listCount(l3), await tagCount(t1), await tagCount(t2)]).toEqual([1, 2, 1, 2, 1]);

    const r = await operator().post('/v1/merges', { primaryId: primary.id, duplicateIds: [duplicate.id] });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ primaryId: primary.id, duplicateIds: [duplicate.id], by: 'otto', status: 'completed' });
    expect(r.body.id).toMatch(/^[0-9A-Z]{26}$/);
    expect(Date.parse(r.body.at)).toBeGreaterThan(Date.now() - 60_000);

    const p = (await profile(primary.id)).body;
    expect(p).toMatchObject({ firstName: 'Maria', lastName: 'Silva', phone: primary.phone, email: 'maria.silva@example.com', language: 'pt' });
    expect(p.customFields).toEqual({ plan: 'silver', city: 'Recife' });
    expect(ids(p.lists)).toEqual([l1, l2, l3].sort());
    expect(ids(p.tags)).toEqual([t1, t2].sort());
    expect(p.channels.sms.status).toBe('subscribed');
    expect(p.channels.whatsapp.status).toBe('subscribed');
    // A contact in both lists counts once.
    expect([await listCount(l1), await listCount(l2), await listCount(l3), await tagCount(t1), await tagCount(t2)]).toEqual([1, 1, 1, 1, 1]);
    expect(ids((await agent().get(`/v1/lists/${l2}/contacts`)).body.items)).toEqual([primary.id]);

    expect((await agent().get(`/v1/contacts/${duplicate.id}`)).status).toBe(404);
    expect((await operator().patch(`/v1/contacts/${duplicate.id}`, { firstName: 'x' })).status).toBe(404);
    expect((await operator().put(`/v1/contacts/${duplicate.id}/lists/${l1}`)).status).toBe(404);
    const search = await agent().get(`/v1/contacts?q=${encodeURIComponent(phone)}`);
    expect(ids(search.body.items)).toEqual([primary.id]);
    expect((await agent().get(`/v1/contacts/${primary.id}/merge-suggestions`)).body.items).toEqual([]);
    const suggestions = (await agent().get('/v1/merge-suggestions?limit=100')).body.items;
    expect(suggestions.find((s: { key: string }) => s.key === `phone:${primary.phone}`)).toBeUndefined();
  });

  it('moves the history: the profile numbers include the duplicate, and later events naming the duplicate land on the primary', async () => {
    const primary = await createContact(operator(), { firstName: 'Rui', phone: freshPhone(), email: 'rui@example.com' });
    const duplicate = await createContact(operator(), { firstName: 'Rui', phone: freshPhone(), email: 'RUI@example.com' });
    await send([
      ...message({ contactId: primary.id }, ['delivered', 'read']),
      ticket({ contactId: primary.id }, 'open'),
      ...message({ phone: duplicate.phone! }, ['delivered']),
      ...message({ phone: duplicate.phone! }, ['sent']),
      ticket({ contactId: duplicate.id }, 'open'),
      ticket({ contactId: duplicate.id }, 'resolved'),
    ]);
    const sent = await operator().post(`/v1/contacts/${duplicate.id}/messages`, { channel: 'sms', text: 'Hello' });
    expect(sent.status).toBe(202);
    const before = { p: numbers((await profile(primary.id)).body), d: numbers((await profile(duplicate.id)).body) };
    expect(before).toEqual({ p: { dispatched: 1, open: 1, resolved: 0 }, d: { dispatched: 2, open: 1, resolved: 1 } });

    expect((await operator().post('/v1/merges', { primaryId: primary.id, duplicateIds: [duplicate.id] })).status).toBe(201);
    expect(numbers((await profile(primary.id)).body)).toEqual({ dispatched: 3, open: 2, resolved: 1 });
    const dispatches = await operator().get(`/v1/dispatches?contactId=${primary.id}`);
    expect(dispatches.body.items.map((d: { id: string; contactId: string }) => [d.id, d.contactId])).toEqual([[sent.body.id, primary.id]]);

    await send([...message({ phone: duplicate.phone! }, ['delivered']), ...message({ contactId: duplicate.id }, ['sent']), ...message({ email: 'rui@example.com' }, ['sent'])]);
    expect(numbers((await profile(primary.id)).body)).toEqual({ dispatched: 6, open: 2, resolved: 1 });
    expect((await agent().get(`/v1/contacts/${duplicate.id}`)).status).toBe(404);
  });
});

describe('POST /v1/merges/{id}/undo', { timeout: 240_000 }, () => {
  it('puts every contact back as it was, and events that arrived meanwhile stay on the contact they named', async () => {
    const list = await named('lists', uid('Undo'));
    const primary = await createContact(operator(), { firstName: 'Ana', phone: freshPhone(), channels: { sms: 'subscribed' } });
    const duplicate = await createContact(operator(), { firstName: 'Ana', lastName: 'Lima', phone: freshPhone(), email: 'ana.lima@example.com', channels: { email: 'subscribed' } });
    expect((await operator().put(`/v1/contacts/${duplicate.id}/lists/${list}`)).status).toBe(204);
    await send([...message({ contactId: primary.id }, ['delivered']), ...message({ contactId: duplicate.id }, ['read']), ticket({ contactId: duplicate.id }, 'open')]);
    const beforeP = (await profile(primary.id)).body;
    const beforeD = (await profile(duplicate.id)).body;

    const merge = await operator().post('/v1/merges', { primaryId: primary.id, duplicateIds: [duplicate.id] });
    expect(merge.status).toBe(201);
    // Meanwhile: one event names the duplicate (by phone), one names the primary.
    await send([...message({ phone: duplicate.phone! }, ['delivered', 'replied']), ...message({ phone: primary.phone! }, ['sent'])]);
    expect(numbers((await profile(primary.id)).body)).toEqual({ dispatched: 4, open: 1, resolved: 0 });

    const undone = await operator().post(`/v1/merges/${merge.body.id}/undo`);
    expect(undone.status).toBe(200);
    expect(undone.body).toMatchObject({ id: merge.body.id, status: 'undone', undoneBy: 'otto' });

    const p = (await profile(primary.id)).body;
    const d = (await profile(duplicate.id)).body;
    const fields = (c: Record<string, unknown>) => ({ ...c, engagement: undefined, tickets: undefined, satisfaction: undefined, band: undefined });
    expect(fields(p)).toEqual(fields(beforeP));
    expect(fields(d)).toEqual(fields(beforeD));
    expect(numbers(p)).toEqual({ dispatched: numbers(beforeP).dispatched + 1, open: 0, resolved: 0 });
    expect(numbers(d)).toEqual({ dispatched: numbers(beforeD).dispatched + 1, open: 1, resolved: 0 });
    expect(await listCount(list)).toBe(1);
    expect(ids((await agent().get(`/v1/lists/${list}/contacts`)).body.items)).toEqual([duplicate.id]);

    // After the undo the duplicate's phone names the duplicate again.
    await send(message({ phone: duplicate.phone! }, ['sent']));
    expect(numbers((await profile(duplicate.id)).body).dispatched).toBe(numbers(beforeD).dispatched + 2);
    expect(numbers((await profile(primary.id)).body).dispatched).toBe(numbers(beforeP).dispatched + 1);

    const again = await operator().post(`/v1/merges/${merge.body.id}/undo`);
    expect(again.status).toBe(409);
  });
});

describe('merge history and roles', { timeout: 240_000 }, () => {
  it('lists merges newest first for admins, with who, when and whether undo is possible', async () => {
    const a = await createContact(operator(), { firstName: 'Hist', phone: freshPhone() });
    const b = await createContact(operator(), { firstName: 'Hist B', phone: freshPhone() });
    const c = await createContact(operator(), { firstName: 'Hist C', phone: freshPhone() });
    const first = (await operator().post('/v1/merges', { primaryId: a.id, duplicateIds: [b.id] })).body;
    const second = (await admin().post('/v1/merges', { primaryId: c.id, duplicateIds: [a.id] })).body;
    const r = await admin().get('/v1/merges?limit=100');
    expect(r.status).toBe(200);
    const rows = r.body.items.filter((m: { id: string }) => m.id === first.id || m.id === second.id);
    expect(rows.map((m: { id: string }) => m.id)).toEqual([second.id, first.id]);
    expect(rows[0]).toMatchObject({ by: 'ana', byName: expect.any(String), status: 'completed', undoable: true, primary: { id: c.id, name: 'Hist C' }, duplicates: [{ id: a.id, name: 'Hist' }] });
    // The first merge's primary has since been merged away: undo the second first.
    expect(rows[1]).toMatchObject({ status: 'completed', undoable: false });
    expect((await operator().post(`/v1/merges/${first.id}/undo`)).status).toBe(409);
    expect((await operator().post(`/v1/merges/${second.id}/undo`)).status).toBe(200);
    expect((await operator().post(`/v1/merges/${first.id}/undo`)).status).toBe(200);
    expect((await agent().get(`/v1/contacts/${b.id}`)).status).toBe(200);
  });

  it('once the primary is purged, the duplicate it absorbed stops resolving and the merge cannot be undone', async () => {
    const primary = await createContact(operator(), { firstName: 'Gone', phone: freshPhone() });
    const duplicate = await createContact(operator(), { firstName: 'Gone too', phone: freshPhone() });
    const merge = (await operator().post('/v1/merges', { primaryId: primary.id, duplicateIds: [duplicate.id] })).body;
    // In the recycle bin the merge cannot be undone either (until a restore: test/integration/recycle-bin.test.ts).
    expect((await operator().delete(`/v1/contacts/${primary.id}`)).status).toBe(204);
    expect((await admin().get('/v1/merges?limit=100')).body.items.find((m: { id: string }) => m.id === merge.id)).toMatchObject({ undoable: false });
    expect((await operator().post(`/v1/merges/${merge.id}/undo`)).status).toBe(409);
    expect((await admin().delete(`/v1/recycle-bin/${primary.id}`)).status).toBe(204);
    expect((await operator().post(`/v1/merges/${merge.id}/undo`)).status).toBe(409);
    // The alias still answers once; forwarding finds the primary gone and retires it, with every
    // history item that landed on the duplicate (two messages in one batch here).
    await send([...message({ phone: duplicate.phone! }, ['sent']), ...message({ phone: duplicate.phone! }, ['sent', 'delivered'])]);
    await stack.drain();
    await stack.drain();
    await stack.drain();
    const raw = rawClient(stack.dynamoEndpoint);
    const left = (
      await raw.send(new QueryCommand({ TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `CONTACT#${duplicate.id}` }, ConsistentRead: true }))
    ).Items!;
    raw.destroy();
    expect(left.filter((item) => !item.sk.startsWith('P#ENG') && item.sk !== 'S#ANALYTICS').map((item) => item.sk)).toEqual([]);
    for (const item of left.filter((i) => i.sk.startsWith('P#ENG'))) {
      expect(Object.entries(item).filter(([k, v]) => typeof v === 'number' && k !== 'expiresAt' && v !== 0), item.sk).toEqual([]);
      expect(item.expiresAt, item.sk).toBeGreaterThan(Date.now() / 1000);
    }
    const late = await postEvents(message({ phone: duplicate.phone! }, ['sent']));
    expect(late.body.rejected).toHaveLength(1);
    expect(late.body.rejected[0].reason).toMatch(/no contact matches/);
  });

  it('applies the role matrix', async () => {
    const a = await createContact(operator(), { firstName: 'Role', phone: freshPhone() });
    const b = await createContact(operator(), { firstName: 'Role', phone: freshPhone() });
    expect((await agent().post('/v1/merges', { primaryId: a.id, duplicateIds: [b.id] })).status).toBe(403);
    expect((await operator().get('/v1/merges')).status).toBe(403);
    expect((await agent().get('/v1/merges')).status).toBe(403);
    expect((await stack.api.call('POST', '/v1/merges', { body: { primaryId: a.id, duplicateIds: [b.id] } })).status).toBe(401);
    expect((await agent().get('/v1/merge-suggestions')).status).toBe(200);
    const merge = await operator().post('/v1/merges', { primaryId: a.id, duplicateIds: [b.id] });
    expect((await agent().post(`/v1/merges/${merge.body.id}/undo`)).status).toBe(403);
    expect((await operator().post(`/v1/merges/${merge.body.id}/undo`)).status).toBe(200);
  });

  it('rejects bad input with field errors and writes nothing', async () => {
    const a = await createContact(operator(), { firstName: 'Bad', phone: freshPhone() });
    const before = (await admin().get('/v1/merges?limit=100')).body.items.length;
    const cases: [unknown, Record<string, string>][] = [
      [{}, { primaryId: 'is required', duplicateIds: 'must list at least one contact id' }],
      [{ primaryId: a.id, duplicateIds: [] }, { duplicateIds: 'must list at least one contact id' }],
      [{ primaryId: a.id, duplicateIds: [a.id] }, { 'duplicateIds.0': 'is the primary itself' }],
      [{ primaryId: a.id, duplicateIds: ['nope', 'nope'] }, { 'duplicateIds.1': 'is listed twice' }],
      [{ primaryId: a.id, duplicateIds: ['nope'] }, { 'duplicateIds.0': 'no contact has this id' }],
      [{ primaryId: 'nope', duplicateIds: [a.id] }, { primaryId: 'no contact has this id' }],
      [[1], { body: 'must be a JSON object' }],
    ];
    for (const [body, fields] of cases) expectFieldErrors(await operator().post('/v1/merges', body), fields);
    expect((await admin().get('/v1/merges?limit=100')).body.items.length).toBe(before);
    expect((await agent().get(`/v1/contacts/${a.id}`)).status).toBe(200);
    expect((await operator().post('/v1/merges/nope/undo')).status).toBe(404);
  });
});
