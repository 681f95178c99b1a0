import { describe, expect, it } from 'vitest';
import { useLocalStack, usersOf } from '../support/api-suite.js';
import { contactBody, expectFieldErrors } from '../support/factories.js';

const stack = useLocalStack();
const { operator, agent, admin } = usersOf(stack);

describe('POST /v1/contacts', () => {
  it('normalizes the phone to E.164 in the default region and derives the country', async () => {
    const r = await operator().post('/v1/contacts', contactBody({ phone: '(21) 99876-5432', email: '  Maria.Silva@Example.COM ' }));
    expect(r.status).toBe(201);
    expect(r.body.phone).toBe('+5521998765432');
    expect(r.body.country).toBe('BR');
    expect(r.body.email).toBe('maria.silva@example.com');
    expect(r.body.origin).toEqual({ type: 'manual_import', label: 'Manual import' });
    expect(r.body.lists).toEqual([]);
    expect(r.body.tags).toEqual([]);
    expect(r.body.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('reads international numbers by their country code', async () => {
    const r = await operator().post('/v1/contacts', { firstName: 'Lucía', phone: '+54 9 11 2345-6789' });
    expect(r.status).toBe(201);
    expect(r.body.phone).toBe('+5491123456789');
    expect(r.body.country).toBe('AR');
  });

  it('keeps an explicit country and origin', async () => {
    const r = await operator().post('/v1/contacts', { firstName: 'Ann', country: 'pt', origin: { type: 'campaign', label: 'Campaign' } });
    expect(r.status).toBe(201);
    expect(r.body.country).toBe('PT');
    expect(r.body.origin).toEqual({ type: 'campaign', label: 'Campaign' });
  });

  it('answers field-level errors and writes nothing', async () => {
    const before = await agent().get('/v1/contacts?limit=100');
    const r = await operator().post('/v1/contacts', { firstName: 'Bad', email: 'nope', phone: '12', country: 'Brazil', origin: { type: 'x', label: '' }, extra: 1 });
    expectFieldErrors(r, {
      email: 'is not a valid email address',
      phone: 'is not a valid phone number',
      country: 'must be an ISO 3166-1 alpha-2 code, e.g. BR',
      'origin.type': 'must be one of app, app_spec, campaign, manual_import, api, csv, direct, chatbot',
      'origin.label': 'must not be empty',
      body: 'unknown field: extra',
    });
    const after = await agent().get('/v1/contacts?limit=100');
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it('requires one of firstName, phone or email', async () => {
    expectFieldErrors(await operator().post('/v1/contacts', { lastName: 'Only' }), { firstName: 'one of firstName, phone or email is required' });
  });

  it('rejects a body that is not JSON with 400', async () => {
    const r = await stack.api.call('POST', '/v1/contacts', { token: await stack.token('operator'), body: '{"firstName":', headers: { 'content-type': 'application/json' } });
    expectFieldErrors(r, { body: 'must be valid JSON' });
  });

  it('is refused to agents (403) and to anonymous callers (401)', async () => {
    expect((await agent().post('/v1/contacts', contactBody())).status).toBe(403);
    const anon = await stack.api.call('POST', '/v1/contacts', { body: contactBody() });
    expect(anon.status).toBe(401);
    expect(anon.body.error.code).toBe('unauthorized');
    const forged = await stack.api.call('GET', '/v1/contacts', { token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' });
    expect(forged.status).toBe(401);
  });
});

describe('GET /v1/contacts', () => {
  it('finds a contact by phone in any format, by email and by accent-insensitive name prefix', async () => {
    const created = (await operator().post('/v1/contacts', { firstName: 'Élodie', lastName: 'Gonçalves', phone: '+55 (31) 99111-2233', email: 'elodie@exemplo.com.br' })).body;
    for (const q of ['31991112233', '+5531991112233', '(31) 99111-2233', '55 31 99111 2233']) {
      const r = await agent().get(`/v1/contacts?q=${encodeURIComponent(q)}`);
      expect(r.status).toBe(200);
      expect(r.body.items.map((c: { id: string }) => c.id)).toEqual([created.id]);
    }
    expect((await agent().get('/v1/contacts?q=ELODIE@exemplo.com.br')).body.items.map((c: { id: string }) => c.id)).toEqual([created.id]);
    expect((await agent().get('/v1/contacts?q=elo')).body.items.map((c: { id: string }) => c.id)).toContain(created.id);
    expect((await agent().get(`/v1/contacts?q=${encodeURIComponent('GONÇ')}`)).body.items.map((c: { id: string }) => c.id)).toContain(created.id);
    expect((await agent().get('/v1/contacts?q=zzzz')).body.items).toEqual([]);
  });

  it('pages newest first with opaque cursors and rejects a forged cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await operator().post('/v1/contacts', { firstName: `Page${i}` })).body.id);
    const first = await agent().get('/v1/contacts?limit=3');
    expect(first.status).toBe(200);
    expect(first.body.items.slice(0, 3).map((c: { id: string }) => c.id)).toEqual(ids.slice(-3).reverse());
    expect(typeof first.body.cursor).toBe('string');
    const second = await agent().get(`/v1/contacts?limit=2&cursor=${encodeURIComponent(first.body.cursor)}`);
    expect(second.body.items.map((c: { id: string }) => c.id)).toEqual(ids.slice(0, 2).reverse());

    const forged = Buffer.from(JSON.stringify({ pk: 'CONTACT#x', sk: 'P#PROFILE', gsi1pk: 'CONTACT', gsi1sk: 'x' })).toString('base64url');
    for (const cursor of ['abc', `${forged}.AAAAAAAAAAAA`, first.body.cursor.slice(0, -2) + 'xx']) {
      expectFieldErrors(await agent().get(`/v1/contacts?cursor=${encodeURIComponent(cursor)}`), { cursor: 'is not a valid cursor' });
    }
  });

  it('validates limit and filters', async () => {
    expectFieldErrors(await agent().get('/v1/contacts?limit=0'), { limit: 'must be a whole number from 1 to 100' });
    expectFieldErrors(await agent().get('/v1/contacts?limit=101'), { limit: 'must be a whole number from 1 to 100' });
    expectFieldErrors(await agent().get('/v1/contacts?band=huge'), { band: 'must be one of none, low, high, very_high' });
    expectFieldErrors(await agent().get('/v1/contacts?blocked=maybe'), { blocked: 'must be true or false' });
  });
});

describe('profile, edit, block, channels, delete', () => {
  it('edits with the same validation and clears fields with null', async () => {
    const c = (await operator().post('/v1/contacts', contactBody({ phone: '(11) 98765-4321', email: 'a@b.co' }))).body;
    expectFieldErrors(await operator().patch(`/v1/contacts/${c.id}`, { phone: 'abc' }), { phone: 'is not a valid phone number' });
    expect((await agent().get(`/v1/contacts/${c.id}`)).body.phone).toBe('+5511987654321');

    const ok = await operator().patch(`/v1/contacts/${c.id}`, { lastName: 'Souza', email: null, phone: '11 3333-4444' });
    expect(ok.status).toBe(200);
    expect(ok.body.lastName).toBe('Souza');
    expect(ok.body.email).toBeNull();
    expect(ok.body.phone).toBe('+551133334444');
    expect((await agent().get(`/v1/contacts?q=a@b.co`)).body.items).toEqual([]);
    expect((await agent().get(`/v1/contacts?q=1133334444`)).body.items.map((x: { id: string }) => x.id)).toEqual([c.id]);
    expect((await agent().patch(`/v1/contacts/${c.id}`, { lastName: 'X' })).status).toBe(403);
    expect((await operator().patch(`/v1/contacts/nope`, { lastName: 'X' })).status).toBe(404);
  });

  it('blocks (operator) and unblocks (admin only), with a blocked view', async () => {
    const c = (await operator().post('/v1/contacts', contactBody())).body;
    const blocked = await operator().post(`/v1/contacts/${c.id}/block`);
    expect(blocked.status).toBe(200);
    expect(blocked.body.blocked).toBe(true);
    expect((await agent().get('/v1/contacts?blocked=true')).body.items.map((x: { id: string }) => x.id)).toContain(c.id);
    expect((await operator().post(`/v1/contacts/${c.id}/unblock`)).status).toBe(403);
    const send = await operator().post(`/v1/contacts/${c.id}/messages`, { channel: 'sms', text: 'hi' });
    expect(send.status).toBe(202);
    expect(send.body).toMatchObject({ status: 'sending_error', reason: 'blocked' });
    expect((await admin().post(`/v1/contacts/${c.id}/unblock`)).body.blocked).toBe(false);
    expect((await agent().get('/v1/contacts?blocked=true')).body.items.map((x: { id: string }) => x.id)).not.toContain(c.id);
  });

  it('subscribes and unsubscribes channels; an unsubscribed channel gives sending_error', async () => {
    const c = (await operator().post('/v1/contacts', contactBody({ channels: { whatsapp: 'subscribed' } }))).body;
    expect(c.channels.whatsapp.status).toBe('subscribed');
    const un = await operator().post(`/v1/contacts/${c.id}/channels/whatsapp/unsubscribe`);
    expect(un.body.channels.whatsapp.status).toBe('unsubscribed');
    const send = await operator().post(`/v1/contacts/${c.id}/messages`, { channel: 'whatsapp', text: 'promo' });
    expect(send.body).toMatchObject({ status: 'sending_error', reason: 'unsubscribed' });
    const ok = await operator().post(`/v1/contacts/${c.id}/messages`, { channel: 'sms', text: 'hello' });
    expect(ok.body.status).toBe('queued');
    const report = await operator().get(`/v1/dispatches?contactId=${c.id}`);
    expect(report.body.items.map((d: { status: string }) => d.status).sort()).toEqual(['queued', 'sending_error']);
    expect((await agent().get(`/v1/dispatches`)).status).toBe(403);
    expectFieldErrors(await operator().post(`/v1/contacts/${c.id}/channels/fax/unsubscribe`), { channel: 'must be one of sms, whatsapp, rcs, email, webchat, messenger, instagram' });
    expect((await operator().delete(`/v1/contacts/${c.id}/channels/whatsapp`)).status).toBe(403);
    expect((await admin().delete(`/v1/contacts/${c.id}/channels/whatsapp`)).status).toBe(204);
    expect((await agent().get(`/v1/contacts/${c.id}`)).body.channels.whatsapp).toBeUndefined();
  });

  it('tags a contact by name, creating the tag once, case-insensitively', async () => {
    const a = (await operator().post('/v1/contacts', contactBody())).body;
    const b = (await operator().post('/v1/contacts', contactBody())).body;
    const t1 = await operator().post(`/v1/contacts/${a.id}/tags`, { name: 'Gold' });
    const t2 = await operator().post(`/v1/contacts/${b.id}/tags`, { name: 'GOLD' });
    const again = await operator().post(`/v1/contacts/${b.id}/tags`, { name: 'gold' });
    expect(t1.status).toBe(200);
    expect(t2.body.id).toBe(t1.body.id);
    expect(again.body.id).toBe(t1.body.id);
    expect((await agent().get(`/v1/contacts/${a.id}`)).body.tags).toEqual([{ id: t1.body.id, name: 'Gold' }]);
    expect((await agent().get(`/v1/contacts?tag=${t1.body.id}`)).body.items.map((x: { id: string }) => x.id).sort()).toEqual([a.id, b.id].sort());
    expect((await operator().delete(`/v1/contacts/${a.id}/tags/${t1.body.id}`)).status).toBe(403);
    expect((await admin().delete(`/v1/contacts/${a.id}/tags/${t1.body.id}`)).status).toBe(204);
    expect((await agent().get(`/v1/contacts/${a.id}`)).body.tags).toEqual([]);
    expectFieldErrors(await operator().post(`/v1/contacts/${a.id}/tags`, { name: '' }), { name: 'is required' });
  });

  it('deletes a contact for good: 404 afterwards, gone from search', async () => {
    const c = (await operator().post('/v1/contacts', contactBody({ phone: '(48) 99999-0001' }))).body;
    await operator().post(`/v1/contacts/${c.id}/tags`, { name: 'ToDelete' });
    expect((await agent().delete(`/v1/contacts/${c.id}`)).status).toBe(403);
    expect((await operator().delete(`/v1/contacts/${c.id}`)).status).toBe(204);
    expect((await agent().get(`/v1/contacts/${c.id}`)).status).toBe(404);
    expect((await agent().get(`/v1/contacts/${c.id}`)).body.error.code).toBe('not_found');
    expect((await agent().get('/v1/contacts?q=48999990001')).body.items).toEqual([]);
    expect((await operator().delete(`/v1/contacts/${c.id}`)).status).toBe(404);
  });

  it('answers /v1/me with the caller role', async () => {
    const me = await agent().get('/v1/me');
    expect(me.body).toEqual({ sub: 'gil', name: 'gil', role: 'agent' });
  });
});
