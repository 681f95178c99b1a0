import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsProcessor } from '../../functions/analytics/activity-processor.js';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { insertContact } from '../../functions/contacts/contact-service.js';
import { analyticsStateKey } from '../../functions/data/keys.js';
import { ddb, tableName } from '../../functions/lib/dynamo.js';
import { localDay } from '../../shared/analytics.js';
import { expectFieldErrors } from '../support/factories.js';
import { startLocalStack } from '../support/local-stack.js';

type Stack = Awaited<ReturnType<typeof startLocalStack>>;
let stack: Stack;
let apiKey: string;

const operator = () => stack.api.as('operator', 'otto');
const admin = () => stack.api.as('admin', 'ana');

let n = 0;
const uid = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${n++}`;

function postEvents(events: unknown[]) {
  return stack.api.call('POST', '/v1/events', { body: { events }, headers: { 'x-api-key': apiKey } });
}

const message = (contactId: string, messageId: string, channel: string, status: string, at: string, broadcast = true) => ({
  id: uid('m'),
  type: 'message.status',
  contactId,
  messageId,
  channel,
  status,
  at,
  broadcast,
});
const conversation = (contactId: string, conversationId: string, kind: string, status: string, at: string) => ({
  id: uid('c'),
  type: 'conversation.status',
  contactId,
  conversationId,
  kind,
  status,
  at,
});
const said = (contactId: string, conversationId: string, from: string, at: string) => ({
  id: uid('t'),
  type: 'conversation.message',
  contactId,
  conversationId,
  from,
  text: 'Quero saber o preço',
  at,
});

async function panel(query = '') {
  const r = await operator().get(`/v1/analytics/contacts${query}`);
  expect(r.status).toBe(200);
  return r.body;
}

const contacts: Record<'a' | 'b' | 'c' | 'd', string> = { a: '', b: '', c: '', d: '' };
const origin = { type: 'api' as const, label: 'API' };
/** Batches the analytics processor was handed, to replay them. */
const seen: DynamoDBRecord[][] = [];
const process = analyticsProcessor.process.bind(analyticsProcessor);

beforeAll(async () => {
  analyticsProcessor.process = async (records) => {
    seen.push(structuredClone(records));
    return process(records);
  };
  stack = await startLocalStack();
  const key = await admin().post('/v1/api-keys', { name: 'Messaging platform' });
  expect(key.status).toBe(201);
  apiKey = key.body.key;

  // Backdated creation so the contact base has a history (times UTC; the tenant is in Sao Paulo, UTC-3).
  contacts.a = (await insertContact({ firstName: 'Ana', phone: '+5511987650001', country: 'BR' }, { origin, now: '2026-02-01T12:00:00.000Z' })).id;
  contacts.b = (await insertContact({ firstName: 'Bia', phone: '+5521987650002', country: 'BR' }, { origin, now: '2026-03-05T12:00:00.000Z' })).id;
  contacts.c = (await insertContact({ firstName: 'Cal', phone: '+14155550100', country: 'US' }, { origin, now: '2026-03-12T12:00:00.000Z' })).id;
  contacts.d = (await insertContact({ firstName: 'Dri', email: 'dri@example.com' }, { origin, now: '2026-03-20T12:00:00.000Z' })).id;
  const { a, b, c, d } = contacts;

  const events = [
    // A: a broadcast read on 03-10, a sales conversation two days later with two messages (Thursday 12:xx local)
    message(a, 'a1', 'whatsapp', 'sent', '2026-03-10T12:00:00Z'),
    message(a, 'a1', 'whatsapp', 'delivered', '2026-03-10T12:01:00Z'),
    message(a, 'a1', 'whatsapp', 'read', '2026-03-10T12:05:00Z'),
    conversation(a, 'ca1', 'sales', 'open', '2026-03-12T15:00:00Z'),
    said(a, 'ca1', 'contact', '2026-03-12T15:10:00Z'),
    said(a, 'ca1', 'agent', '2026-03-12T15:20:00Z'),
    // A: 02:00 UTC on March 1st is still February 28th in Sao Paulo
    message(a, 'a0', 'sms', 'sent', '2026-03-01T02:00:00Z', false),
    // B: a broadcast sent at 23:00 local on 03-10 (02:00 UTC on 03-11), delivered and replied
    message(b, 'b1', 'sms', 'sent', '2026-03-11T02:00:00Z'),
    message(b, 'b1', 'sms', 'delivered', '2026-03-11T02:01:00Z'),
    message(b, 'b1', 'sms', 'replied', '2026-03-11T03:00:00Z'),
    // B: a broadcast in the previous period, a support ticket in the period, a sales one too late to convert
    message(b, 'b0', 'sms', 'sent', '2026-03-05T10:00:00Z'),
    conversation(b, 'cb1', 'support', 'open', '2026-03-14T13:00:00Z'),
    conversation(b, 'cb2', 'sales', 'open', '2026-03-25T13:00:00Z'),
    // C: an individual email clicked on 03-16 (20:30 local), a failed broadcast on 03-17 local, an email in February
    message(c, 'c1', 'email', 'sent', '2026-03-16T23:30:00Z', false),
    message(c, 'c1', 'email', 'delivered', '2026-03-16T23:31:00Z', false),
    message(c, 'c1', 'email', 'clicked', '2026-03-16T23:40:00Z', false),
    message(c, 'c2', 'email', 'failed', '2026-03-17T04:00:00Z'),
    message(c, 'c0', 'email', 'sent', '2026-02-28T23:00:00Z', false),
    // D: sales tickets in the previous period; a broadcast on 03-13 followed within 7 days by a sales ticket
    conversation(d, 'cd1', 'sales', 'open', '2026-03-04T12:00:00Z'),
    conversation(d, 'cd2', 'sales', 'open', '2026-03-09T23:00:00Z'),
    message(d, 'd1', 'whatsapp', 'sent', '2026-03-13T03:30:00Z'),
    conversation(d, 'cd3', 'sales', 'open', '2026-03-20T03:00:00Z'),
  ];
  // Out of order on purpose: late events must land on their own days.
  const posted = await postEvents(events.reverse());
  expect(posted.status).toBe(202);
  expect(posted.body.accepted).toBe(events.length);
  await stack.drain();
});

afterAll(async () => {
  analyticsProcessor.process = process;
  await stack?.stop();
});

const MARCH = '?from=2026-03-10&to=2026-03-16';

describe('GET /v1/analytics/contacts', () => {
  it('answers every panel number as computed by hand from the events', async () => {
    const p = await panel(MARCH);
    expect(p.period).toEqual({ from: '2026-03-10', to: '2026-03-16', previousFrom: '2026-03-03', previousTo: '2026-03-09', timezone: 'America/Sao_Paulo' });
    expect(p.interactions).toEqual({
      // A, B and C were created by the end of 03-16; A and B by the end of 03-09.
      contactBase: { value: 3, previous: 2, variation: 50 },
      // a1, b1 (03-10 local), d1 against b0.
      reachedContacts: { value: 3, previous: 1, variation: 200 },
      // A (ca1) against D (cd1, cd2: one contact, two tickets).
      contactsInSales: { value: 1, previous: 1, variation: 0 },
      contactsInSupport: { value: 1, previous: 0, variation: null },
    });
    // Messages of the period: a1 (read), b1 (sms: delivered, replied), c1 (email: clicked implies read), d1 (sent only).
    expect(p.messageFunnel).toEqual({ sent: 4, delivered: 3, read: 2, clicked: 1, replied: 1 });
    // A converted (ca1 two days after a1), D converted (cd3 6 days 23.5 hours after d1), B did not (cb2 14 days later).
    expect(p.journeyFunnel).toEqual({ reached: 3, converted: 2 });
    expect(p.monthlyContacts).toEqual([
      { month: '2025-10', contacts: 0 },
      { month: '2025-11', contacts: 0 },
      { month: '2025-12', contacts: 0 },
      { month: '2026-01', contacts: 0 },
      { month: '2026-02', contacts: 2 }, // a0 and c0, both on February 28th local
      { month: '2026-03', contacts: 4 },
    ]);
    expect(p.geography).toEqual([
      { country: 'BR', state: 'RJ', contacts: 1 },
      { country: 'BR', state: 'SP', contacts: 1 },
      { country: 'US', state: null, contacts: 1 },
    ]);
    expect(p.daily).toEqual([
      { date: '2026-03-10', broadcasts: 2, sales: 0, support: 0 },
      { date: '2026-03-11', broadcasts: 0, sales: 0, support: 0 },
      { date: '2026-03-12', broadcasts: 0, sales: 1, support: 0 },
      { date: '2026-03-13', broadcasts: 1, sales: 0, support: 0 },
      { date: '2026-03-14', broadcasts: 0, sales: 0, support: 1 },
      { date: '2026-03-15', broadcasts: 0, sales: 0, support: 0 },
      { date: '2026-03-16', broadcasts: 0, sales: 0, support: 0 },
    ]);
    expect(p.serviceDistribution).toEqual({ sales: 1, support: 1 });
    expect(p.salesHeatmap).toHaveLength(7);
    const cells = p.salesHeatmap.flatMap((row: number[], weekday: number) => row.map((v, hour) => ({ weekday, hour, v }))).filter((c: { v: number }) => c.v > 0);
    expect(cells).toEqual([{ weekday: 4, hour: 12, v: 2 }]); // Thursday 12:00-12:59 in Sao Paulo
  });

  it('counts a contact once in a period however many days it was active, exactly for custom periods', async () => {
    // D's two previous-period tickets (03-04, 03-09) and the cd3 on 03-20: one contact over the whole month.
    const month = await panel('?from=2026-03-01&to=2026-03-31');
    expect(month.interactions.contactsInSales.value).toBe(3); // A, B (cb2) and D
    expect(month.interactions.reachedContacts.value).toBe(4); // a1, b0/b1 (one contact), c2, d1
    const day = await panel('?from=2026-03-10&to=2026-03-10');
    expect(day.interactions.reachedContacts).toEqual({ value: 2, previous: 0, variation: null });
    expect(day.daily).toEqual([{ date: '2026-03-10', broadcasts: 2, sales: 0, support: 0 }]);
  });

  it('defaults to the last 30 days in the tenant timezone', async () => {
    const p = await panel();
    expect(p.period.to).toBe(localDay(Date.now(), 'America/Sao_Paulo'));
    expect(p.daily).toHaveLength(30);
    expect(p.daily[29].date).toBe(p.period.to);
    expect(p.interactions.contactBase.value).toBe(4);
  });

  it('changes nothing when the stream delivers the same batches again', async () => {
    const before = await panel('?from=2026-02-20&to=2026-03-31');
    const delivered = seen.length;
    expect(delivered).toBeGreaterThan(0);
    for (const batch of seen.slice(0, delivered)) expect(await process(structuredClone(batch))).toEqual([]);
    // And a replay that starts in the middle of a batch, as after a partial failure.
    for (const batch of seen.slice(0, delivered)) await process(structuredClone(batch.slice(Math.floor(batch.length / 2))));
    await stack.drain();
    expect(await panel('?from=2026-02-20&to=2026-03-31')).toEqual(before);
  });

  it('writes no activity state for a profile edit the panel does not read', async () => {
    const state = async () => (await ddb().send(new GetCommand({ TableName: tableName(), Key: analyticsStateKey(contacts.d), ConsistentRead: true }))).Item;
    const before = await state();
    expect(before?.version).toBeGreaterThan(0);
    const renamed = await operator().patch(`/v1/contacts/${contacts.d}`, { firstName: 'Renamed' });
    expect(renamed.status).toBe(200);
    await stack.drain();
    expect(await state()).toEqual(before);
  });

  it('follows a phone change on the map and a deletion everywhere but the base history', async () => {
    // Both before the stream has processed either.
    const moved = await operator().patch(`/v1/contacts/${contacts.b}`, { phone: '+55 31 98765-0002' });
    expect(moved.status).toBe(200);
    expect((await operator().delete(`/v1/contacts/${contacts.c}`)).status).toBe(204);
    await stack.drain();
    const p = await panel(MARCH);
    expect(p.geography).toEqual([
      { country: 'BR', state: 'MG', contacts: 1 },
      { country: 'BR', state: 'SP', contacts: 1 },
    ]);
    expect(p.messageFunnel).toEqual({ sent: 3, delivered: 2, read: 1, clicked: 0, replied: 1 });
    expect(p.monthlyContacts.slice(4)).toEqual([
      { month: '2026-02', contacts: 1 },
      { month: '2026-03', contacts: 3 },
    ]);
    // C was in the base on 03-16 and still is in that day's history; today's base lost it.
    expect(p.interactions.contactBase.value).toBe(3);
    expect((await panel()).interactions.contactBase.value).toBe(3);
  });

  it('costs the same number of DynamoDB requests whatever the size of the base', async () => {
    const periods = [MARCH, '?from=2026-01-01&to=2026-03-31', '?from=2025-03-20&to=2026-03-20', ''];
    const requests = async () => {
      const out: number[] = [];
      for (const query of periods) {
        const r = await operator().get(`/v1/analytics/contacts${query}`);
        out.push(Number(/"(\d+) DynamoDB requests"/.exec(r.headers.get('server-timing') ?? '')?.[1]));
      }
      return out;
    };
    const small = await requests();
    expect(small).toEqual([3, 3, 3, 3]);

    const more = await Promise.all(
      Array.from({ length: 20 }, (_, i) => insertContact({ firstName: `Lia ${i}`, phone: `+55${11 + (i % 80)}98765${String(i).padStart(4, '0')}` }, { origin, now: '2026-01-15T12:00:00.000Z' })),
    );
    const events = more.flatMap((c, i) => [
      message(c.id, `x${i}`, 'whatsapp', 'read', `2026-${String(1 + (i % 3)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}T12:00:00Z`),
      conversation(c.id, `y${i}`, i % 2 ? 'sales' : 'support', 'open', `2026-03-${String(1 + (i % 28)).padStart(2, '0')}T15:00:00Z`),
    ]);
    expect((await postEvents(events)).status).toBe(202);
    await stack.drain();
    expect((await panel('?from=2026-01-01&to=2026-03-31')).interactions.contactBase.value).toBeGreaterThanOrEqual(23);
    expect(await requests()).toEqual(small);
  });

  it('rejects bad periods field by field and writes nothing', async () => {
    expectFieldErrors(await operator().get('/v1/analytics/contacts?from=2026-02-30&to=tomorrow'), { from: 'must be a calendar day written YYYY-MM-DD', to: 'must be a calendar day written YYYY-MM-DD' });
    expectFieldErrors(await operator().get('/v1/analytics/contacts?from=2026-03-10&to=2026-03-01'), { from: 'must not be after to' });
    expectFieldErrors(await operator().get('/v1/analytics/contacts?from=2025-01-01&to=2026-03-01'), { to: 'the period may span at most 366 days' });
  });

  it('is for operators and admins only', async () => {
    expect((await stack.api.as('agent', 'gil').get(`/v1/analytics/contacts${MARCH}`)).status).toBe(403);
    expect((await stack.api.anonymous.get(`/v1/analytics/contacts${MARCH}`)).status).toBe(401);
    expect((await admin().get(`/v1/analytics/contacts${MARCH}`)).status).toBe(200);
  });
});
