import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, routeKey } from '../../functions/http/routes.js';
import type { Role } from '../../shared/roles.js';
import { startLocalStack, type ApiResponse } from '../support/local-stack.js';
import { snapshotDiff, tableSnapshots, type TableSnapshot } from '../support/table-snapshot.js';

/**
 * Fuzzing of every write route: whatever the body, never a 5xx and never a
 * stack trace; a 400 names its fields; and a request that is refused
 * (400, 404, 409) leaves every item of the table exactly as it was.
 */

type Stack = Awaited<ReturnType<typeof startLocalStack>>;
let stack: Stack;
let snapshots: ReturnType<typeof tableSnapshots>;
let f: { contactId: string; listId: string; tagId: string; companyId: string; departmentId: string; apiKey: string };

beforeAll(async () => {
  stack = await startLocalStack();
  snapshots = tableSnapshots(stack);
  const admin = stack.api.as('admin', 'fuzz-admin');
  const contact = await admin.post('/v1/contacts', { firstName: 'Fuzz', phone: '+55 11 98888-0000', email: 'fuzz@fixture.example', channels: { sms: 'subscribed' } });
  const list = await admin.post('/v1/lists', { name: 'Fuzz list' });
  const tag = await admin.post('/v1/tags', { name: 'Fuzz tag' });
  const company = await admin.post('/v1/companies', { name: 'Fuzz company' });
  const department = await admin.post('/v1/departments', { name: 'Fuzz department' });
  const key = await admin.post('/v1/api-keys', { name: 'Fuzz key' });
  f = { contactId: contact.body.id, listId: list.body.id, tagId: tag.body.id, companyId: company.body.id, departmentId: department.body.id, apiKey: key.body.key };
});
afterAll(async () => {
  snapshots?.close();
  await stack?.stop();
});

/** A request the fuzzer makes, and for a refused one what the refusal must name. */
interface Attempt {
  path: string;
  body?: unknown;
  /** A field `error.fields` must name (itself or a sub-field; any of a list), when the request is invalid for a known reason. */
  field?: string | string[];
  /** Status a refused attempt must get when it is not a 400 (an id that names nothing: 404), or the statuses it may get. */
  status?: number | number[];
}

interface WriteRoute {
  route: string;
  role: Role;
  /** Bodies a client might send, valid or not. */
  any: fc.Arbitrary<Attempt>;
  /** Attempts that must be refused. */
  refused: fc.Arbitrary<Attempt>;
  headers?: () => Record<string, string>;
}

const junk = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ maxLength: 300 }),
  fc.constantFrom(null, [], {}, 0, -1, true, '', ' ', '\u0000', 'x'.repeat(5000), { __proto__: { admin: true } }, [{}]),
);
const text = (max: number) => fc.string({ minLength: 1, maxLength: max }).filter((s) => s.trim().length > 0);
const phones = fc.constantFrom('+55 11 98765-4321', '(21) 99876-5432', '+1 415 555 0100', '+54 9 11 2345-6789', '11987654321');
const channelMap = fc.dictionary(fc.constantFrom('sms', 'whatsapp', 'email', 'rcs'), fc.constantFrom('subscribed', 'unsubscribed'), { maxKeys: 3 });

/** Emails every validator accepts; `fc.emailAddress()` also makes RFC-valid oddities the API may refuse. */
const plainEmail = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,15}$/), fc.constantFrom('example.com', 'exemplo.com.br')).map(([local, domain]) => `${local}@${domain}`);

/** Contact bodies; `strict` keeps every field valid, so one injected bad field is the only fault. */
const contactFields = (strict = false) =>
  fc.record(
    {
      firstName: text(100),
      lastName: fc.option(text(100)),
      phone: phones,
      email: strict ? plainEmail : fc.oneof(plainEmail, fc.emailAddress()),
      country: fc.constantFrom('BR', 'pt', 'US'),
      language: fc.constantFrom('pt-BR', 'es', 'en'),
      origin: fc.record({ type: fc.constantFrom('app', 'campaign', 'api', 'direct'), label: text(50) }),
      // Digits keep strict keys clear of the custom field definitions other properties create (their keys have none).
      customFields: fc.dictionary(strict ? fc.stringMatching(/^x[0-9]{1,3}$/) : fc.stringMatching(/^[a-z]{1,10}$/), fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean())),
      channels: channelMap,
      companyId: fc.constant(undefined),
    },
    { requiredKeys: ['firstName'] },
  );

/** Field -> values that are never valid for it, with the field `error.fields` must name. */
const INVALID_CONTACT_FIELDS: Record<string, fc.Arbitrary<unknown>> = {
  email: fc.constantFrom('not-an-email', 'a@', '@b.com', 'two@@at.com', 42),
  phone: fc.constantFrom('12', 'call me', '+999 1', 12345, { number: '1' }),
  country: fc.constantFrom('Brazil', 'B1', 'BRA', 7),
  origin: fc.constantFrom({ type: 'telepathy', label: 'x' }, { type: 'api', label: '' }, 'api', { type: 'api', label: 'x', extra: 1 }),
  language: fc.constantFrom('!!', 'english language', 5),
  channels: fc.constantFrom({ sms: 'maybe' }, { fax: 'subscribed' }, 'sms', ['sms']),
  customFields: fc.constantFrom('plain', [1], { nested: { deep: 1 } }, { k: 'x'.repeat(1001) }),
  firstName: fc.constantFrom('x'.repeat(101), 123, { first: 'A' }),
  lastName: fc.constantFrom('y'.repeat(101), false),
  assignee: fc.constantFrom({ type: 'robot', id: 'r1' }, { type: 'agent' }, 'agent:1', { type: 'agent', id: 'no-such-agent' }),
  companyId: fc.constantFrom('no-such-company', ''),
  departmentId: fc.constantFrom('no-such-department'),
  unknownField: fc.constantFrom(1, 'x'),
};

/** A valid body with exactly one field made invalid. */
function withOneInvalid(valid: fc.Arbitrary<Record<string, unknown>>, invalid: Record<string, fc.Arbitrary<unknown>>, path: () => string): fc.Arbitrary<Attempt> {
  return fc
    .tuple(valid, fc.constantFrom(...Object.keys(invalid)))
    .chain(([body, field]) => invalid[field].map((value) => ({ path: path(), body: { ...body, [field]: value }, field })));
}

const named = (max: number) => fc.record({ name: text(max) });
const INVALID_NAME = { name: fc.constantFrom('', '   ', 'n'.repeat(200), 42, null, ['a']), color: fc.constant('red') };
const fakeId = fc.oneof(fc.stringMatching(/^[0-9A-Z]{26}$/), fc.constantFrom('does-not-exist', '%2e%2e', 'a'.repeat(64), '0'));
const anyOf = (path: () => string, valid: fc.Arbitrary<unknown>): fc.Arbitrary<Attempt> => fc.oneof(valid, junk).map((body) => ({ path: path(), body }));

const catalogCreate = (collection: string, max: number): WriteRoute => ({
  route: `POST /v1/${collection}`,
  role: 'operator',
  any: anyOf(() => `/v1/${collection}`, named(max)),
  refused: withOneInvalid(named(max), INVALID_NAME, () => `/v1/${collection}`),
});
const catalogRename = (collection: string, id: () => string, max: number): WriteRoute => ({
  route: `PATCH /v1/${collection}/{id}`,
  role: 'operator',
  any: anyOf(() => `/v1/${collection}/${id()}`, named(max)),
  refused: fc.oneof(
    withOneInvalid(named(max), INVALID_NAME, () => `/v1/${collection}/${id()}`),
    // A name another entry holds may be refused as a conflict before the missing id is noticed: either refusal writes nothing.
    fc.tuple(fakeId, named(max)).map(([missing, body]) => ({ path: `/v1/${collection}/${encodeURIComponent(missing)}`, body, status: [404, 409] })),
  ),
});

const event = fc.record({
  id: fc.uuid(),
  type: fc.constant('message.status'),
  at: fc.date({ min: new Date(Date.now() - 80 * 86_400_000), max: new Date(Date.now() - 60_000), noInvalidDate: true }).map((d) => d.toISOString()),
  phone: fc.constant('+55 11 98888-0000'),
  messageId: fc.uuid(),
  channel: fc.constantFrom('sms', 'whatsapp', 'email'),
  status: fc.constantFrom('sent', 'delivered', 'read'),
  broadcast: fc.boolean(),
});
/** Events that each fail validation or resolution: a call of only these must change nothing. */
const badEvent = fc.oneof(
  event.map((e) => ({ ...e, status: 'exploded' })),
  event.map((e) => ({ ...e, at: 'yesterday' })),
  event.map((e) => ({ ...e, at: new Date(Date.now() + 86_400_000).toISOString() })),
  event.map((e) => ({ ...e, channel: 'pigeon' })),
  event.map(({ phone: _phone, ...e }) => e),
  event.map((e) => ({ ...e, phone: '+55 11 90000-0000' })),
  event.map((e) => ({ ...e, phone: undefined, contactId: 'no-such-contact' })),
  event.map((e) => ({ ...e, type: 'conversation.status', kind: 'gossip', conversationId: 'c1' })),
  junk,
);

const ROUTES_UNDER_TEST: WriteRoute[] = [
  {
    route: 'POST /v1/contacts',
    role: 'operator',
    any: anyOf(() => '/v1/contacts', contactFields()),
    refused: fc.oneof(
      withOneInvalid(contactFields(true), INVALID_CONTACT_FIELDS, () => '/v1/contacts'),
      fc.constant({ path: '/v1/contacts', body: { lastName: 'Only' }, field: 'firstName' }),
      junk.filter((b) => typeof b !== 'object' || b === null || Array.isArray(b)).map((body) => ({ path: '/v1/contacts', body, field: 'body' })),
    ),
  },
  {
    route: 'PATCH /v1/contacts/{id}',
    role: 'operator',
    any: anyOf(() => `/v1/contacts/${f.contactId}`, contactFields()),
    refused: fc.oneof(
      withOneInvalid(contactFields(true), INVALID_CONTACT_FIELDS, () => `/v1/contacts/${f.contactId}`),
      fc.constant(0).map(() => ({ path: `/v1/contacts/${f.contactId}`, body: { firstName: null, phone: null, email: null }, field: 'firstName' })),
      fakeId.map((missing) => ({ path: `/v1/contacts/${encodeURIComponent(missing)}`, body: { lastName: 'Valid' }, status: 404 })),
    ),
  },
  {
    route: 'PUT /v1/contacts/{id}/lists/{listId}',
    role: 'operator',
    any: fc.constantFrom(true, false).map((real) => ({ path: `/v1/contacts/${f.contactId}/lists/${real ? f.listId : 'nope'}` })),
    refused: fc.oneof(
      fakeId.map((missing) => ({ path: `/v1/contacts/${f.contactId}/lists/${encodeURIComponent(missing)}`, status: 404 })),
      fakeId.map((missing) => ({ path: `/v1/contacts/${encodeURIComponent(missing)}/lists/${f.listId}`, status: 404 })),
    ),
  },
  {
    route: 'POST /v1/contacts/{id}/tags',
    role: 'operator',
    any: anyOf(() => `/v1/contacts/${f.contactId}/tags`, named(60)),
    refused: fc.oneof(
      withOneInvalid(named(60), { name: fc.constantFrom('', '  ', 't'.repeat(61), 7, null) }, () => `/v1/contacts/${f.contactId}/tags`),
      fc.tuple(fakeId, named(60)).map(([missing, body]) => ({ path: `/v1/contacts/${encodeURIComponent(missing)}/tags`, body, status: 404 })),
    ),
  },
  {
    route: 'POST /v1/contacts/{id}/channels/{channel}/unsubscribe',
    role: 'operator',
    any: fc.oneof(fc.constantFrom('sms', 'email', 'whatsapp'), fc.string({ minLength: 1, maxLength: 20 })).map((channel) => ({ path: `/v1/contacts/${f.contactId}/channels/${encodeURIComponent(channel)}/unsubscribe` })),
    refused: fc.oneof(
      fc.constantFrom('fax', 'SMS', 'pigeon', 'e-mail').map((channel) => ({ path: `/v1/contacts/${f.contactId}/channels/${channel}/unsubscribe`, field: 'channel' })),
      fakeId.map((missing) => ({ path: `/v1/contacts/${encodeURIComponent(missing)}/channels/sms/subscribe`, status: 404 })),
    ),
  },
  {
    route: 'POST /v1/contacts/{id}/block',
    role: 'operator',
    any: fc.constant({ path: '/v1/contacts/x/block' }).map(() => ({ path: `/v1/contacts/${f.contactId}/block` })),
    refused: fakeId.map((missing) => ({ path: `/v1/contacts/${encodeURIComponent(missing)}/block`, status: 404 })),
  },
  {
    route: 'POST /v1/contacts/{id}/messages',
    role: 'operator',
    any: anyOf(() => `/v1/contacts/${f.contactId}/messages`, fc.record({ channel: fc.constantFrom('sms', 'whatsapp', 'fax'), text: fc.string({ maxLength: 100 }) })),
    refused: fc.oneof(
      withOneInvalid(fc.record({ channel: fc.constantFrom('sms', 'email'), text: text(50) }), { channel: fc.constantFrom('fax', 3, null), text: fc.constantFrom('', '   ', 'x'.repeat(4097), 12) }, () => `/v1/contacts/${f.contactId}/messages`),
      fakeId.map((missing) => ({ path: `/v1/contacts/${encodeURIComponent(missing)}/messages`, body: { channel: 'sms', text: 'hi' }, status: 404 })),
    ),
  },
  catalogCreate('lists', 100),
  catalogCreate('tags', 60),
  catalogCreate('companies', 100),
  catalogCreate('departments', 100),
  catalogRename('lists', () => f.listId, 100),
  catalogRename('companies', () => f.companyId, 100),
  catalogRename('departments', () => f.departmentId, 100),
  {
    route: 'POST /v1/custom-fields',
    role: 'admin',
    any: anyOf(() => '/v1/custom-fields', fc.record({ name: text(100), type: fc.constantFrom('text', 'number', 'date', 'boolean', 'choice', 'colour') })),
    refused: withOneInvalid(
      fc.record({ name: fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,30}$/), type: fc.constantFrom('text', 'number') }),
      { type: fc.constantFrom('colour', '', 4), name: fc.constantFrom('', 9), choices: fc.constant(['a', 'b']) },
      () => '/v1/custom-fields',
    ),
  },
  {
    route: 'POST /v1/agents',
    role: 'admin',
    any: anyOf(() => '/v1/agents', fc.record({ name: text(100), kind: fc.constantFrom('agent', 'group', 'robot') })),
    refused: withOneInvalid(fc.record({ name: text(100), kind: fc.constantFrom('agent', 'group') }), { kind: fc.constantFrom('robot', 1), name: fc.constantFrom('', null) }, () => '/v1/agents'),
  },
  {
    route: 'POST /v1/jobs',
    role: 'admin',
    any: anyOf(
      () => '/v1/jobs',
      fc.oneof(
        fc.record({ type: fc.constant('export-contacts') }),
        fc.record({ type: fc.constant('import-contacts'), fileName: text(30), csv: fc.constantFrom('firstName,phone\nAna,+5511977776666\n', 'a,b\n"unclosed', 'email\nnot-an-email\n') }),
        fc.record({ type: fc.constant('tag-contacts'), contactIds: fc.constant([] as string[]).map(() => [f.contactId]), tagName: text(20) }),
      ),
    ),
    refused: fc.oneof(
      fc.constantFrom(
        { path: '/v1/jobs', body: { type: 'reticulate-splines' }, field: 'type' },
        { path: '/v1/jobs', body: { type: 'delete-contacts', contactIds: [] }, field: 'contactIds' },
        { path: '/v1/jobs', body: { type: 'delete-contacts', contactIds: ['a'], all: true }, field: 'all' },
        { path: '/v1/jobs', body: { type: 'import-contacts', fileName: 'x.csv', csv: '' }, field: 'csv' },
        { path: '/v1/jobs', body: { type: 'import-contacts', fileName: 'x.csv', csvGzipBase64: 'not gzip' }, field: 'csvGzipBase64' },
        { path: '/v1/jobs', body: { type: 'import-contacts', csv: 'firstName\nAna\n' }, field: 'fileName' },
        { path: '/v1/jobs', body: { type: 'import-contacts', fileName: 'x.csv', csv: 'firstName\nAna\n', onDuplicate: 'merge' }, field: 'onDuplicate' },
        { path: '/v1/jobs', body: { type: 'add-to-list', all: true, listId: 'no-such-list' }, field: 'listId' },
        { path: '/v1/jobs', body: { type: 'tag-contacts', all: true }, field: 'tagName' },
        { path: '/v1/jobs', body: { type: 'export-contacts', filter: { band: 'huge' } }, field: 'filter.band' },
      ),
      junk.filter((b) => typeof b !== 'object' || b === null || Array.isArray(b)).map((body) => ({ path: '/v1/jobs', body, field: 'body' })),
    ),
  },
  {
    route: 'POST /v1/api-keys',
    role: 'admin',
    any: anyOf(() => '/v1/api-keys', named(100)),
    refused: withOneInvalid(named(100), { name: fc.constantFrom('', '  ', 'k'.repeat(101), 5) }, () => '/v1/api-keys'),
  },
  {
    route: 'POST /v1/merges',
    role: 'operator',
    any: anyOf(() => '/v1/merges', fc.record({ primaryId: fc.constant('').map(() => f.contactId), duplicateIds: fc.array(fakeId, { maxLength: 3 }) })),
    refused: fc.oneof(
      fc.constant(0).map(() => ({ path: '/v1/merges', body: { primaryId: f.contactId, duplicateIds: [] }, field: 'duplicateIds' })),
      fc.constant(0).map(() => ({ path: '/v1/merges', body: { primaryId: f.contactId, duplicateIds: [f.contactId] }, field: 'duplicateIds' })),
      fc.constant(0).map(() => ({ path: '/v1/merges', body: { duplicateIds: ['x'] }, field: 'primaryId' })),
      fakeId.map((missing) => ({ path: '/v1/merges', body: { primaryId: f.contactId, duplicateIds: [missing] }, field: 'duplicateIds' })),
    ),
  },
  {
    route: 'POST /v1/events',
    role: 'agent',
    headers: () => ({ 'x-api-key': f.apiKey }),
    any: anyOf(() => '/v1/events', fc.record({ events: fc.array(fc.oneof(event, badEvent), { maxLength: 20 }) })),
    refused: fc.oneof(
      fc.array(badEvent, { minLength: 1, maxLength: 20 }).map((events) => ({ path: '/v1/events', body: { events } })),
      // A bare string goes out as the raw body: not JSON at all, so `body` is the field at fault.
      junk.filter((b) => typeof b !== 'object' || b === null || Array.isArray(b) || !('events' in b)).map((body) => ({ path: '/v1/events', body, field: ['events', 'body'] })),
    ),
  },
];

async function send(route: Pick<WriteRoute, 'route' | 'role' | 'headers'>, attempt: Attempt): Promise<ApiResponse> {
  const method = route.route.split(' ')[0];
  const auth = route.headers ? { headers: route.headers() } : { token: await stack.token(route.role, `fuzz-${route.role}`) };
  return stack.api.call(method, attempt.path, { ...auth, body: attempt.body });
}

/** What every answer must be: no 5xx, JSON errors without internals, and field-level 400s. */
function expectWellFormed(r: ApiResponse, attempt: Attempt) {
  const context = `${JSON.stringify(attempt).slice(0, 400)} -> ${r.status} ${JSON.stringify(r.body)?.slice(0, 400)}`;
  expect(r.status, context).toBeLessThan(500);
  const raw = typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? '');
  expect(raw, context).not.toMatch(/\n\s+at |node_modules|\.ts:\d+|Exception/);
  if (r.status >= 400) {
    expect(r.body?.error, context).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
  }
  if (r.status === 400) {
    expect(r.body.error.code, context).toBe('validation_error');
    const fields = r.body.error.fields as Record<string, unknown>;
    expect(Object.keys(fields ?? {}).length, context).toBeGreaterThan(0);
    for (const message of Object.values(fields)) expect(typeof message === 'string' && message.trim().length > 0, context).toBe(true);
  }
}

/** The field itself, one of its sub-fields, or (for an unknown field reported on the body) a message naming it. */
const namesField = (fields: Record<string, string>, field: string | string[]) =>
  [field].flat().some((name) => Object.entries(fields).some(([key, message]) => key === name || key.startsWith(`${name}.`) || message.includes(name)));

/** Waits until background work (jobs, stream counters) settles, so a snapshot is not moved by it. */
async function quiet(): Promise<TableSnapshot> {
  await stack.idleJobs();
  await stack.drain();
  return snapshots.take();
}

describe.each(ROUTES_UNDER_TEST.map((r) => [r.route, r] as const))('%s', (_name, route) => {
  it('never answers 5xx or leaks internals, whatever the body', async () => {
    await fc.assert(
      fc.asyncProperty(route.any, async (attempt) => {
        expectWellFormed(await send(route, attempt), attempt);
      }),
      { numRuns: 20 },
    );
  });

  it('refuses bad input with field errors and writes nothing', async () => {
    let before = await quiet();
    await fc.assert(
      fc.asyncProperty(route.refused, async (attempt) => {
        const r = await send(route, attempt);
        expectWellFormed(r, attempt);
        const context = `${JSON.stringify(attempt).slice(0, 400)} -> ${r.status} ${JSON.stringify(r.body)?.slice(0, 400)}`;
        if (route.route === 'POST /v1/events' && r.status === 202) {
          expect(r.body.accepted, context).toBe(0);
        } else {
          expect([attempt.status ?? 400].flat(), context).toContain(r.status);
          if (attempt.field) expect(namesField(r.body.error.fields, attempt.field), context).toBe(true);
        }
        const after = await snapshots.take();
        expect(snapshotDiff(before, after), context).toEqual([]);
        before = after;
      }),
      { numRuns: 12 },
    );
  });
});

/**
 * Every other write route, with ids that name nothing: whatever the body,
 * never a 5xx, and the table stays exactly as it was (a delete of nothing
 * may answer 204, but it writes nothing either).
 */
const fuzzed = new Set(ROUTES_UNDER_TEST.map((r) => r.route));
const otherWrites = ROUTES.filter((r) => r.method !== 'GET' && r.auth === 'jwt' && r.path.includes('{') && !fuzzed.has(routeKey(r)));

describe.each(otherWrites.map((r) => [routeKey(r), r] as const))('%s with ids that name nothing', (_name, route) => {
  it('writes nothing and never answers 5xx', async () => {
    let before = await quiet();
    const attempts = fc.record({
      ids: fc.array(fakeId, { minLength: 3, maxLength: 3 }),
      channel: fc.oneof(fc.constantFrom('sms', 'whatsapp'), fc.string({ minLength: 1, maxLength: 12 })),
      body: fc.oneof(fc.constant(undefined), junk, named(100)),
    });
    await fc.assert(
      fc.asyncProperty(attempts, async ({ ids, channel, body }) => {
        let next = 0;
        const path = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(name === 'channel' ? channel : ids[next++]));
        const attempt = { path, body };
        const r = await send({ route: routeKey(route), role: 'admin' }, attempt);
        expectWellFormed(r, attempt);
        const after = await snapshots.take();
        expect(snapshotDiff(before, after), `${JSON.stringify(attempt).slice(0, 300)} -> ${r.status}`).toEqual([]);
        before = after;
      }),
      { numRuns: 8 },
    );
  });
});
