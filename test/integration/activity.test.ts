import { describe, expect, it } from 'vitest';
import { useLocalStack, usersOf } from '../support/api-suite.js';
import { contactBody, createContact, uniqueId } from '../support/factories.js';

/** API.md "Activity and audit": a contact's timeline. */
const stack = useLocalStack();
const { operator, agent, admin } = usersOf(stack);

interface Entry {
  id: string;
  at: string;
  by: { sub: string; name: string } | null;
  action: string;
  details: Record<string, unknown>;
}

const timeline = async (id: string): Promise<Entry[]> => {
  const r = await agent().get(`/v1/contacts/${id}/activity?limit=100`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.items;
};
const actions = async (id: string) => (await timeline(id)).map((e) => e.action);

describe('a contact’s activity', { timeout: 180_000 }, () => {
  it('records each change once, newest first, with who made it; a refused or failed write records nothing', async () => {
    const contact = await createContact(operator(), contactBody({ firstName: 'Tímida', lastName: 'Souza' }));
    expect(await timeline(contact.id)).toEqual([{ id: expect.any(String), at: expect.any(String), by: { sub: 'otto', name: 'otto' }, action: 'created', details: {} }]);

    expect((await operator().patch(`/v1/contacts/${contact.id}`, { lastName: 'Lima', language: 'es' })).status).toBe(200);
    // Nothing changed: no entry. Refused and invalid writes: none either.
    expect((await operator().patch(`/v1/contacts/${contact.id}`, { lastName: 'Lima' })).status).toBe(200);
    expect((await agent().patch(`/v1/contacts/${contact.id}`, { lastName: 'Nope' })).status).toBe(403);
    expect((await operator().patch(`/v1/contacts/${contact.id}`, { email: 'not an email' })).status).toBe(400);

    const tag = await operator().post(`/v1/contacts/${contact.id}/tags`, { name: uniqueId('VIP') });
    expect(tag.status).toBe(200);
    const list = (await operator().post('/v1/lists', { name: uniqueId('Leads') })).body;
    expect((await operator().put(`/v1/contacts/${contact.id}/lists/${list.id}`)).status).toBe(204);
    expect((await operator().delete(`/v1/contacts/${contact.id}/lists/${list.id}`)).status).toBe(204);
    expect((await admin().delete(`/v1/contacts/${contact.id}/tags/${tag.body.id}`)).status).toBe(204);
    expect((await operator().post(`/v1/contacts/${contact.id}/block`)).status).toBe(200);
    expect((await admin().post(`/v1/contacts/${contact.id}/unblock`)).status).toBe(200);
    expect((await operator().post(`/v1/contacts/${contact.id}/channels/whatsapp/subscribe`)).status).toBe(200);
    expect((await operator().post(`/v1/contacts/${contact.id}/channels/whatsapp/unsubscribe`)).status).toBe(200);
    expect((await admin().delete(`/v1/contacts/${contact.id}/channels/whatsapp`)).status).toBe(204);
    expect((await operator().post(`/v1/contacts/${contact.id}/messages`, { channel: 'sms', text: 'Olá, segredo' })).status).toBeLessThan(300);

    const entries = await timeline(contact.id);
    expect(entries.map((e) => e.action)).toEqual([
      'message_sent',
      'channel_removed',
      'unsubscribed',
      'subscribed',
      'unblocked',
      'blocked',
      'untagged',
      'unlisted',
      'listed',
      'tagged',
      'updated',
      'created',
    ]);
    const by = (action: string) => entries.find((e) => e.action === action)!;
    expect(by('updated')).toMatchObject({ by: { sub: 'otto' }, details: { changes: [{ field: 'lastName', from: 'Souza', to: 'Lima' }, { field: 'language', from: null, to: 'es' }] } });
    expect(by('tagged').details).toEqual({ tagId: tag.body.id, tagName: tag.body.name });
    expect(by('untagged')).toMatchObject({ by: { sub: 'ana', name: 'ana' }, details: { tagId: tag.body.id } });
    expect(by('listed').details).toEqual({ listId: list.id, listName: list.name });
    expect(by('unblocked').by).toEqual({ sub: 'ana', name: 'ana' });
    expect(by('channel_removed').details).toEqual({ channel: 'whatsapp' });
    expect(by('message_sent').details).toMatchObject({ channel: 'sms' });
    expect(JSON.stringify(entries)).not.toContain('segredo');
    const times = entries.map((e) => e.at);
    expect([...times].sort().reverse()).toEqual(times);

    // Removing what is not there records nothing.
    expect((await admin().delete(`/v1/contacts/${contact.id}/channels/whatsapp`)).status).toBe(204);
    expect(await actions(contact.id)).toHaveLength(entries.length);

    // To the recycle bin and back: the timeline is kept and says both.
    expect((await operator().delete(`/v1/contacts/${contact.id}`)).status).toBe(204);
    expect((await agent().get(`/v1/contacts/${contact.id}/activity`)).status).toBe(404);
    expect((await admin().post(`/v1/recycle-bin/${contact.id}/restore`)).status).toBe(200);
    const back = await timeline(contact.id);
    expect(back.slice(0, 2).map((e) => [e.action, e.by?.sub])).toEqual([
      ['restored', 'ana'],
      ['deleted', 'otto'],
    ]);
    expect(back).toHaveLength(entries.length + 2);
  });

  it('pages, answers 404 for an unknown contact, and names an import by its job', async () => {
    const contact = await createContact(operator());
    for (const firstName of ['A', 'B', 'C']) await operator().patch(`/v1/contacts/${contact.id}`, { firstName });
    const first = await agent().get(`/v1/contacts/${contact.id}/activity?limit=2`);
    expect(first.body.items.map((e: Entry) => e.action)).toEqual(['updated', 'updated']);
    const second = await agent().get(`/v1/contacts/${contact.id}/activity?limit=2&cursor=${encodeURIComponent(first.body.cursor)}`);
    expect(second.body.items.map((e: Entry) => e.action)).toEqual(['updated', 'created']);
    expect((await agent().get('/v1/contacts/00000000000000000000000000/activity')).status).toBe(404);

    const phone = `+5511${String(Date.now()).slice(-8)}`.slice(0, 14);
    const job = await operator().post('/v1/jobs', { type: 'import-contacts', fileName: 'audit.csv', csv: `firstName,phone\nImportada,${phone}` });
    expect(job.status).toBe(202);
    await stack.idleJobs();
    const [imported] = (await agent().get(`/v1/contacts?q=${encodeURIComponent(phone)}`)).body.items;
    expect(await timeline(imported.id)).toEqual([{ id: expect.any(String), at: expect.any(String), by: { sub: 'otto', name: 'otto' }, action: 'imported', details: { jobId: job.body.id } }]);
  });

  it('follows a merge: the primary shows the duplicate’s entries, an undo gives each contact its own back', async () => {
    const body = contactBody();
    const primary = await createContact(operator(), body);
    const duplicate = await createContact(operator(), contactBody({ phone: body.phone, email: undefined, firstName: 'Dup' }));
    await operator().patch(`/v1/contacts/${duplicate.id}`, { lastName: 'Twice' });
    const merge = await operator().post('/v1/merges', { primaryId: primary.id, duplicateIds: [duplicate.id] });
    expect(merge.status).toBe(201);

    const merged = await timeline(primary.id);
    expect(merged.filter((e) => e.action === 'merged').map((e) => e.details)).toEqual(
      expect.arrayContaining([
        { mergeId: merge.body.id, role: 'primary', duplicateIds: [duplicate.id] },
        { mergeId: merge.body.id, role: 'duplicate', primaryId: primary.id },
      ]),
    );
    expect(merged.filter((e) => e.action === 'created')).toHaveLength(2);
    expect(merged.filter((e) => e.action === 'updated')).toHaveLength(1);
    expect((await agent().get(`/v1/contacts/${duplicate.id}/activity`)).status).toBe(404);

    expect((await operator().post(`/v1/merges/${merge.body.id}/undo`)).status).toBe(200);
    expect(await actions(primary.id)).toEqual(['merge_undone', 'merged', 'created']);
    expect(await actions(duplicate.id)).toEqual(['merge_undone', 'merged', 'updated', 'created']);
  });
});
