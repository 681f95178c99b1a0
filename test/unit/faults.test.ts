import {
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ThrottlingException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resetConfig } from '../../functions/lib/config.js';
import { setDdbClient } from '../../functions/lib/dynamo.js';

/**
 * What the edges do with a DynamoDB error the SDK's retries did not cure
 * (the SDK surfaces it once its attempts are spent): the HTTP functions
 * answer the API's error JSON (429 for throttling, a generic 5xx
 * otherwise) and never a stack or an SDK message; the stream function
 * reports the records as batch item failures, so they come again instead
 * of being dropped.
 */
const ddbMock = mockClient(DynamoDBDocumentClient);

beforeAll(() => {
  Object.assign(process.env, { TABLE_NAME: 'faults-unit', AWS_REGION: 'us-east-1', TENANT_TIMEZONE: 'America/Sao_Paulo', POWERTOOLS_LOG_LEVEL: 'SILENT' });
  resetConfig();
  setDdbClient(undefined);
});
afterEach(() => {
  ddbMock.reset();
});

const $metadata = { httpStatusCode: 400, attempts: 8, totalRetryDelay: 12_000 };
const FAULTS = {
  ProvisionedThroughputExceededException: () => new ProvisionedThroughputExceededException({ message: 'Throughput exceeded for table faults-unit', $metadata }),
  ThrottlingException: () => new ThrottlingException({ message: 'Rate of requests exceeds the allowed throughput', $metadata }),
  RequestLimitExceeded: () => new RequestLimitExceeded({ message: 'Throughput exceeds the current throughput limit for your account', $metadata }),
  TimeoutError: () => Object.assign(new Error('Connection timed out after 3000 ms'), { name: 'TimeoutError' }),
  TransactionConflict: () =>
    new TransactionCanceledException({ message: 'Transaction cancelled [TransactionConflict]', $metadata, CancellationReasons: [{ Code: 'TransactionConflict' }] }),
  InternalServerError: () => new InternalServerError({ message: 'Internal server error at arn:aws:dynamodb:us-east-1:123:table/faults-unit', $metadata: { ...$metadata, httpStatusCode: 500 } }),
};
const THROTTLING = ['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded'];

function httpEvent(routeKey: string, path: string, options: { params?: Record<string, string>; body?: unknown; headers?: Record<string, string>; role?: string } = {}) {
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...options.headers },
    pathParameters: options.params,
    requestContext: {
      http: { method: routeKey.split(' ')[0], path },
      ...(options.role ? { authorizer: { jwt: { claims: { sub: 'ana', 'cognito:groups': `[${options.role}]` }, scopes: null } } } : {}),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    isBase64Encoded: false,
  };
}
const context = { getRemainingTimeInMillis: () => 29_000, functionName: 'faults-unit', awsRequestId: 'r1' } as never;

type Handler = (event: unknown, context: never) => Promise<{ statusCode: number; body?: string }>;
const load = async (area: string) => ((await import(`../../functions/http/${area}.ts`)) as { handler: Handler }).handler;

const CALLS = [
  { area: 'contacts', event: () => httpEvent('GET /v1/contacts/{id}', '/v1/contacts/01J', { params: { id: '01J' }, role: 'agent' }) },
  { area: 'contacts', event: () => httpEvent('POST /v1/contacts', '/v1/contacts', { body: { firstName: 'Ana' }, role: 'operator' }) },
  { area: 'analytics', event: () => httpEvent('GET /v1/analytics/contacts', '/v1/analytics/contacts', { role: 'operator' }) },
  { area: 'catalog', event: () => httpEvent('POST /v1/lists', '/v1/lists', { body: { name: 'VIP' }, role: 'operator' }) },
  { area: 'events', event: () => httpEvent('POST /v1/events', '/v1/events', { body: { events: [] }, headers: { 'x-api-key': `cek_01JABCDEFGHJKMNPQRSTVWXYZ0_${'s'.repeat(43)}` } }) },
];

describe('an HTTP call whose DynamoDB request still fails after the SDK retried', () => {
  for (const [name, fault] of Object.entries(FAULTS)) {
    it.each(CALLS.map((c) => [c.event().routeKey, c] as const))(`%s answers the error JSON for ${name}`, async (_key, call) => {
      ddbMock.onAnyCommand().rejects(fault());
      const result = await (await load(call.area))(call.event(), context);
      const body = JSON.parse(String(result.body));
      if (THROTTLING.includes(name)) expect(result.statusCode).toBe(429);
      else expect([409, 500, 503]).toContain(result.statusCode);
      expect(body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
      expect(String(result.body)).not.toMatch(/Exception|faults-unit|arn:aws|timed out after|\n\s+at /);
    });
  }
});

describe('a stream batch whose DynamoDB requests keep failing', () => {
  const message = (contactId: string, messageId: string) => ({
    pk: `CONTACT#${contactId}`,
    sk: `H#MSG#${messageId}`,
    type: 'message',
    contactId,
    messageId,
    channel: 'whatsapp',
    broadcast: true,
    stages: { sent: '2026-01-10T12:00:00.000Z', delivered: '2026-01-10T12:00:05.000Z' },
    firstAt: '2026-01-10T12:00:00.000Z',
    version: 1,
    updatedAt: '2026-01-10T12:00:05.000Z',
  });
  const streamEvent = (): DynamoDBStreamEvent => ({
    Records: [message('c1', 'm1'), message('c2', 'm2'), message('c1', 'm3')].map((item, i) => ({
      eventID: `e${i}`,
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      dynamodb: { Keys: marshall({ pk: item.pk, sk: item.sk }) as never, NewImage: marshall(item) as never, SequenceNumber: String(100 + i), StreamViewType: 'NEW_AND_OLD_IMAGES' },
    })),
  });

  it.each(Object.keys(FAULTS))('reports every record it could not count as a batch item failure (%s)', async (name) => {
    ddbMock.onAnyCommand().rejects(FAULTS[name as keyof typeof FAULTS]());
    const { handler } = await import('../../functions/streams/process-table-stream.js');
    const response = await handler(streamEvent());
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['100', '101', '102']);
  });
});
