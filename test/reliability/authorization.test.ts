import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, routeKey, type RouteDefinition } from '../../functions/http/routes.js';
import { PERMISSIONS, ROLES, type Permission, type Role } from '../../shared/roles.js';
import { contactBody } from '../support/factories.js';
import { startLocalStack, type ApiResponse } from '../support/local-stack.js';
import { refusedTokens, roleLessToken } from '../support/tokens.js';

/**
 * The least role that may call a route: the one its permission names
 * (shared/roles.ts) for the access the route table gives it
 * (shared/api-routes.ts). Every route behind the JWT authorizer is tried
 * with every role, bad tokens and no token.
 */
const leastRole = (route: RouteDefinition): Role => PERMISSIONS[route.access as Permission];

type Stack = Awaited<ReturnType<typeof startLocalStack>>;
let stack: Stack;
let dataDir: string;
let badTokens: Record<string, string>;
let shared: Fixtures;
let serial = 0;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'authz-'));
  stack = await startLocalStack({ dataDir });
  badTokens = { ...(await refusedTokens(stack, dataDir)), 'a token without a role group': await roleLessToken(stack, dataDir) };
  shared = await fixtures();
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const created = async (response: Promise<ApiResponse>, what: string) => {
  const r = await response;
  if (r.status >= 300) throw new Error(`fixture ${what} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
};
const admin = () => stack.api.as('admin', 'fixture-admin');

/** A contact with a channel, a list and a tag, so every contact sub-route has something real to act on. */
async function contactWithRelations(n: number, list: { id: string }, tagName: string) {
  const contact = await created(admin().post('/v1/contacts', contactBody({ firstName: `Secretname${n}`, channels: { sms: 'subscribed' } })), 'contact');
  await created(admin().put(`/v1/contacts/${contact.id}/lists/${list.id}`), 'list membership');
  const tag = await created(admin().post(`/v1/contacts/${contact.id}/tags`, { name: tagName }), 'tag');
  return { contact, tag };
}

async function aMerge(n: number) {
  const [primary, duplicate] = await Promise.all([
    created(admin().post('/v1/contacts', { firstName: `Mergeprimary${n}` }), 'merge primary'),
    created(admin().post('/v1/contacts', { firstName: `Mergeduplicate${n}` }), 'merge duplicate'),
  ]);
  return created(admin().post('/v1/merges', { primaryId: primary.id, duplicateIds: [duplicate.id] }), 'merge');
}

/** One real entity of every kind a path can name, created by an admin; refusals must never leak their ids or names. */
async function fixtures() {
  const n = ++serial;
  const [list, company, department, customField, agent, apiKey, job, merge] = await Promise.all([
    created(admin().post('/v1/lists', { name: `Secret list ${n}` }), 'list'),
    created(admin().post('/v1/companies', { name: `Secret company ${n}` }), 'company'),
    created(admin().post('/v1/departments', { name: `Secret department ${n}` }), 'department'),
    created(admin().post('/v1/custom-fields', { name: `Secret field ${n}`, type: 'text' }), 'custom field'),
    created(admin().post('/v1/agents', { name: `Secret agent ${n}`, kind: 'agent' }), 'agent'),
    created(admin().post('/v1/api-keys', { name: `Secret key ${n}` }), 'api key'),
    created(admin().post('/v1/jobs', { type: 'export-contacts' }), 'job'),
    aMerge(n),
  ]);
  const { contact, tag } = await contactWithRelations(n, list, `Secret tag ${n}`);
  return { n, contact, list, tag, company, department, customField, agent, apiKey, job, merge };
}
type Fixtures = Awaited<ReturnType<typeof fixtures>>;

/**
 * Fixtures for one route: reads use the shared set; a write that names an
 * entity gets a fresh one of that kind, since an admitted role may change
 * or delete it.
 */
async function fixturesFor(route: RouteDefinition): Promise<Fixtures> {
  if (route.method === 'GET' || !route.path.includes('{')) return shared;
  const n = ++serial;
  const collection = route.path.split('/')[2];
  const fresh: Record<string, () => Promise<Partial<Fixtures>>> = {
    contacts: () => contactWithRelations(n, shared.list, shared.tag.name),
    lists: async () => ({ list: await created(admin().post('/v1/lists', { name: `Secret list ${n}` }), 'list') }),
    tags: async () => ({ tag: await created(admin().post('/v1/tags', { name: `Secret tag ${n}` }), 'tag') }),
    companies: async () => ({ company: await created(admin().post('/v1/companies', { name: `Secret company ${n}` }), 'company') }),
    departments: async () => ({ department: await created(admin().post('/v1/departments', { name: `Secret department ${n}` }), 'department') }),
    'custom-fields': async () => ({ customField: await created(admin().post('/v1/custom-fields', { name: `Secret field ${n}`, type: 'text' }), 'custom field') }),
    agents: async () => ({ agent: await created(admin().post('/v1/agents', { name: `Secret agent ${n}`, kind: 'agent' }), 'agent') }),
    'api-keys': async () => ({ apiKey: await created(admin().post('/v1/api-keys', { name: `Secret key ${n}` }), 'api key') }),
    merges: async () => ({ merge: await aMerge(n) }),
  };
  return { ...shared, n, ...(await (fresh[collection] ?? (async () => ({})))()) };
}

/** The id a path parameter names, by the collection the path is under. */
function pathFor(route: RouteDefinition, f: Fixtures): string {
  const collection = route.path.split('/')[2];
  const byCollection: Record<string, string> = {
    contacts: f.contact.id,
    lists: f.list.id,
    tags: f.tag.id,
    companies: f.company.id,
    departments: f.department.id,
    'custom-fields': f.customField.id,
    agents: f.agent.id,
    jobs: f.job.id,
    'api-keys': f.apiKey.id,
    merges: f.merge.id,
  };
  return route.path
    .replace('{id}', byCollection[collection] ?? 'no-such-id')
    .replace('{listId}', f.list.id)
    .replace('{tagId}', f.tag.id)
    .replace('{channel}', 'sms');
}

/** A valid body per write route, so an admitted role really runs the handler. */
async function bodyFor(route: RouteDefinition, f: Fixtures): Promise<unknown> {
  const bodies: Record<string, () => Promise<unknown> | unknown> = {
    'POST /v1/contacts': () => ({ firstName: 'Created' }),
    'PATCH /v1/contacts/{id}': () => ({ lastName: 'Edited' }),
    'POST /v1/contacts/{id}/tags': () => ({ name: `Another tag ${f.n}` }),
    'POST /v1/contacts/{id}/messages': () => ({ channel: 'sms', text: 'Olá' }),
    'POST /v1/custom-fields': () => ({ name: `Another field ${f.n}`, type: 'number' }),
    'POST /v1/agents': () => ({ name: `Another agent ${f.n}`, kind: 'group' }),
    'POST /v1/jobs': () => ({ type: 'export-contacts' }),
    'POST /v1/merges': async () => {
      const merge = await aMerge(++serial);
      return { primaryId: merge.primaryId, duplicateIds: [(await created(admin().post('/v1/contacts', { firstName: 'Another duplicate' }), 'duplicate')).id] };
    },
  };
  const body = bodies[routeKey(route)];
  if (body) return body();
  return route.method === 'POST' || route.method === 'PATCH' ? { name: `Renamed ${f.n} ${route.method}` } : undefined;
}

function secretsOf(f: Fixtures): string[] {
  return [f.contact.id, f.contact.phone, f.contact.email, f.list.id, f.tag.id, f.company.id, f.department.id, f.customField.id, f.agent.id, f.apiKey.id, f.job.id, f.merge.id, 'Secretname', 'Secret '];
}

/** A refusal carries the error and nothing else: no entity, no id, no name. */
function expectBareRefusal(r: ApiResponse, status: 401 | 403, secrets: string[]) {
  expect(r.status).toBe(status);
  expect(r.body).toEqual({ error: { code: status === 401 ? 'unauthorized' : 'forbidden', message: expect.any(String) } });
  const text = JSON.stringify(r.body);
  for (const secret of secrets) expect(text).not.toContain(secret);
}

const jwtRoutes = ROUTES.filter((route) => route.auth === 'jwt');

describe('every route behind the JWT authorizer', () => {
  it('each has a permission of the role matrix', () => {
    const unclassified = jwtRoutes.filter((route) => !(route.access in PERMISSIONS)).map(routeKey);
    expect(unclassified, 'give these routes a Permission in shared/api-routes.ts').toEqual([]);
  });

  it.each(jwtRoutes.map((route) => [routeKey(route), route] as const))('%s: refuses bad tokens and roles below its own, admits the rest', async (key, route) => {
    const f = await fixturesFor(route);
    const path = pathFor(route, f);
    const body = await bodyFor(route, f);
    const secrets = secretsOf(f);

    expectBareRefusal(await stack.api.call(route.method, path, { body }), 401, secrets);
    for (const [what, token] of Object.entries(badTokens)) {
      const r = await stack.api.call(route.method, path, { token, body });
      // The authorizer passes a valid token without a role; the function then refuses it (401 or 403 are both honest).
      const refusals = what === 'a token without a role group' ? [401, 403] : [401];
      expect(refusals, `${key} with ${what} answered ${r.status}`).toContain(r.status);
      expectBareRefusal(r, r.status as 401 | 403, secrets);
    }

    const least = ROLES.indexOf(leastRole(route));
    for (const role of ROLES) {
      const r = await stack.api.call(route.method, path, { token: await stack.token(role, `matrix-${role}`), body });
      if (ROLES.indexOf(role) < least) {
        expectBareRefusal(r, 403, secrets);
      } else {
        expect([role, r.status], `${key} as ${role}: ${JSON.stringify(r.body)?.slice(0, 300)}`).toEqual([role, expect.toSatisfy((s: number) => s !== 401 && s !== 403 && s < 500)]);
      }
    }
  });
});

describe('the role check comes before the body', () => {
  const withBody = jwtRoutes.filter((route) => route.body && leastRole(route) !== 'agent');

  it.each(withBody.map((route) => [routeKey(route), route] as const))('%s: a role without the action gets 403 for any body, never 400', async (_key, route) => {
    const f = await fixturesFor(route);
    const path = pathFor(route, f);
    const below = ROLES[ROLES.indexOf(leastRole(route)) - 1];
    const token = await stack.token(below, `matrix-${below}`);
    for (const body of [{ unknownField: 1 }, { name: '' }, [], 'not json {', undefined]) {
      const r = await stack.api.call(route.method, path, { token, body, ...(typeof body === 'string' ? { headers: { 'content-type': 'application/json' } } : {}) });
      expect([JSON.stringify(body), r.status]).toEqual([JSON.stringify(body), 403]);
      expectBareRefusal(r, 403, secretsOf(f));
    }
  });
});

describe('routes anyone may call', () => {
  it('answer without a token', async () => {
    const open = ROUTES.filter((route) => route.auth === 'none');
    expect(open.map(routeKey)).toEqual(['GET /v1/openapi.json']);
    for (const route of open) expect((await stack.api.call(route.method, route.path)).status, routeKey(route)).toBe(200);
  });
});

describe('bulk deletes', () => {
  it('lets operators delete selected contacts but keeps "delete all" and filtered deletes for admins', async () => {
    const f = { ...shared, ...(await contactWithRelations(++serial, shared.list, shared.tag.name)) };
    const operator = stack.api.as('operator', 'matrix-operator');
    expectBareRefusal(await operator.post('/v1/jobs', { type: 'delete-contacts', all: true }), 403, secretsOf(f));
    expectBareRefusal(await operator.post('/v1/jobs', { type: 'delete-contacts', filter: { list: f.list.id } }), 403, secretsOf(f));
    expect((await operator.post('/v1/jobs', { type: 'delete-contacts', contactIds: [f.contact.id] })).status).toBe(202);
    await stack.idleJobs();
    expect((await stack.api.as('agent').get(`/v1/contacts/${f.contact.id}`)).status).toBe(404);
  });
});

describe('POST /v1/events (x-api-key instead of a JWT)', () => {
  const event = () => ({ id: `authz-${Date.now()}-${Math.random()}`, type: 'message.status', at: new Date().toISOString(), phone: '+5511960000001', messageId: 'm1', channel: 'sms', status: 'sent', broadcast: false });

  it('refuses a missing, unknown, malformed or revoked key, and a bearer token in its place', async () => {
    const f = { ...shared, apiKey: await created(admin().post('/v1/api-keys', { name: 'Revoked soon' }), 'api key') };
    const secrets = secretsOf(f);
    const call = (headers: Record<string, string>) => stack.api.call('POST', '/v1/events', { body: { events: [event()] }, headers });
    expectBareRefusal(await call({}), 401, secrets);
    expectBareRefusal(await call({ 'x-api-key': 'ck_live_not-a-real-key' }), 401, secrets);
    expectBareRefusal(await call({ 'x-api-key': `${f.apiKey.key}x` }), 401, secrets);
    expectBareRefusal(await call({ 'x-api-key': '' }), 401, secrets);
    expectBareRefusal(await call({ authorization: `Bearer ${await stack.token('admin')}` }), 401, secrets);

    expect((await call({ 'x-api-key': f.apiKey.key })).status).toBe(202);
    expect((await stack.api.as('admin').delete(`/v1/api-keys/${f.apiKey.id}`)).status).toBe(204);
    expectBareRefusal(await call({ 'x-api-key': f.apiKey.key }), 401, secrets);
  });
});
