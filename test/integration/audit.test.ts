import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS } from '../../functions/audit/audit-actions.js';
import { ROUTE_KEYS } from '../../shared/api-routes.js';
import { useLocalStack, usersOf } from '../support/api-suite.js';
import { contactBody, createApiKey, createContact, expectFieldErrors, uniqueId } from '../support/factories.js';
import { rawClient } from '../support/raw-client.js';

/** API.md "Activity and audit": the tenant's audit log. */
const stack = useLocalStack();
const { operator, agent, admin } = usersOf(stack);

interface Entry {
  id: string;
  at: string;
  by: { sub?: string; apiKeyId?: string; name: string };
  action: string;
  target: { type: string; id: string | null };
  details: Record<string, unknown>;
}

const audit = async (query = ''): Promise<Entry[]> => {
  const r = await admin().get(`/v1/audit?limit=100${query}`);
  expect(r.status).toBe(200);
  return r.body.items;
};
const about = async (id: string) => (await audit()).filter((e) => e.target.id === id);

describe('the audit log', { timeout: 120_000 }, () => {
  it('has an action for every write route of the contract', () => {
    const writes = ROUTE_KEYS.filter((key) => !key.startsWith('GET '));
    expect(Object.keys(AUDIT_ACTIONS).sort()).toEqual([...writes].sort());
  });

  it('records each write once with who did it (the directory name) and what, newest first; refused and failed writes record nothing', async () => {
    const contact = await createContact(operator(), contactBody({ firstName: 'Audited' }));
    expect((await operator().patch(`/v1/contacts/${contact.id}`, { lastName: 'Changed', language: 'es' })).status).toBe(200);
    expect((await operator().post(`/v1/contacts/${contact.id}/block`)).status).toBe(200);
    // Refused (an agent may not write) and failed (bad input, unknown contact): no entries.
    expect((await agent().patch(`/v1/contacts/${contact.id}`, { lastName: 'Nope' })).status).toBe(403);
    expect((await operator().patch(`/v1/contacts/${contact.id}`, { email: 'not an email' })).status).toBe(400);
    expect((await operator().post('/v1/contacts/00000000000000000000000000/block')).status).toBe(404);
    expect((await admin().delete(`/v1/contacts/${contact.id}`)).status).toBe(204);

    const entries = await about(contact.id);
    expect(entries.map((e) => e.action)).toEqual(['contact.deleted', 'contact.blocked', 'contact.updated', 'contact.created']);
    expect(entries.map((e) => e.by)).toEqual([
      { sub: 'ana', name: 'ana' },
      { sub: 'otto', name: 'otto' },
      { sub: 'otto', name: 'otto' },
      { sub: 'otto', name: 'otto' },
    ]);
    expect(entries[2].details).toEqual({ fields: ['language', 'lastName'] });
    expect(entries.every((e) => e.target.type === 'contact')).toBe(true);
    const times = entries.map((e) => e.at);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('names an API key by its name and counts what an events call did', async () => {
    const key = await createApiKey(admin(), 'Audit platform');
    const contact = await createContact(operator());
    const events = [{ id: uniqueId('ev'), type: 'message.status', contactId: contact.id, messageId: uniqueId('m'), channel: 'sms', status: 'sent', broadcast: true, at: new Date().toISOString() }];
    const r = await stack.api.call('POST', '/v1/events', { body: { events }, headers: { 'x-api-key': key } });
    expect(r.status).toBe(202);
    const [received] = await audit('&action=events.received');
    expect(received).toMatchObject({ by: { name: 'Audit platform' }, target: { type: 'events', id: null }, details: { accepted: 1, duplicates: 0, rejected: 0 } });
    expect(received.by.apiKeyId).toEqual(expect.any(String));
    const [created] = await audit('&action=api_key.created');
    expect(created).toMatchObject({ by: { sub: 'ana' }, target: { type: 'api_key', id: received.by.apiKeyId }, details: { name: 'Audit platform' } });
  });

  it('filters by actor, action and time, pages with a cursor, and is for admins only', async () => {
    for (const name of ['One', 'Two', 'Three']) await createContact(operator(), contactBody({ firstName: name }));
    await admin().post('/v1/tags', { name: uniqueId('tag') });
    const byOtto = await audit('&actor=otto&action=contact.created');
    expect(byOtto.length).toBeGreaterThanOrEqual(3);
    expect(byOtto.every((e) => e.by.sub === 'otto' && e.action === 'contact.created')).toBe(true);
    expect((await audit('&actor=ana')).every((e) => e.by.sub === 'ana')).toBe(true);

    const first = await admin().get('/v1/audit?limit=2');
    expect(first.body.items).toHaveLength(2);
    const second = await admin().get(`/v1/audit?limit=2&cursor=${encodeURIComponent(first.body.cursor)}`);
    expect(second.body.items).toHaveLength(2);
    expect(second.body.items[0].at <= first.body.items[1].at).toBe(true);
    expect(second.body.items.map((e: Entry) => e.id)).not.toContain(first.body.items[1].id);

    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect(await audit(`&from=${tomorrow}&to=${tomorrow}`)).toEqual([]);
    const today = new Date().toISOString().slice(0, 10);
    expect((await audit(`&from=${today}&to=${today}`)).length).toBeGreaterThan(0);

    expectFieldErrors(await admin().get('/v1/audit?from=yesterday'), { from: /date/ });
    expectFieldErrors(await admin().get('/v1/audit?action=DROP TABLE'), { action: /action/ });
    expectFieldErrors(await admin().get(`/v1/audit?from=${tomorrow}&to=${today}`), { from: /after/ });
    expectFieldErrors(await admin().get('/v1/audit?cursor=forged.cursor'), { cursor: /cursor/ });
    expect((await operator().get('/v1/audit')).status).toBe(403);
    expect((await agent().get('/v1/audit')).status).toBe(403);
  });

  it('keeps no name, phone or email of the contacts it is about, and expires entries after 400 days', async () => {
    const body = contactBody({ firstName: 'Privata', lastName: 'Pessoa' });
    const contact = await createContact(operator(), body);
    await operator().patch(`/v1/contacts/${contact.id}`, { firstName: 'Renamed' });
    const raw = rawClient(stack.dynamoEndpoint);
    const items = (await raw.send(new ScanCommand({ TableName: stack.tableName, FilterExpression: '#t = :a', ExpressionAttributeNames: { '#t': 'type' }, ExpressionAttributeValues: { ':a': 'audit' } }))).Items ?? [];
    const mine = items.filter((i) => (i.target as { id: string }).id === contact.id);
    expect(mine).toHaveLength(2);
    const text = JSON.stringify(mine);
    for (const value of ['Privata', 'Pessoa', 'Renamed', body.phone as string, body.email as string]) expect(text).not.toContain(value);
    for (const item of mine) expect(item.expiresAt).toBe(Math.floor(Date.parse(item.at as string) / 1000) + 400 * 86_400);
  });
});
