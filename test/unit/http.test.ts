import { describe, expect, it } from 'vitest';
import { errorResult, groupsFromClaim, httpRouter, principalFrom, type HttpEvent } from '../../functions/lib/http.js';
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
    const handler = httpRouter({ 'POST /v1/x': async (req) => req.body });
    const result = await handler(event({ routeKey: 'POST /v1/x', body: '{"a":', headers: { 'content-type': 'application/json' } }), context);
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(String(result.body)).error.fields.body).toBe('must be valid JSON');
  });

  it('authorizes before a malformed body can answer: 401 comes before 400', async () => {
    const { authorize } = await import('../../functions/lib/http.js');
    const handler = httpRouter({
      'POST /v1/x': async (req) => {
        authorize(req, 'work');
        return req.body;
      },
    });
    const anonymous = event({ routeKey: 'POST /v1/x', body: '{"a":', headers: { 'content-type': 'application/json' }, requestContext: {} as never });
    expect((await handler(anonymous, context)).statusCode).toBe(401);
  });

  it('maps DynamoDB throttling that outlived the SDK retries to 429', () => {
    const error = Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
    expect(errorResult(error).statusCode).toBe(429);
  });
});

describe('cursors', () => {
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
