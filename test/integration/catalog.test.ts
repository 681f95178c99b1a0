import { beforeAll, describe, expect, it } from 'vitest';
import { jobTiming } from '../../functions/jobs/job-runner.js';
import { useLocalStack, usersOf } from '../support/api-suite.js';
import { contactBody, createContact, expectFieldErrors } from '../support/factories.js';

const stack = useLocalStack();
const { operator, agent, admin } = usersOf(stack);

beforeAll(() => {
  jobTiming.settleMs = 0;
});
const ids = (r: { body: { items: { id: string }[] } }) => r.body.items.map((x) => x.id);

describe('lists', () => {
  it('creates (operator), reads (agent), validates and refuses agents', async () => {
    const created = await operator().post('/v1/lists', { name: '  Newsletter  ' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Newsletter', memberCount: 0 });
    expect(created.body.createdAt).toMatch(/^\d{4}-/);
    expect((await agent().get(`/v1/lists/${created.body.id}`)).body).toEqual(created.body);
    expect(ids(await agent().get('/v1/lists'))).toContain(created.body.id);
    expect((await agent().post('/v1/lists', { name: 'X' })).status).toBe(403);
    expectFieldErrors(await operator().post('/v1/lists', { name: '' }), { name: 'is required' });
    expectFieldErrors(await operator().post('/v1/lists', { name: 'x'.repeat(101) }), { name: 'must be at most 100 characters' });
    expectFieldErrors(await operator().post('/v1/lists', { name: 'ok', extra: 1 }), { extra: 'unknown field' });
    const dup = await operator().post('/v1/lists', { name: 'NEWSLETTER' });
    expect(dup.status).toBe(409);
    expect((await agent().get('/v1/lists/nope')).status).toBe(404);
  });

  it('keeps memberCount exact under 20 concurrent adds and removes of the same and different contacts', async () => {
    const list = (await operator().post('/v1/lists', { name: 'Concurrency' })).body;
    const contacts = await Promise.all(Array.from({ length: 5 }, () => createContact(operator())));
    // 20 PUTs: every contact 4 times, all at once.
    const puts = await Promise.all(Array.from({ length: 20 }, (_, i) => operator().put(`/v1/contacts/${contacts[i % 5].id}/lists/${list.id}`)));
    expect(puts.map((r) => r.status)).toEqual(Array(20).fill(204));
    expect((await agent().get(`/v1/lists/${list.id}`)).body.memberCount).toBe(5);
    // Removes and re-adds racing: contacts 0-1 removed twice each, 2 removed and re-added.
    const mixed = await Promise.all([
      operator().delete(`/v1/contacts/${contacts[0].id}/lists/${list.id}`),
      operator().delete(`/v1/contacts/${contacts[0].id}/lists/${list.id}`),
      operator().delete(`/v1/contacts/${contacts[1].id}/lists/${list.id}`),
      operator().delete(`/v1/contacts/${contacts[1].id}/lists/${list.id}`),
      operator().put(`/v1/contacts/${contacts[3].id}/lists/${list.id}`),
      operator().put(`/v1/contacts/${contacts[4].id}/lists/${list.id}`),
    ]);
    expect(mixed.every((r) => r.status === 204)).toBe(true);
    expect((await agent().get(`/v1/lists/${list.id}`)).body.memberCount).toBe(3);
    const members = await agent().get(`/v1/lists/${list.id}/contacts`);
    expect(ids(members).sort()).toEqual([contacts[2].id, contacts[3].id, contacts[4].id].sort());
  });

  it('pages list members with a cursor and 404s for a missing list', async () => {
    const list = (await operator().post('/v1/lists', { name: 'Paged' })).body;
    const contacts = await Promise.all(Array.from({ length: 5 }, () => createContact(operator())));
    for (const c of contacts) await operator().put(`/v1/contacts/${c.id}/lists/${list.id}`);
    const first = await agent().get(`/v1/lists/${list.id}/contacts?limit=3`);
    expect(first.body.items).toHaveLength(3);
    const second = await agent().get(`/v1/lists/${list.id}/contacts?limit=3&cursor=${encodeURIComponent(first.body.cursor)}`);
    expect([...ids(first), ...ids(second)].sort()).toEqual(contacts.map((c) => c.id).sort());
    expect((await agent().get('/v1/lists/nope/contacts')).status).toBe(404);
    expectFieldErrors(await agent().get(`/v1/lists/${list.id}/contacts?cursor=forged`), { cursor: 'is not a valid cursor' });
  });

  it('renames the list on every membership, so profiles show the new name', async () => {
    const list = (await operator().post('/v1/lists', { name: 'Old name' })).body;
    const contacts = await Promise.all(Array.from({ length: 3 }, () => createContact(operator())));
    for (const c of contacts) await operator().put(`/v1/contacts/${c.id}/lists/${list.id}`);
    expect((await agent().patch(`/v1/lists/${list.id}`, { name: 'New' })).status).toBe(403);
    const renamed = await operator().patch(`/v1/lists/${list.id}`, { name: 'New name' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: list.id, name: 'New name', memberCount: 3 });
    await stack.idleJobs();
    for (const c of contacts) expect((await agent().get(`/v1/contacts/${c.id}`)).body.lists).toEqual([{ id: list.id, name: 'New name' }]);
    expect((await operator().patch('/v1/lists/nope', { name: 'x' })).status).toBe(404);
    // The fan-out is a job of its own, listed only when internal jobs are asked for.
    const internal = (await agent().get('/v1/jobs?internal=true&limit=100')).body.items.find((j: { type: string }) => j.type === 'rename-list');
    expect(internal).toMatchObject({ status: 'succeeded', processed: 3, total: 3 });
    expect((await agent().get('/v1/jobs?limit=100')).body.items.map((j: { type: string }) => j.type)).not.toContain('rename-list');
  });

  it('deletes a list (admin): members stay in the base, the list leaves their profiles', async () => {
    const list = (await operator().post('/v1/lists', { name: 'Doomed' })).body;
    const contacts = await Promise.all(Array.from({ length: 3 }, () => createContact(operator())));
    for (const c of contacts) await operator().put(`/v1/contacts/${c.id}/lists/${list.id}`);
    expect((await operator().delete(`/v1/lists/${list.id}`)).status).toBe(403);
    expect((await admin().delete(`/v1/lists/${list.id}`)).status).toBe(204);
    await stack.idleJobs();
    expect((await agent().get(`/v1/lists/${list.id}`)).status).toBe(404);
    for (const c of contacts) {
      const profile = await agent().get(`/v1/contacts/${c.id}`);
      expect(profile.status).toBe(200);
      expect(profile.body.lists).toEqual([]);
    }
    expect((await operator().put(`/v1/contacts/${contacts[0].id}/lists/${list.id}`)).status).toBe(404);
    expect((await admin().delete(`/v1/lists/${list.id}`)).status).toBe(404);
  });
});

describe('tags', () => {
  it('lists tags with exact contact counts and finds them by part of the name', async () => {
    const people = await Promise.all(Array.from({ length: 4 }, () => createContact(operator())));
    const gold = (await operator().post(`/v1/contacts/${people[0].id}/tags`, { name: 'Ouro Premium' })).body;
    // 20 tag requests at once, in every case, over the same four contacts.
    const names = ['ouro premium', 'OURO PREMIUM', 'Ouro premium', 'Ouro Prêmium'.replace('ê', 'e')];
    const tagged = await Promise.all(Array.from({ length: 20 }, (_, i) => operator().post(`/v1/contacts/${people[i % 4].id}/tags`, { name: names[i % 4] })));
    expect(tagged.every((r) => r.status === 200 && r.body.id === gold.id)).toBe(true);
    const removed = await Promise.all([0, 0, 1].map((i) => admin().delete(`/v1/contacts/${people[i].id}/tags/${gold.id}`)));
    expect(removed.map((r) => r.status)).toEqual([204, 204, 204]);
    const page = await agent().get('/v1/tags?limit=100');
    expect(page.status).toBe(200);
    expect(page.body.items.find((t: { id: string }) => t.id === gold.id)).toEqual({ id: gold.id, name: 'Ouro Premium', contactCount: 2, createdAt: expect.any(String) });
    expect(ids(await agent().get(`/v1/contacts?tag=${gold.id}`)).sort()).toEqual([people[2].id, people[3].id].sort());
    const found = await agent().get(`/v1/tags?q=${encodeURIComponent('PRÊMIUM')}`);
    expect(ids(found)).toEqual([gold.id]);
    expect((await agent().get(`/v1/tags/${gold.id}`)).body.contactCount).toBe(2);
  });

  it('creates a tag (201), answers 409 for a name that exists in any case, and refuses agents', async () => {
    const r = await operator().post('/v1/tags', { name: 'Cliente VIP' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'Cliente VIP', contactCount: 0 });
    const dup = await operator().post('/v1/tags', { name: 'cliente vip' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('conflict');
    expect((await agent().post('/v1/tags', { name: 'Nope' })).status).toBe(403);
    expectFieldErrors(await operator().post('/v1/tags', { name: 'x'.repeat(61) }), { name: 'must be at most 60 characters' });
    expectFieldErrors(await operator().post('/v1/tags', []), { body: 'must be a JSON object' });
  });

  it('deletes a tag (admin only): it leaves every contact and its name is free again', async () => {
    const contacts = await Promise.all(Array.from({ length: 4 }, () => createContact(operator())));
    let tagId = '';
    for (const c of contacts) tagId = (await operator().post(`/v1/contacts/${c.id}/tags`, { name: 'Temporary' })).body.id;
    expect((await operator().delete(`/v1/tags/${tagId}`)).status).toBe(403);
    expect((await admin().delete(`/v1/tags/${tagId}`)).status).toBe(204);
    await stack.idleJobs();
    for (const c of contacts) expect((await agent().get(`/v1/contacts/${c.id}`)).body.tags).toEqual([]);
    expect((await agent().get(`/v1/contacts?tag=${tagId}`)).body.items).toEqual([]);
    expect((await agent().get(`/v1/tags/${tagId}`)).status).toBe(404);
    const again = await operator().post('/v1/tags', { name: 'temporary' });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(tagId);
    expect((await admin().delete(`/v1/tags/${tagId}`)).status).toBe(404);
  });

  it('renames a tag everywhere and keeps names unique', async () => {
    const c = await createContact(operator());
    const tag = (await operator().post(`/v1/contacts/${c.id}/tags`, { name: 'Lead frio' })).body;
    await operator().post('/v1/tags', { name: 'Taken' });
    expect((await operator().patch(`/v1/tags/${tag.id}`, { name: 'TAKEN' })).status).toBe(409);
    const renamed = await operator().patch(`/v1/tags/${tag.id}`, { name: 'Lead quente' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Lead quente');
    await stack.idleJobs();
    expect((await agent().get(`/v1/contacts/${c.id}`)).body.tags).toEqual([{ id: tag.id, name: 'Lead quente' }]);
    // The old name is free; the new one is guarded.
    expect((await operator().post('/v1/tags', { name: 'lead frio' })).status).toBe(201);
    expect((await operator().post(`/v1/contacts/${c.id}/tags`, { name: 'LEAD QUENTE' })).body.id).toBe(tag.id);
  });
});

describe('companies and departments', () => {
  it('creates, reads, renames on every contact that carries it, and deletes (admin)', async () => {
    const company = await operator().post('/v1/companies', { name: 'Acme' });
    expect(company.status).toBe(201);
    expect(company.body).toMatchObject({ id: expect.any(String), name: 'Acme' });
    expect((await agent().post('/v1/companies', { name: 'X' })).status).toBe(403);
    expect((await operator().post('/v1/companies', { name: 'ACME' })).status).toBe(409);
    const holders = await Promise.all(Array.from({ length: 3 }, () => createContact(operator(), contactBody({ companyId: company.body.id }))));
    const other = await createContact(operator());
    await stack.drain();

    const renamed = await operator().patch(`/v1/companies/${company.body.id}`, { name: 'Acme Brasil' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Acme Brasil');
    await stack.idleJobs();
    for (const h of holders) expect((await agent().get(`/v1/contacts/${h.id}`)).body.company).toEqual({ id: company.body.id, name: 'Acme Brasil' });
    expect((await agent().get(`/v1/contacts/${other.id}`)).body.company).toBeNull();
    expect((await agent().get(`/v1/companies/${company.body.id}`)).body.name).toBe('Acme Brasil');

    expect((await operator().delete(`/v1/companies/${company.body.id}`)).status).toBe(403);
    expect((await admin().delete(`/v1/companies/${company.body.id}`)).status).toBe(204);
    await stack.idleJobs();
    for (const h of holders) expect((await agent().get(`/v1/contacts/${h.id}`)).body.company).toBeNull();
    expect((await agent().get(`/v1/companies/${company.body.id}`)).status).toBe(404);
    expectFieldErrors(await operator().post('/v1/contacts', { firstName: 'Late', companyId: company.body.id }), { companyId: 'no company has this id' });
  });

  it('corrects a contact that picked up a company name while it was being renamed', async () => {
    const dept = (await operator().post('/v1/departments', { name: 'Vendas' })).body;
    // The contact is written with the old name after the rename changed the department (the race the stream closes).
    const renamed = await operator().patch(`/v1/departments/${dept.id}`, { name: 'Vendas Sul' });
    expect(renamed.status).toBe(200);
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    const { ddb, tableName } = await import('../../functions/lib/dynamo.js');
    const c = await createContact(operator(), contactBody({ departmentId: dept.id }));
    await ddb().send(
      new UpdateCommand({ TableName: tableName(), Key: { pk: `CONTACT#${c.id}`, sk: 'P#PROFILE' }, UpdateExpression: 'SET department.#n = :old', ExpressionAttributeNames: { '#n': 'name' }, ExpressionAttributeValues: { ':old': 'Vendas' } }),
    );
    await stack.drain();
    await stack.drain();
    expect((await agent().get(`/v1/contacts/${c.id}`)).body.department).toEqual({ id: dept.id, name: 'Vendas Sul' });
  });

  it('lists departments and validates names', async () => {
    const d = (await operator().post('/v1/departments', { name: 'Suporte' })).body;
    expect(ids(await agent().get('/v1/departments?limit=100'))).toContain(d.id);
    expect((await agent().get('/v1/departments?q=suport')).body.items.map((x: { name: string }) => x.name)).toContain('Suporte');
    expectFieldErrors(await operator().patch(`/v1/departments/${d.id}`, { name: '' }), { name: 'is required' });
    expect((await operator().patch('/v1/departments/nope', { name: 'x' })).status).toBe(404);
    expect((await admin().delete('/v1/departments/nope')).status).toBe(404);
  });
});

describe('custom field definitions', () => {
  it('are admin-only to write, readable by agents, and type-check contact values', async () => {
    const field = { name: 'Plano', key: 'plan', type: 'choice', choices: ['Básico', 'Pro'] };
    expect((await operator().post('/v1/custom-fields', field)).status).toBe(403);
    const created = await admin().post('/v1/custom-fields', field);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), name: 'Plano', key: 'plan', type: 'choice', choices: ['Básico', 'Pro'] });
    expect((await admin().post('/v1/custom-fields', { name: 'Nascimento', key: 'birthday', type: 'date' })).status).toBe(201);
    expect((await admin().post('/v1/custom-fields', { name: 'Pontos', key: 'points', type: 'number' })).status).toBe(201);
    expect((await admin().post('/v1/custom-fields', { name: 'Again', key: 'PLAN', type: 'text' })).status).toBe(409);
    expectFieldErrors(await admin().post('/v1/custom-fields', { name: 'X', key: '9x', type: 'color', choices: [] }), {
      key: 'must start with a letter, hold only letters, digits and _ (at most 64) and not be a built-in object name (constructor, toString...)',
      type: 'must be one of text, number, date, boolean, choice',
      choices: 'only a choice field has choices',
    });
    expect((await agent().get('/v1/custom-fields?limit=100')).body.items.map((f: { key: string }) => f.key)).toEqual(expect.arrayContaining(['plan', 'birthday', 'points']));

    const bad = await operator().post('/v1/contacts', { firstName: 'Typed', customFields: { plan: 'Gold', birthday: '2024-02-30', points: '12', free: 'anything' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toEqual({ 'customFields.plan': expect.stringContaining('Básico'), 'customFields.birthday': expect.any(String), 'customFields.points': 'must be a number' });
    const good = await operator().post('/v1/contacts', { firstName: 'Typed', customFields: { plan: 'pro', birthday: '1990-05-17', points: 12, free: 'anything' } });
    expect(good.status).toBe(201);
    expect(good.body.customFields).toEqual({ plan: 'Pro', birthday: '1990-05-17', points: 12, free: 'anything' });
    expectFieldErrors(await operator().patch(`/v1/contacts/${good.body.id}`, { customFields: { points: 'many' } }), { 'customFields.points': 'must be a number' });
    expect((await agent().get(`/v1/contacts/${good.body.id}`)).body.customFields.points).toBe(12);

    const changed = await admin().patch(`/v1/custom-fields/${created.body.id}`, { choices: ['Básico', 'Pro', 'Gold'] });
    expect(changed.status).toBe(200);
    expect(changed.body.choices).toEqual(['Básico', 'Pro', 'Gold']);
    expectFieldErrors(await admin().patch(`/v1/custom-fields/${created.body.id}`, { type: 'text' }), { type: 'cannot change; create another field' });
    expect((await operator().patch(`/v1/contacts/${good.body.id}`, { customFields: { plan: 'GOLD' } })).body.customFields.plan).toBe('Gold');
    expect((await operator().delete(`/v1/custom-fields/${created.body.id}`)).status).toBe(403);
    expect((await admin().delete(`/v1/custom-fields/${created.body.id}`)).status).toBe(204);
    expect((await operator().patch(`/v1/contacts/${good.body.id}`, { customFields: { plan: 'anything now' } })).status).toBe(200);
    expect((await admin().post('/v1/custom-fields', { name: 'Plan again', key: 'plan', type: 'text' })).status).toBe(201);
  });

  it('derives the key from the name when none is given', async () => {
    const r = await admin().post('/v1/custom-fields', { name: 'Cliente desde', type: 'boolean' });
    expect(r.status).toBe(201);
    expect(r.body.key).toBe('clienteDesde');
  });
});

describe('agents directory', () => {
  it('is admin-managed; contacts are assigned by kind, and a deleted entry unassigns them', async () => {
    expect((await operator().post('/v1/agents', { name: 'Bia', kind: 'agent' })).status).toBe(403);
    const bia = await admin().post('/v1/agents', { name: 'Bia', kind: 'agent' });
    expect(bia.status).toBe(201);
    expect(bia.body).toMatchObject({ name: 'Bia', kind: 'agent' });
    const team = (await admin().post('/v1/agents', { name: 'Time Sul', type: 'group' })).body;
    expect(team.kind).toBe('group');
    expectFieldErrors(await admin().post('/v1/agents', { name: 'X', kind: 'robot' }), { kind: 'must be agent or group' });
    expect(ids(await agent().get('/v1/agents?limit=100'))).toEqual(expect.arrayContaining([bia.body.id, team.id]));

    const wrongKind = await operator().post('/v1/contacts', { firstName: 'A', assignee: { type: 'agent', id: team.id } });
    expectFieldErrors(wrongKind, { 'assignee.type': 'this id is a group' });
    const assigned = await Promise.all([0, 1].map(() => createContact(operator(), contactBody({ assignee: { type: 'agent', id: bia.body.id } }))));
    expect(ids(await agent().get(`/v1/contacts?assignee=agent:${bia.body.id}`)).sort()).toEqual(assigned.map((c) => c.id).sort());
    expect((await admin().patch(`/v1/agents/${bia.body.id}`, { name: 'Beatriz' })).body.name).toBe('Beatriz');
    expect((await admin().delete(`/v1/agents/${bia.body.id}`)).status).toBe(204);
    await stack.idleJobs();
    for (const c of assigned) expect((await agent().get(`/v1/contacts/${c.id}`)).body.assignee).toBeNull();
    expect((await agent().get(`/v1/contacts?assignee=agent:${bia.body.id}`)).body.items).toEqual([]);
  });
});
