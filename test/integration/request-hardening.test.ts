import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ROUTES, routeKey } from '../../functions/http/routes.js';
import { useLocalStack } from '../support/api-suite.js';

const stack = useLocalStack();
const admin = () => stack.api.as('admin', 'hardening-admin');

/** A cursor as anyone could make one before cursors were signed: the payload and an unkeyed hash of it. */
function unkeyedCursor(state: Record<string, string>): string {
  const payload = Buffer.from(JSON.stringify(state)).toString('base64url');
  return `${payload}.${createHash('sha256').update(`cursor:v1:${payload}`).digest('base64url').slice(0, 12)}`;
}

describe('ids over DynamoDB\'s key size, or with characters no id has', () => {
  const withParams = ROUTES.filter((route) => route.auth === 'jwt' && route.path.includes('{'));

  it.each(withParams.map((route) => [routeKey(route), route] as const))('%s answers 404', async (_key, route) => {
    for (const id of ['x'.repeat(3000), 'a%23b', '%F0%9F%98%80']) {
      const path = route.path.replace(/\{\w+\}/g, id);
      const r = await stack.api.call(route.method, path, { token: await stack.token('admin', 'hardening-admin'), body: route.method === 'GET' || route.method === 'DELETE' ? undefined : { name: 'x' } });
      expect([id.slice(0, 12), r.status, r.body?.error?.code]).toEqual([id.slice(0, 12), 404, 'not_found']);
    }
  });

  it('a malformed percent escape in a path is a 404, not a 500', async () => {
    expect((await admin().get('/v1/contacts/%E0%A4%A')).status).toBe(404);
  });

  it('answers a field-level 400 for id-valued query parameters', async () => {
    const long = 't'.repeat(3000);
    const contacts = await admin().get(`/v1/contacts?tag=${long}&list=a%23b`);
    expect(contacts.status).toBe(400);
    expect(contacts.body.error.fields).toEqual({ tag: 'is not a valid id', list: 'is not a valid id' });
    const dispatches = await admin().get(`/v1/dispatches?contactId=${long}`);
    expect(dispatches.status).toBe(400);
    expect(dispatches.body.error.fields).toEqual({ contactId: 'is not a valid id' });
    const assigned = await admin().get(`/v1/contacts?assignee=agent:${long}`);
    expect(assigned.status).toBe(400);
    expect(assigned.body.error.fields.assignee).toEqual(expect.any(String));
  });

  it('checks the ids of a job\'s filter the same way', async () => {
    const r = await admin().post('/v1/jobs', { type: 'export-contacts', filter: { tag: 'x'.repeat(3000) } });
    expect(r.status).toBe(400);
    expect(r.body.error.fields).toEqual({ 'filter.tag': 'is not a valid id' });
    expect((await admin().get('/v1/jobs')).body.items).toEqual([]);
  });

  it('answers 400 when DynamoDB itself refuses a value of the body (the net under the field checks)', async () => {
    const contact = (await admin().post('/v1/contacts', { firstName: 'Netted' })).body;
    const r = await admin().post('/v1/jobs', { type: 'add-to-list', contactIds: [contact.id], listId: 'l'.repeat(3000) });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_error');
  });
});

describe('cursors', () => {
  it('page through a list when they are the ones the API gave', async () => {
    for (const name of ['Cursor A', 'Cursor B', 'Cursor C']) expect((await admin().post('/v1/lists', { name })).status).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: { name: string }[]; cursor: string | null } } = await admin().get(`/v1/lists?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((l) => l.name));
      cursor = page.body.cursor;
    } while (cursor);
    expect(seen.sort()).toEqual(['Cursor A', 'Cursor B', 'Cursor C']);
  });

  it('made without the stack secret are a 400, even one whose key DynamoDB would refuse', async () => {
    const contact = (await admin().post('/v1/contacts', { firstName: 'Cursed' })).body;
    // A sort key outside the query's begins_with range: DynamoDB answers it with a ValidationException.
    const outside = unkeyedCursor({ pk: `CONTACT#${contact.id}`, sk: 'P#PROFILE' });
    const r = await admin().get(`/v1/dispatches?contactId=${contact.id}&cursor=${encodeURIComponent(outside)}`);
    expect(r.status).toBe(400);
    expect(r.body.error.fields).toEqual({ cursor: 'is not a valid cursor' });
    const lists = await admin().get(`/v1/lists?cursor=${encodeURIComponent(unkeyedCursor({ pk: 'LIST#x', sk: 'LIST', gsi1pk: 'LIST', gsi1sk: 'x' }))}`);
    expect(lists.status).toBe(400);
  });
});
