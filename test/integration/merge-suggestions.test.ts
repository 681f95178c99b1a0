import { describe, expect, it } from 'vitest';
import { useLocalStack, usersOf } from '../support/api-suite.js';
import { createContact, expectFieldErrors } from '../support/factories.js';

const stack = useLocalStack();
const { operator, agent, admin } = usersOf(stack);

let serial = 0;
/** A phone no other test in this file uses. */
const freshPhone = () => `(11) 9${String(7000_0000 + ++serial * 37).padStart(8, '0')}`;

async function allSuggestions() {
  const out: { key: string; contacts: { id: string; name: string; phone: string | null; email: string | null }[] }[] = [];
  let cursor: string | null = null;
  do {
    const r: { status: number; body: any } = await agent().get(`/v1/merge-suggestions?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    expect(r.status).toBe(200);
    out.push(...r.body.items);
    cursor = r.body.cursor;
  } while (cursor);
  return out;
}

const idsOf = (s: { contacts: { id: string }[] } | undefined) => s?.contacts.map((c) => c.id).sort();

describe('merge suggestions', () => {
  it('groups contacts sharing a phone typed in different formats', async () => {
    const phone = freshPhone();
    const a = await createContact(operator(), { firstName: 'Ana', lastName: 'Souza', phone });
    const b = await createContact(operator(), { firstName: 'Ana S.', phone: `+55 ${phone}` });
    await stack.drain();
    const key = `phone:${a.phone}`;
    const found = (await allSuggestions()).find((s) => s.key === key);
    expect(idsOf(found)).toEqual([a.id, b.id].sort());
    expect(found!.contacts.find((c) => c.id === a.id)).toEqual({ id: a.id, name: 'Ana Souza', phone: a.phone, email: null });

    const own = await agent().get(`/v1/contacts/${a.id}/merge-suggestions`);
    expect(own.status).toBe(200);
    expect(own.body.items.map((s: { key: string }) => s.key)).toEqual([key]);
    expect(idsOf(own.body.items[0])).toEqual([a.id, b.id].sort());
  });

  it('groups by lower-cased email and disappears when the phone or email changes', async () => {
    const a = await createContact(operator(), { firstName: 'Bia', email: 'Bia@Example.com' });
    const b = await createContact(operator(), { firstName: 'Beatriz', email: 'bia@example.COM' });
    await stack.drain();
    expect(idsOf((await allSuggestions()).find((s) => s.key === 'email:bia@example.com'))).toEqual([a.id, b.id].sort());

    expect((await operator().patch(`/v1/contacts/${b.id}`, { email: 'beatriz@example.com' })).status).toBe(200);
    await stack.drain();
    expect((await allSuggestions()).find((s) => s.key === 'email:bia@example.com')).toBeUndefined();
    expect((await agent().get(`/v1/contacts/${a.id}/merge-suggestions`)).body.items).toEqual([]);

    expect((await operator().patch(`/v1/contacts/${b.id}`, { email: 'BIA@example.com' })).status).toBe(200);
    await stack.drain();
    expect(idsOf((await allSuggestions()).find((s) => s.key === 'email:bia@example.com'))).toEqual([a.id, b.id].sort());
  });

  it('never shows blocked contacts, and shows them again once unblocked', async () => {
    const phone = freshPhone();
    const a = await createContact(operator(), { firstName: 'Caio', phone });
    const b = await createContact(operator(), { firstName: 'Caio', phone });
    const c = await createContact(operator(), { firstName: 'Caio', phone });
    await stack.drain();
    const key = `phone:${a.phone}`;
    expect(idsOf((await allSuggestions()).find((s) => s.key === key))).toEqual([a.id, b.id, c.id].sort());

    await operator().post(`/v1/contacts/${c.id}/block`);
    await stack.drain();
    expect(idsOf((await allSuggestions()).find((s) => s.key === key))).toEqual([a.id, b.id].sort());
    expect((await agent().get(`/v1/contacts/${c.id}/merge-suggestions`)).body.items).toEqual([]);

    await operator().post(`/v1/contacts/${b.id}/block`);
    await stack.drain();
    expect((await allSuggestions()).find((s) => s.key === key)).toBeUndefined();
    expect((await agent().get(`/v1/contacts/${a.id}/merge-suggestions`)).body.items).toEqual([]);

    await admin().post(`/v1/contacts/${b.id}/unblock`);
    await stack.drain();
    expect(idsOf((await allSuggestions()).find((s) => s.key === key))).toEqual([a.id, b.id].sort());
  });

  it('drops a deleted contact', async () => {
    const phone = freshPhone();
    const a = await createContact(operator(), { firstName: 'Dora', phone });
    const b = await createContact(operator(), { firstName: 'Dora', phone });
    // Deleted before the stream has even seen it created.
    expect((await operator().delete(`/v1/contacts/${b.id}`)).status).toBe(204);
    await stack.drain();
    expect((await allSuggestions()).find((s) => s.key === `phone:${a.phone}`)).toBeUndefined();
  });

  it('answers 404 for an unknown contact, 400 for a forged cursor and 401 without a token', async () => {
    expect((await agent().get('/v1/contacts/nope/merge-suggestions')).status).toBe(404);
    expectFieldErrors(await agent().get('/v1/merge-suggestions?cursor=abc.def'), { cursor: 'is not a valid cursor' });
    expectFieldErrors(await agent().get('/v1/merge-suggestions?limit=0'), { limit: 'must be a whole number from 1 to 100' });
    expect((await stack.api.call('GET', '/v1/merge-suggestions')).status).toBe(401);
  });
});
