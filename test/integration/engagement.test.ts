import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ddb, tableName } from '../../functions/lib/dynamo.js';
import { rollEngagementWindow } from '../../functions/scheduled/roll-engagement-window.js';
import { useLocalStack, usersOf } from '../support/api-suite.js';
import { DAY, HOUR, ago, createApiKey, createContact, expectFieldErrors, uniqueId as uid } from '../support/factories.js';

const stack = useLocalStack();
const { admin, operator, agent } = usersOf(stack);
let apiKey: string;

function postEvents(events: unknown[], key = apiKey) {
  return stack.api.call('POST', '/v1/events', { body: { events }, headers: { 'x-api-key': key } });
}

const status = (ref: Record<string, string>, messageId: string, channel: string, s: string, at: string, extra: Record<string, unknown> = {}) => ({
  id: uid('evt'),
  type: 'message.status',
  at,
  messageId,
  channel,
  status: s,
  broadcast: true,
  ...ref,
  ...extra,
});

const newContact = (fields: Record<string, unknown> = {}) => createContact(operator(), { firstName: 'Eva', ...fields });

async function profile(id: string) {
  await stack.drain();
  const r = await agent().get(`/v1/contacts/${id}`);
  expect(r.status).toBe(200);
  return r.body;
}

beforeAll(async () => {
  apiKey = await createApiKey(admin());
});

describe('POST /v1/events -> profile engagement', () => {
  it('counts stages per channel with their rates, the engagement rate and its band', async () => {
    const c = await newContact({ phone: '(11) 97777-1234', email: 'eva@example.com' });
    const byId = { contactId: c.id };
    const t = ago(2 * DAY);
    const events = [
      // whatsapp: 4 sent, 3 delivered (one only through "read"), 2 read (one through "clicked"), 1 clicked, 1 replied
      status(byId, 'w1', 'whatsapp', 'sent', t),
      status(byId, 'w1', 'whatsapp', 'delivered', t),
      status(byId, 'w1', 'whatsapp', 'clicked', t),
      status(byId, 'w2', 'whatsapp', 'read', t),
      status(byId, 'w3', 'whatsapp', 'delivered', t),
      status(byId, 'w3', 'whatsapp', 'replied', t),
      status(byId, 'w4', 'whatsapp', 'failed', t),
      // sms by phone in another format: 2 sent, 1 delivered + replied, 1 failed
      status({ phone: '+55 11 97777-1234' }, 's1', 'sms', 'delivered', t),
      status({ phone: '11977771234' }, 's1', 'sms', 'replied', t),
      status({ phone: '(11) 97777-1234' }, 's2', 'sms', 'failed', t),
      // email by e-mail address, any case: 2 sent, 2 delivered, 0 read
      status({ email: 'EVA@example.com' }, 'e1', 'email', 'delivered', t),
      status({ email: 'eva@example.com' }, 'e2', 'email', 'sent', t),
      status({ email: 'eva@example.com' }, 'e2', 'email', 'delivered', t),
      // sms "read" does not exist: ignored, implies nothing
      status(byId, 's3', 'sms', 'read', t),
    ];
    const r = await postEvents(events);
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ accepted: events.length, duplicates: 0, rejected: [] });

    const p = await profile(c.id);
    expect(p.engagement.dispatched).toEqual({ total: 9, byChannel: { whatsapp: 4, sms: 3, email: 2 } });
    expect(p.engagement.channels.whatsapp).toEqual({
      sent: 4, delivered: 3, read: 2, clicked: 1, replied: 1, deliveryRate: 75, openRate: 66.67, clickRate: 33.33, responseRate: 33.33,
    });
    expect(p.engagement.channels.sms).toEqual({ sent: 3, delivered: 1, replied: 1, deliveryRate: 33.33, responseRate: 100 });
    expect(p.engagement.channels.email).toEqual({ sent: 2, delivered: 2, read: 0, clicked: 0, deliveryRate: 100, openRate: 0, clickRate: 0 });
    // engaged: w1, w2, w3 (whatsapp), s1 (sms) = 4 of 6 delivered
    expect(p.engagement.rate).toBe(66.67);
    expect(p.engagement.band).toBe('high');
    expect(p.engagement.window.days).toBe(90);
    expect(p.engagement.trend).toHaveLength(13);
    expect(p.engagement.trend.reduce((n: number, point: { dispatched: number }) => n + point.dispatched, 0)).toBe(9);
    expect(p.engagement.bestTime).toMatchObject({ basis: 4 });

    const base = await agent().get('/v1/contacts?band=high&limit=100');
    expect(base.body.items.map((x: { id: string }) => x.id)).toContain(c.id);
    expect((await agent().get('/v1/contacts?band=none&limit=100')).body.items.map((x: { id: string }) => x.id)).not.toContain(c.id);
  });

  it('changes nothing when the same event ids arrive again', async () => {
    const c = await newContact();
    const events = [status({ contactId: c.id }, 'm1', 'rcs', 'delivered', ago(HOUR)), status({ contactId: c.id }, 'm1', 'rcs', 'read', ago(HOUR))];
    expect((await postEvents(events)).body).toMatchObject({ accepted: 2, duplicates: 0 });
    const before = await profile(c.id);
    const again = await postEvents(events);
    expect(again.body).toEqual({ accepted: 0, duplicates: 2, rejected: [] });
    // A repeated id inside one call is a duplicate too.
    const repeated = status({ contactId: c.id }, 'm2', 'rcs', 'sent', ago(HOUR));
    expect((await postEvents([repeated, repeated])).body).toMatchObject({ accepted: 1, duplicates: 1 });
    const after = await profile(c.id);
    expect(after.engagement.channels.rcs.sent).toBe(before.engagement.channels.rcs.sent + 1);
    expect(after.engagement.channels.rcs.read).toBe(1);
  });

  it('converges whatever the order of arrival: the message moves to the day of its earliest event', async () => {
    const c = await newContact();
    const ref = { contactId: c.id };
    await postEvents([status(ref, 'late', 'email', 'clicked', ago(1 * DAY))]);
    let p = await profile(c.id);
    expect(p.engagement.channels.email).toMatchObject({ sent: 1, delivered: 1, read: 1, clicked: 1 });
    const dayOf = (points: { date: string; dispatched: number }[]) => points.find((x) => x.dispatched > 0)?.date;
    const firstBucket = dayOf(p.engagement.trend);

    // The "sent" event arrives last but happened 40 days ago: the message is counted once, on its real day.
    await postEvents([status(ref, 'late', 'email', 'sent', ago(40 * DAY)), status(ref, 'late', 'email', 'delivered', ago(40 * DAY))]);
    p = await profile(c.id);
    expect(p.engagement.dispatched.total).toBe(1);
    expect(p.engagement.channels.email).toMatchObject({ sent: 1, delivered: 1, read: 1, clicked: 1 });
    expect(dayOf(p.engagement.trend)! < firstBucket!).toBe(true);
  });

  it('lists bad events with reasons and lands the good ones', async () => {
    const c = await newContact();
    const good = status({ contactId: c.id }, 'g1', 'sms', 'delivered', ago(HOUR));
    const r = await postEvents([
      good,
      { ...good, id: uid('bad'), status: 'opened' },
      { ...good, id: uid('bad'), at: 'yesterday' },
      { ...good, id: uid('bad'), at: new Date(Date.now() + DAY).toISOString() },
      { ...good, id: undefined },
      { ...good, id: uid('bad'), contactId: undefined },
      { ...good, id: uid('bad'), contactId: 'nobody' },
      { ...good, id: uid('bad'), contactId: undefined, phone: '+55 11 90000-0000' },
      { id: uid('bad'), type: 'conversation.status', at: ago(HOUR), contactId: c.id, conversationId: 'x', kind: 'billing', status: 'open' },
      'not an object',
    ]);
    expect(r.status).toBe(202);
    expect(r.body.accepted).toBe(1);
    const reasons = r.body.rejected.map((x: { reason: string }) => x.reason);
    expect(r.body.rejected).toHaveLength(9);
    expect(reasons[0]).toMatch(/^status: must be one of/);
    expect(reasons[1]).toMatch(/^at: must be an ISO-8601 time/);
    expect(reasons[2]).toMatch(/^at: must not be in the future/);
    expect(reasons[3]).toMatch(/^id: is required/);
    expect(reasons[4]).toMatch(/^contact: name the contact/);
    expect(reasons[5]).toMatch(/^contact: no contact matches contactId nobody/);
    expect(reasons[6]).toMatch(/^contact: no contact matches phone/);
    expect(reasons[7]).toMatch(/^kind: must be one of sales, support/);
    expect(reasons[8]).toMatch(/^event: must be a JSON object/);
    expect(r.body.rejected[0].id).toBeTruthy();
    expect(r.body.rejected[3].id).toBeNull();
    expect((await profile(c.id)).engagement.channels.sms).toMatchObject({ sent: 1, delivered: 1 });
  });

  it('answers 413 above 500 events and 400 for a malformed body, writing nothing', async () => {
    const c = await newContact();
    const many = Array.from({ length: 501 }, (_, i) => status({ contactId: c.id }, `big${i}`, 'sms', 'sent', ago(HOUR)));
    const big = await postEvents(many);
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('too_large');
    const malformed = await stack.api.call('POST', '/v1/events', { body: '{"events": [', headers: { 'x-api-key': apiKey, 'content-type': 'application/json' } });
    expectFieldErrors(malformed, { body: 'must be valid JSON' });
    const noArray = await stack.api.call('POST', '/v1/events', { body: { events: 'x' }, headers: { 'x-api-key': apiKey } });
    expectFieldErrors(noArray, { events: 'must be an array of events' });
    expect((await profile(c.id)).engagement.dispatched.total).toBe(0);
  });

  it('counts tickets by latest status and satisfaction from the contact messages', async () => {
    const c = await newContact({ language: 'pt-BR' });
    const ref = { contactId: c.id };
    const conv = (conversationId: string, s: string, at: string, kind = 'support') => ({ id: uid('cv'), type: 'conversation.status', conversationId, kind, status: s, at, ...ref });
    const msg = (conversationId: string, from: string, text: string, at: string) => ({ id: uid('cm'), type: 'conversation.message', conversationId, from, text, at, ...ref });
    const r = await postEvents([
      // c1: resolved arrives before open, but open is older: latest status is resolved
      conv('c1', 'resolved', ago(2 * HOUR)),
      conv('c1', 'open', ago(5 * HOUR)),
      msg('c1', 'contact', 'Adorei o atendimento, muito obrigado!', ago(4 * HOUR)),
      msg('c1', 'agent', 'Por nada!', ago(3 * HOUR)),
      // c2: open, the contact never wrote
      conv('c2', 'open', ago(HOUR), 'sales'),
      msg('c2', 'agent', 'Olá! Temos uma oferta para você.', ago(HOUR)),
      // c3: reopened later
      conv('c3', 'open', ago(10 * HOUR)),
      conv('c3', 'resolved', ago(9 * HOUR)),
      conv('c3', 'open', ago(8 * HOUR)),
      msg('c3', 'contact', 'Perfeito, resolveu meu problema', ago(8 * HOUR)),
    ]);
    expect(r.body).toMatchObject({ accepted: 10, rejected: [] });
    const p = await profile(c.id);
    expect(p.tickets).toEqual({ open: 2, resolved: 1, all: 3 });
    expect(p.satisfaction.index).toBe('satisfied');
    expect(p.satisfaction.interactionRate).toBe(66.67);

    await postEvents([msg('c2', 'contact', 'Péssimo, o produto chegou quebrado e ninguém responde', ago(HOUR)), msg('c2', 'contact', 'Que vergonha, horrível', ago(HOUR))]);
    const later = await profile(c.id);
    expect(later.satisfaction.interactionRate).toBe(100);
    expect(later.satisfaction.index).toBe('neutral');
  });

  it('has empty engagement, null rates and no band for a contact without events', async () => {
    const c = await newContact();
    const p = await profile(c.id);
    expect(p.engagement).toMatchObject({ dispatched: { total: 0, byChannel: {} }, channels: {}, rate: null, band: null, bestTime: null });
    expect(p.tickets).toEqual({ open: 0, resolved: 0, all: 0 });
    expect(p.satisfaction).toEqual({ index: null, interactionRate: null });
  });
});

describe('window roll', () => {
  it('moves the band when the only engaged day leaves the 90-day window', async () => {
    const c = await newContact();
    const ref = { contactId: c.id };
    await postEvents([status(ref, 'old', 'whatsapp', 'read', ago(88 * DAY)), status(ref, 'new', 'whatsapp', 'delivered', ago(HOUR))]);
    let p = await profile(c.id);
    expect(p.band).toBe('high');
    expect(p.engagement.rate).toBe(50);

    const threeDaysLater = new Date(Date.now() + 3 * DAY);
    const rolled = await rollEngagementWindow(threeDaysLater);
    expect(rolled.contacts).toBeGreaterThanOrEqual(1);
    p = await profile(c.id);
    // The stored band (contact base filter) moved; the profile reading "now" still sees the day.
    expect(p.band).toBe('none');
    expect((await agent().get('/v1/contacts?band=none&limit=100')).body.items.map((x: { id: string }) => x.id)).toContain(c.id);
    expect((await rollEngagementWindow(threeDaysLater)).days).toEqual([]);
  });
});

describe('API keys', () => {
  it('are created by admins only, shown once and stored as a hash', async () => {
    expect((await operator().post('/v1/api-keys', { name: 'x' })).status).toBe(403);
    expectFieldErrors(await admin().post('/v1/api-keys', { name: '' }), { name: 'is required' });
    const created = await admin().post('/v1/api-keys', { name: 'CRM sync' });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^cek_/);
    const list = await admin().get('/v1/api-keys');
    expect(list.status).toBe(200);
    const listed = list.body.items.find((k: { id: string }) => k.id === created.body.id);
    expect(listed).toMatchObject({ name: 'CRM sync', hint: created.body.key.slice(-4) });
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);
    expect(listed.hash).toBeUndefined();
    expect((await operator().get('/v1/api-keys')).status).toBe(403);
    // In the table: the SHA-256 of the key, never the key.
    const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: { pk: `APIKEY#${created.body.id}`, sk: '#META' } }));
    expect(Item!.hash).toBe(createHash('sha256').update(created.body.key).digest('hex'));
    expect(JSON.stringify(Item)).not.toContain(created.body.key);
  });

  it('stop working once revoked (401), and unknown or missing keys are refused', async () => {
    const created = await admin().post('/v1/api-keys', { name: 'Temporary' });
    const c = await newContact();
    expect((await postEvents([status({ contactId: c.id }, 'k1', 'sms', 'sent', ago(HOUR))], created.body.key)).status).toBe(202);
    expect((await admin().delete(`/v1/api-keys/${created.body.id}`)).status).toBe(204);
    const refused = await postEvents([status({ contactId: c.id }, 'k2', 'sms', 'sent', ago(HOUR))], created.body.key);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('unauthorized');
    expect((await stack.api.call('POST', '/v1/events', { body: { events: [] } })).status).toBe(401);
    expect((await postEvents([], `${created.body.key.slice(0, -2)}xx`)).status).toBe(401);
    expect((await admin().delete('/v1/api-keys/01ARZ3NDEKTSV4RRFFQ69G5FAV')).status).toBe(404);
    const listed = (await admin().get('/v1/api-keys')).body.items.find((k: { id: string }) => k.id === created.body.id);
    expect(listed.revokedAt).toBeTruthy();
  });
});

describe('sending', () => {
  it('gives sending_error to blocked and unsubscribed contacts, which are not messages sent', async () => {
    const c = await newContact({ phone: '(21) 98888-1111', channels: { sms: 'unsubscribed', whatsapp: 'subscribed' } });
    const unsub = await operator().post(`/v1/contacts/${c.id}/messages`, { channel: 'sms', text: 'Oi' });
    expect(unsub.body).toMatchObject({ status: 'sending_error', reason: 'unsubscribed' });
    await operator().post(`/v1/contacts/${c.id}/block`);
    const blocked = await operator().post(`/v1/contacts/${c.id}/messages`, { channel: 'whatsapp', text: 'Oi' });
    expect(blocked.body).toMatchObject({ status: 'sending_error', reason: 'blocked' });
    const p = await profile(c.id);
    expect(p.engagement.dispatched.total).toBe(0);
    const report = await operator().get(`/v1/dispatches?contactId=${c.id}`);
    expect(report.body.items.map((d: { status: string }) => d.status)).toEqual(['sending_error', 'sending_error']);
  });
});
