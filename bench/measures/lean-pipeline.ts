import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { inParallel } from '../../functions/lib/concurrency.js';
import { batchGetItems } from '../../functions/lib/dynamo.js';
import { StreamPoller } from '../../infra/local/stream-poller.js';
import { planEvents, postEvents } from '../../test/support/events.js';
import { apiClient } from '../../test/support/local-stack.js';
import { rawClient } from '../../test/support/raw-client.js';
import { perSecond } from '../lib/stats.js';
import type { Ceiling } from '../lib/ceiling.js';
import { startDynamoLocal } from '../../infra/local/dynamo-local.js';
import { leanCeiling, rawItemCostsOn } from './ddb-ceiling.js';

/** In flight at once, as the product's handlers send. */
const CONCURRENCY = 16;
const BATCH_SIZE = 5_000;

/**
 * The lean design of the ceiling (ddb-ceiling.ts, `minimal`) built end to
 * end on the same machine and DynamoDB Local, so the bench can show what
 * share of its own ceiling such a design reaches once HTTP, JSON, the
 * stream's reads and Node share the two cores with DynamoDB Local:
 *
 *   POST /v1/events -> one BatchGet of the call's event keys (idempotency
 *   read), one BatchWrite of the new events (each event stored once);
 *   table stream -> per batch, one conditional UpdateItem per distinct
 *   counter item (contact and day), watermarked by the record's sequence
 *   number so a replayed batch changes nothing.
 *
 * Nothing else: no API key, no validation beyond JSON, no contact
 * resolution, no message state, no analytics, no band. Its table, with a
 * stream of new images and no index, lives in a DynamoDB Local of its own,
 * where its own ceiling is measured the way the product's is.
 */
export interface LeanPipeline {
  /** One round: `messages` messages' events (test/support/events.ts) posted over HTTP until the stream has counted them. */
  run: (contactIds: readonly string[], messages: number, label: string) => Promise<{ events: number; eventsPerSecond: number }>;
  /** Its own ceiling: the lean requests of the events and counter updates it made so far, at this DynamoDB Local's raw costs. */
  ceiling: () => Promise<Ceiling>;
  /** The Java process of its DynamoDB Local, for its CPU time. */
  dynamoPid: number | undefined;
  stop: () => Promise<void>;
}

export async function leanPipeline(): Promise<LeanPipeline> {
  // A DynamoDB Local of its own: on the bench's, a table created after the product's has written a long
  // stream pays for it on every write (each write's stream bookkeeping, getStreamDescription, runs 30 times slower).
  const dynamo = await startDynamoLocal();
  const table = `lean-${Date.now().toString(36)}`;
  const admin = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await admin.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
    }),
  );
  const { Table } = await admin.send(new DescribeTableCommand({ TableName: table }));
  admin.destroy();
  const client = rawClient(dynamo.endpoint);
  const server = await listen(ingestHandler(client, table));
  const totals = { events: 0, counterUpdates: 0 };
  const poller = new StreamPoller({
    endpoint: dynamo.endpoint,
    streamArn: Table!.LatestStreamArn!,
    batchSize: BATCH_SIZE,
    handler: async (event) => void (totals.counterUpdates += await countBatch(client, table, event)),
  });
  poller.start();
  const api = apiClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: async () => '' });
  return {
    dynamoPid: dynamo.pid,
    run: async (contactIds, messages, label) => {
      const plan = planEvents(contactIds, messages, { series: `lean-${Date.now()}-${label}` });
      await poller.drain(60_000);
      const t0 = performance.now();
      const posted = await postEvents(api, 'lean', plan.events, { concurrency: 2, perCall: 500 });
      await poller.drain(10 * 60_000);
      const elapsedMs = performance.now() - t0;
      if (posted.failedCalls > 0 || posted.accepted !== plan.events.length) throw new Error(`lean pipeline: ${posted.failedCalls} calls failed, ${posted.accepted} of ${plan.events.length} accepted`);
      totals.events += posted.accepted;
      return { events: posted.accepted, eventsPerSecond: perSecond(posted.accepted, elapsedMs) };
    },
    ceiling: async () => {
      await poller.drain(60_000);
      const costs = await rawItemCostsOn({ table, client, pause: () => poller.hold(), resume: () => poller.release() }, 1);
      return leanCeiling(totals.events, totals.counterUpdates, costs);
    },
    stop: async () => {
      await poller.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      client.destroy();
      await dynamo.stop();
    },
  };
}

const eventKey = (id: string) => ({ pk: `E#${id}`, sk: 'E' });

function ingestHandler(client: DynamoDBDocumentClient, table: string) {
  return async (body: string): Promise<{ accepted: number; duplicates: number; rejected: never[] }> => {
    const events = (JSON.parse(body) as { events: Record<string, unknown>[] }).events;
    const found = await batchGetItems(events.map((e) => eventKey(String(e.id))), { table, send: (command) => client.send(command), projection: 'pk', concurrency: CONCURRENCY });
    const seen = new Set(found.map((item) => String(item.pk)));
    const fresh = events.filter((e) => !seen.has(eventKey(String(e.id)).pk));
    await inParallel(chunks(fresh, 25), CONCURRENCY, async (chunk) => {
      let requests = chunk.map((e) => ({ PutRequest: { Item: { ...eventKey(String(e.id)), contactId: e.contactId, at: e.at, type: e.type, status: e.status ?? e.type } } }));
      while (requests.length > 0) {
        const { UnprocessedItems } = await client.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
        requests = (UnprocessedItems?.[table] ?? []) as typeof requests;
      }
    });
    return { accepted: fresh.length, duplicates: events.length - fresh.length, rejected: [] };
  };
}

/** One conditional update per distinct counter item (contact, day) of the batch, skipped when the batch was applied before; how many it sent. */
async function countBatch(client: DynamoDBDocumentClient, table: string, event: DynamoDBStreamEvent): Promise<number> {
  const counters = new Map<string, { pk: string; sk: string; add: Record<string, number>; seq: string }>();
  for (const record of event.Records) {
    // Events only (the ceiling's timing writes RAW# items into this table too).
    if (record.eventName !== 'INSERT' || !record.dynamodb?.NewImage || !record.dynamodb.Keys?.pk?.S?.startsWith('E#')) continue;
    const item = unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>);
    const pk = `C#${String(item.contactId)}`;
    const sk = `D#${String(item.at).slice(0, 10)}`;
    const counter = counters.get(`${pk}/${sk}`) ?? { pk, sk, add: {}, seq: '' };
    const field = String(item.status).replace(/[^a-z]/g, '_');
    counter.add[field] = (counter.add[field] ?? 0) + 1;
    counter.seq = record.dynamodb.SequenceNumber!.padStart(40, '0');
    counters.set(`${pk}/${sk}`, counter);
  }
  await inParallel([...counters.values()], CONCURRENCY, async ({ pk, sk, add, seq }) => {
    const fields = Object.keys(add);
    try {
      await client.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk, sk },
          UpdateExpression: `ADD ${fields.map((_, i) => `#f${i} :v${i}`).join(', ')} SET wm = :seq`,
          ConditionExpression: 'attribute_not_exists(wm) OR wm < :seq',
          ExpressionAttributeNames: Object.fromEntries(fields.map((f, i) => [`#f${i}`, f])),
          ExpressionAttributeValues: { ':seq': seq, ...Object.fromEntries(fields.map((f, i) => [`:v${i}`, add[f]])) },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  });
  return counters.size;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A bare HTTP server answering any POST with the handler's JSON (202). */
function listen(handle: (body: string) => Promise<unknown>): Promise<Server> {
  const server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (chunk: Buffer) => parts.push(chunk));
    request.on('end', () => {
      handle(Buffer.concat(parts).toString('utf8')).then(
        (result) => {
          response.writeHead(202, { 'content-type': 'application/json' });
          response.end(JSON.stringify(result));
        },
        (error: Error) => {
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: error.message }));
        },
      );
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
