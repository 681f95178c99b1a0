import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { resetConfig } from '../../functions/lib/config.js';
import type { RouteDefinition } from '../../functions/http/routes.js';
import { errorResult, groupsFromClaim, principalFrom, routerOf, type HttpEvent, type RouteHandler } from '../../functions/lib/http.js';
import { closedBody, name } from '../../shared/schemas/core.js';
import { ValidationError } from '../../functions/lib/errors.js';
import { decodeCursor, encodeCursor, parseLimit } from '../../functions/lib/cursor.js';

const event = (overrides: Partial<HttpEvent> = {}): HttpEvent =>
  ({
    version: '2.0',
    routeKey: 'GET /v1/x',
    rawPath: '/v1/x',
    rawQueryString: '',
    headers: {},
    requestContext: { authorizer: { jwt: { claims: { sub: 'ana', 'cognito:groups': '[operator agent]' }, scopes: [] } } },
    isBase64Encoded: false,
    ...overrides,
  }) as unknown as HttpEvent;

const context = { getRemainingTimeInMillis: () => 1000 } as never;

/** A route of the tests' own: `read` unless said, a body schema when given. */
const route = (key: string, extra: Partial<RouteDefinition> = {}): RouteDefinition => {
  const [method, path] = key.split(' ');
  return { key, method, path, area: 'contacts', summary: key, access: 'read', auth: 'jwt', ...extra } as RouteDefinition;
};
/** A router over one route. */
const httpRouter = (handlers: Record<string, RouteHandler>, extra: Partial<RouteDefinition> = {}) =>
  routerOf(Object.keys(handlers).map((key) => route(key, extra)), handlers);

describe('groupsFromClaim', () => {
  it('reads API Gateway\'s "[a b]" form, JSON arrays and real arrays', () => {
    expect(groupsFromClaim('[admin operator]')).toEqual(['admin', 'operator']);
    expect(groupsFromClaim('["agent"]')).toEqual(['agent']);
    expect(groupsFromClaim(['operator'])).toEqual(['operator']);
    expect(groupsFromClaim('[]')).toEqual([]);
    expect(groupsFromClaim(undefined)).toEqual([]);
  });
});

describe('principalFrom', () => {
  it('takes the highest role among the groups', () => {
    expect(principalFrom(event())?.role).toBe('operator');
  });
  it('has no principal when no group is a role', () => {
    expect(principalFrom(event({ requestContext: { authorizer: { jwt: { claims: { sub: 'x', 'cognito:groups': '[guests]' }, scopes: [] } } } } as never))).toBeUndefined();
  });
});

describe('httpRouter', () => {
  it('maps typed errors to the error JSON', async () => {
    const handler = httpRouter({
      'GET /v1/x': async () => {
        throw new ValidationError({ name: 'is required' });
      },
    });
    const result = await handler(event(), context);
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(String(result.body))).toEqual({ error: { code: 'validation_error', message: 'The request has invalid fields.', fields: { name: 'is required' } } });
  });

  it('hides the details of unexpected errors behind a generic 500', async () => {
    const handler = httpRouter({
      'GET /v1/x': async () => {
        throw new Error('secret table name leaked');
      },
    });
    const result = await handler(event(), context);
    expect(result.statusCode).toBe(500);
    expect(String(result.body)).not.toContain('secret');
  });

  it('answers 400 for a malformed JSON body', async () => {
    const handler = httpRouter({ 'POST /v1/x': async (req) => req.body }, { body: closedBody({ name: name(10) }) });
    const result = await handler(event({ routeKey: 'POST /v1/x', body: '{"a":', headers: { 'content-type': 'application/json' } }), context);
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(String(result.body)).error.fields.body).toBe('must be valid JSON');
  });

  it('authorizes before a malformed body can answer: 401 comes before 400', async () => {
    const handler = httpRouter({ 'POST /v1/x': async (req) => req.body }, { access: 'work', body: closedBody({ name: name(10) }) });
    const anonymous = event({ routeKey: 'POST /v1/x', body: '{"a":', headers: { 'content-type': 'application/json' }, requestContext: {} as never });
    expect((await handler(anonymous, context)).statusCode).toBe(401);
  });

  it('checks the route\'s action before it reads the body: 403 for a role without it, whatever the body', async () => {
    let reached = false;
    const handler = httpRouter(
      {
        'POST /v1/x': async () => {
          reached = true;
          return {};
        },
      },
      { access: 'administer', body: closedBody({ name: name(10) }) },
    );
    for (const body of ['{"a":', '{"name":""}', '{"name":"ok"}']) {
      const result = await handler(event({ routeKey: 'POST /v1/x', body, headers: { 'content-type': 'application/json' } }), context);
      expect([body, result.statusCode, JSON.parse(String(result.body)).error.code]).toEqual([body, 403, 'forbidden']);
    }
    expect(reached).toBe(false);
  });

  it('parses the body with the route\'s schema: the handler gets what it accepted, a refusal names its fields', async () => {
    const handler = httpRouter({ 'POST /v1/x': async (req) => req.body }, { access: 'work', body: closedBody({ name: name(10) }) });
    const post = (body: string) => handler(event({ routeKey: 'POST /v1/x', body, headers: { 'content-type': 'application/json' } }), context);
    expect(JSON.parse(String((await post('{"name":"  Ana  "}')).body))).toEqual({ name: 'Ana' });
    const refusals = await Promise.all(['{"name":""}', '{"name":"x".repeat(11)}', '{"name":"01234567890"}', '{"name":"a","extra":1}', '[]', ''].map(post));
    expect(refusals.map((r) => [r.statusCode, JSON.parse(String(r.body)).error.fields])).toEqual([
      [400, { name: 'is required' }],
      [400, { body: 'must be valid JSON' }],
      [400, { name: 'must be at most 10 characters' }],
      [400, { extra: 'unknown field' }],
      [400, { body: 'must be a JSON object' }],
      [400, { body: 'must be a JSON object' }],
    ]);
  });

  it('asks for an API key on apiKey routes before the body, and for nothing on public ones', async () => {
    const keyed = routerOf([route('POST /v1/x', { access: 'apiKey', auth: 'apiKey', body: closedBody({ name: name(10) }) })], { 'POST /v1/x': async () => ({ ok: true }) }, { apiKey: async (key) => (key === 'good' ? 'k1' : undefined) });
    const post = (headers: Record<string, string>) => keyed(event({ routeKey: 'POST /v1/x', body: '{"a":', headers: { 'content-type': 'application/json', ...headers }, requestContext: {} as never }), context);
    expect((await post({})).statusCode).toBe(401);
    expect((await post({ 'x-api-key': 'bad' })).statusCode).toBe(401);
    expect((await post({ 'x-api-key': 'good' })).statusCode).toBe(400);
    const open = routerOf([route('GET /v1/x', { access: 'public', auth: 'none' })], { 'GET /v1/x': async (req) => ({ principal: req.principal ?? null }) });
    const result = await open(event({ requestContext: {} as never }), context);
    expect([result.statusCode, JSON.parse(String(result.body))]).toEqual([200, { principal: null }]);
  });

  it('maps DynamoDB throttling that outlived the SDK retries to 429', () => {
    const error = Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
    expect(errorResult(error).statusCode).toBe(429);
  });

  it('answers 400, never 500, when DynamoDB refuses a value of the request (alone or in a transaction)', () => {
    const tooLong = Object.assign(new Error('One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes'), { name: 'ValidationException' });
    const result = errorResult(tooLong);
    expect(result.statusCode).toBe(400);
    const body = JSON.parse(String(result.body));
    expect(body.error).toMatchObject({ code: 'validation_error', fields: { request: expect.any(String) } });
    expect(String(result.body)).not.toContain('hashkey');
    const cancelled = Object.assign(new Error('Transaction cancelled'), { name: 'TransactionCanceledException', CancellationReasons: [{ Code: 'None' }, { Code: 'ValidationError' }] });
    expect(errorResult(cancelled).statusCode).toBe(400);
  });

  it('answers 404 for a path id too long for a DynamoDB key or with odd characters, after authorizing', async () => {
    let reached = false;
    const handler = httpRouter({
      'GET /v1/x/{id}': async (req) => {
        reached = true;
        return { id: req.params.id };
      },
    });
    const get = (id: string, requestContext?: unknown) =>
      handler(event({ routeKey: 'GET /v1/x/{id}', pathParameters: { id }, ...(requestContext ? { requestContext: requestContext as never } : {}) }), context);
    expect((await get('01ARZ3NDEKTSV4RRFFQ69G5FAV')).statusCode).toBe(200);
    for (const id of ['x'.repeat(65), 'a'.repeat(3000), 'a/b', 'a#b', 'ünï', '']) {
      reached = false;
      const result = await get(id);
      expect(result.statusCode, id.slice(0, 20)).toBe(404);
      expect(JSON.parse(String(result.body)).error.code).toBe('not_found');
    }
    expect((await get('a'.repeat(3000), {})).statusCode).toBe(401);
  });

  it('answers a field-level 400 for an id-valued query parameter that cannot be an id', async () => {
    const handler = httpRouter({ 'GET /v1/x': async (req) => req.query });
    const result = await handler(event({ queryStringParameters: { tag: 't'.repeat(2049), list: 'ok-list', contactId: 'a#b' } }), context);
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(String(result.body)).error.fields).toEqual({ tag: 'is not a valid id', contactId: 'is not a valid id' });
    expect((await handler(event({ queryStringParameters: { tag: '01ARZ3NDEKTSV4RRFFQ69G5FAV', q: 'any text at all' } }), context)).statusCode).toBe(200);
  });
});

describe('cursors', () => {
  afterEach(() => {
    delete process.env.CURSOR_SECRET;
    resetConfig();
  });

  it('are signed with the stack secret: a cursor made without it, or under another, is a 400', () => {
    process.env.CURSOR_SECRET = 'stack-one';
    resetConfig();
    const keys = ['pk', 'sk'];
    const genuine = encodeCursor({ pk: 'CONTACT#1', sk: 'H#DSP#1' })!;
    expect(decodeCursor(genuine, keys)).toEqual({ pk: 'CONTACT#1', sk: 'H#DSP#1' });
    // What anyone could compute before: an unkeyed hash over the payload, here with a sort key outside the query's range.
    const payload = Buffer.from(JSON.stringify({ pk: 'CONTACT#1', sk: 'P#PROFILE' })).toString('base64url');
    const unkeyed = createHash('sha256').update(`cursor:v1:${payload}`).digest('base64url').slice(0, 12);
    expect(() => decodeCursor(`${payload}.${unkeyed}`, keys)).toThrow(ValidationError);
    const [, signature] = genuine.split('.');
    expect(() => decodeCursor(`${payload}.${signature}`, keys)).toThrow(ValidationError);
    process.env.CURSOR_SECRET = 'stack-two';
    resetConfig();
    expect(() => decodeCursor(genuine, keys)).toThrow(ValidationError);
  });

  it('need CURSOR_SECRET in AWS, where a per-process key would break paging across containers', () => {
    process.env.RUNTIME = 'aws';
    delete process.env.CURSOR_SECRET;
    resetConfig();
    try {
      expect(() => encodeCursor({ pk: 'x' })).toThrow(/CURSOR_SECRET/);
    } finally {
      delete process.env.RUNTIME;
    }
  });

  it('round-trips a key and rejects tampering', () => {
    const key = { pk: 'CONTACT#1', sk: 'P#PROFILE', gsi1pk: 'CONTACT', gsi1sk: '1' };
    const cursor = encodeCursor(key)!;
    expect(decodeCursor(cursor, ['pk', 'sk', 'gsi1pk', 'gsi1sk'])).toEqual(key);
    expect(() => decodeCursor(cursor, ['pk', 'sk'])).toThrow(ValidationError);
    expect(() => decodeCursor(`${cursor}x`, ['pk', 'sk', 'gsi1pk', 'gsi1sk'])).toThrow(ValidationError);
    expect(() => decodeCursor(cursor, ['pk', 'sk', 'gsi1pk', 'gsi1sk'], (s) => s.gsi1pk === 'LIST')).toThrow(ValidationError);
    expect(encodeCursor(undefined)).toBeNull();
  });
  it('bounds limit to 1-100', () => {
    expect(parseLimit(undefined)).toBe(50);
    expect(parseLimit('100')).toBe(100);
    expect(() => parseLimit('0')).toThrow(ValidationError);
    expect(() => parseLimit('2.5')).toThrow(ValidationError);
  });
});
