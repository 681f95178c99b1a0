import { describe, expect, it } from 'vitest';
import { useLocalStack, usersOf } from '../support/api-suite.js';
import { contactBody, createContact } from '../support/factories.js';

/** API.md "Blocks hold": a block cannot be undone by merging the contact away, nor by a second contact with the same phone or email. */
const stack = useLocalStack();
const { operator, agent, admin } = usersOf(stack);

const profile = async (id: string) => (await agent().get(`/v1/contacts/${id}`)).body;
const blockedIds = async () => (await agent().get('/v1/contacts?blocked=true&limit=100')).body.items.map((c: { id: string }) => c.id);

describe('a merge with a blocked duplicate', { timeout: 120_000 }, () => {
  it('needs an admin, and leaves the merged contact blocked (undo gives each contact its own block back)', async () => {
    const body = contactBody();
    const primary = await createContact(operator(), body);
    const duplicate = await createContact(operator(), contactBody({ phone: body.phone, email: undefined, lastName: 'Blocked' }));
    expect((await operator().post(`/v1/contacts/${duplicate.id}/block`)).status).toBe(200);

    const refused = await operator().post('/v1/merges', { primaryId: primary.id, duplicateIds: [duplicate.id] });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    // A rejected request writes nothing.
    expect((await agent().get(`/v1/contacts/${duplicate.id}`)).status).toBe(200);
    expect((await profile(primary.id)).blocked).toBe(false);
    expect((await admin().get('/v1/merges?limit=100')).body.items.filter((m: { primaryId: string }) => m.primaryId === primary.id)).toEqual([]);

    const merged = await admin().post('/v1/merges', { primaryId: primary.id, duplicateIds: [duplicate.id] });
    expect(merged.status).toBe(201);
    expect((await agent().get(`/v1/contacts/${duplicate.id}`)).status).toBe(404);
    const after = await profile(primary.id);
    expect(after).toMatchObject({ blocked: true, lastName: 'Blocked' });
    expect(await blockedIds()).toContain(primary.id);
    expect((await operator().post(`/v1/contacts/${primary.id}/messages`, { channel: 'sms', text: 'hi' })).body).toMatchObject({ status: 'sending_error', reason: 'blocked' });

    const undone = await admin().post(`/v1/merges/${merged.body.id}/undo`);
    expect(undone.status).toBe(200);
    expect((await profile(primary.id)).blocked).toBe(false);
    expect((await profile(duplicate.id)).blocked).toBe(true);
    const blocked = await blockedIds();
    expect(blocked).toContain(duplicate.id);
    expect(blocked).not.toContain(primary.id);
  });

  it('is an operator\'s to make when only the primary is blocked; it stays blocked', async () => {
    const body = contactBody();
    const primary = await createContact(operator(), body);
    const duplicate = await createContact(operator(), contactBody({ phone: body.phone }));
    await operator().post(`/v1/contacts/${primary.id}/block`);
    const merged = await operator().post('/v1/merges', { primaryId: primary.id, duplicateIds: [duplicate.id] });
    expect(merged.status).toBe(201);
    expect((await profile(primary.id)).blocked).toBe(true);
  });
});

describe('sending to a phone or email a blocked contact holds', () => {
  it('answers sending_error / blocked on the channels that reach it, and queues on the others', async () => {
    const blockedBody = contactBody();
    const blocked = await createContact(operator(), blockedBody);
    const samePhone = await createContact(operator(), contactBody({ phone: blockedBody.phone }));
    const sameEmail = await createContact(operator(), contactBody({ email: String(blockedBody.email).toUpperCase() }));
    await operator().post(`/v1/contacts/${blocked.id}/block`);

    const send = async (id: string, channel: string) => {
      const r = await operator().post(`/v1/contacts/${id}/messages`, { channel, text: 'hello' });
      expect(r.status).toBe(202);
      return r.body;
    };
    for (const channel of ['sms', 'whatsapp', 'rcs']) expect(await send(samePhone.id, channel)).toEqual({ id: expect.any(String), status: 'sending_error', reason: 'blocked' });
    expect(await send(samePhone.id, 'email')).toEqual({ id: expect.any(String), status: 'queued' });
    expect(await send(sameEmail.id, 'email')).toEqual({ id: expect.any(String), status: 'sending_error', reason: 'blocked' });
    expect(await send(sameEmail.id, 'sms')).toEqual({ id: expect.any(String), status: 'queued' });

    // Either way the dispatch appears in the dispatch report.
    const report = (await operator().get(`/v1/dispatches?contactId=${samePhone.id}`)).body.items;
    expect(report.filter((d: { status: string; reason?: string }) => d.status === 'sending_error' && d.reason === 'blocked')).toHaveLength(3);

    // Unblocking the person lets messages through again.
    expect((await admin().post(`/v1/contacts/${blocked.id}/unblock`)).status).toBe(200);
    expect(await send(samePhone.id, 'sms')).toMatchObject({ status: 'queued' });
    expect(await send(sameEmail.id, 'email')).toMatchObject({ status: 'queued' });
  });
});
