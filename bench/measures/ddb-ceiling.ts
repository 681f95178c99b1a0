import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inParallel } from '../../functions/lib/concurrency.js';
import { ceilingOf, type Ceiling, type ItemCosts, type Mix } from '../lib/ceiling.js';
import { round } from '../lib/stats.js';
import type { BenchStack } from '../lib/bench-stack.js';

/** In flight at once, as the ingestion handler and the stream processors send. */
const CONCURRENCY = 16;
const SINGLE_REQUESTS = 1_500;
const BATCH_ITEMS = 4_000;
const QUERY_PARTITION_ITEMS = 5;
const PAD = 'x'.repeat(300);

/**
 * Raw cost per item of each DynamoDB operation on the bench's own DynamoDB
 * Local and table (its indexes and stream), sent through the bench's raw
 * client (configured like the product's), with the stream poller held. The items live in
 * partitions of their own that no access pattern or stream filter matches.
 * Not a scratch table: DynamoDB Local stays several times slower for good
 * once a table has been dropped. Single-item requests go `CONCURRENCY` at a
 * time; batches are full (100 keys, 25 writes), their cheapest cost per
 * item; a transaction has the pipeline's mean number of items.
 */
export async function rawItemCosts(b: BenchStack, transactionSize: number): Promise<ItemCosts> {
  return rawItemCostsOn({ table: b.stack.tableName, client: b.raw, pause: () => b.pauseStream(), resume: () => b.resumeStream() }, transactionSize);
}

/** Where rawItemCosts times its requests: a table, a client outside the product's meter, and the stream poller to hold meanwhile. */
export interface CostTarget {
  table: string;
  client: DynamoDBDocumentClient;
  pause: () => void;
  resume: () => void;
}

export async function rawItemCostsOn(target: CostTarget, transactionSize: number): Promise<ItemCosts> {
  const { table, client } = target;
  const prefix = `RAW#${Date.now().toString(36)}`;
  target.pause();
  const perItem = async (requests: number, itemsPerRequest: number, send: (i: number) => Promise<unknown>) => {
    const started = performance.now();
    await inParallel(
      Array.from({ length: requests }, (_, i) => i),
      CONCURRENCY,
      async (i) => void (await send(i)),
    );
    return (performance.now() - started) / (requests * itemsPerRequest);
  };
  const timeAll = async (run: string): Promise<ItemCosts> => {
    const key = (i: number) => ({ pk: `${run}#C#${i}`, sk: 'RAW' });
    const costs: ItemCosts = {};
    costs.Put = await perItem(SINGLE_REQUESTS, 1, (i) =>
      client.send(new PutCommand({ TableName: table, Item: { ...key(i), pad: PAD, n: 0, version: 1 }, ConditionExpression: 'attribute_not_exists(pk)' })),
    );
    costs.Update = await perItem(SINGLE_REQUESTS, 1, (i) =>
      client.send(
        new UpdateCommand({
          TableName: table,
          Key: key(i),
          UpdateExpression: 'ADD n :one SET version = :next',
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':one': 1, ':v': 1, ':next': 2 },
        }),
      ),
    );
    costs.Get = await perItem(SINGLE_REQUESTS, 1, (i) => client.send(new GetCommand({ TableName: table, Key: key(i), ConsistentRead: true })));
    costs.BatchGet = await perItem(BATCH_ITEMS / 100, 100, (i) =>
      client.send(new BatchGetCommand({ RequestItems: { [table]: { ConsistentRead: true, Keys: Array.from({ length: 100 }, (_, j) => key((i * 100 + j) % SINGLE_REQUESTS)) } } })),
    );
    const batchWriteRequests = BATCH_ITEMS / 25;
    costs.BatchWrite = await perItem(batchWriteRequests, 25, (i) =>
      client.send(
        new BatchWriteCommand({
          RequestItems: { [table]: Array.from({ length: 25 }, (_, j) => ({ PutRequest: { Item: { pk: `${run}#Q#${Math.floor((i * 25 + j) / QUERY_PARTITION_ITEMS)}`, sk: `RAW#${j % QUERY_PARTITION_ITEMS}`, pad: PAD } } })) },
        }),
      ),
    );
    costs.Query = await perItem(SINGLE_REQUESTS, 1, (i) =>
      client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': `${run}#Q#${i % (BATCH_ITEMS / QUERY_PARTITION_ITEMS)}`, ':from': 'RAW#', ':to': 'RAW#~' },
          ConsistentRead: true,
        }),
      ),
    );
    const size = Math.max(1, Math.min(100, Math.round(transactionSize)));
    costs.TransactWrite = await perItem(Math.ceil(BATCH_ITEMS / 4 / size), size, (i) =>
      client.send(new TransactWriteCommand({ TransactItems: Array.from({ length: size }, (_, j) => ({ Put: { TableName: table, Item: { pk: `${run}#T#${i}`, sk: `RAW#${j}`, pad: PAD } } })) })),
    );
    costs.Delete = await perItem(SINGLE_REQUESTS, 1, (i) => client.send(new DeleteCommand({ TableName: table, Key: key(i) })));
    return costs;
  };
  try {
    // Twice, keeping each operation's lower cost: the first pass also warms DynamoDB Local's JIT up.
    const first = await timeAll(`${prefix}#1`);
    const second = await timeAll(`${prefix}#2`);
    return Object.fromEntries(Object.entries(first).map(([operation, ms]) => [operation, Math.min(ms, second[operation])]));
  } finally {
    target.resume();
  }
}

/** The lean design's requests for `events` events: each written and read once in full batches, one update per counter item. */
export const leanCeiling = (events: number, counterItems: number, costs: ItemCosts): Ceiling =>
  ceilingOf({ BatchWrite: { requests: 0, items: events }, BatchGet: { requests: 0, items: events }, Update: { requests: 0, items: counterItems } }, events, costs);

export const figures = (c: Ceiling) => ({ msPerEvent: round(c.msPerEvent, 3), eventsPerSecond: round(c.eventsPerSecond, 1) });

/**
 * The ceiling of the end-to-end rate on this machine, from the requests the
 * pipeline made for `events` events (`mix`) and their raw costs; and the
 * ceiling of a lean design's requests: each event stored once and read
 * once in full batches (idempotent ingestion at its cheapest, one item per
 * event) and one conditional update per distinct counter item the stream
 * batches wrote (how the design keeps counters exact).
 */
export async function measureCeiling(
  b: BenchStack,
  mix: Mix,
  events: number,
  counterItems: number,
  log: (line: string) => void,
  hops: Record<string, { mix: Mix; events: number }> = {},
) {
  const transact = mix.TransactWrite;
  const costs = await rawItemCosts(b, transact ? transact.items / transact.requests : 1);
  const pipeline = ceilingOf(mix, events, costs);
  const minimal = leanCeiling(events, counterItems, costs);
  const requests = Object.values(mix).reduce((total, m) => total + m.requests, 0);
  log(`  raw DynamoDB Local cost per item (ms): ${Object.entries(costs).map(([op, msPerItem]) => `${op} ${round(msPerItem, 3)}`).join(', ')}`);
  log(
    `  the pipeline sent ${round(requests / events, 2)} requests per event: ` +
      pipeline.byOperation.map((o) => `${o.operation} ${round(o.itemsPerEvent, 2)} items x ${round(o.msPerItem, 3)} ms = ${round(o.msPerEvent, 3)} ms`).join('; ') +
      (pipeline.untimed.length ? ` (not timed: ${pipeline.untimed.join(', ')})` : ''),
  );
  log(`  ceiling from DynamoDB Local alone: ${round(pipeline.eventsPerSecond)} events/s for these requests; ${round(minimal.eventsPerSecond)} events/s for a lean design (each event written and read once in full batches, one update per counter item)`);
  // Where the time goes, by hop and by the kind of item each request reads or writes (the split rounds).
  const byHop: Record<string, number> = {};
  for (const [hop, { mix: hopMix, events: hopEvents }] of Object.entries(hops)) {
    if (hopEvents === 0) continue;
    const kinds = Object.entries(hopMix)
      .map(([name, m]) => ({ name, msPerEvent: ((costs[name.split(' ')[0]] ?? 0) * m.items) / hopEvents, itemsPerEvent: m.items / hopEvents }))
      .sort((x, y) => y.msPerEvent - x.msPerEvent);
    byHop[hop] = round(kinds.reduce((total, k) => total + k.msPerEvent, 0), 3);
    log(`  ${hop}: ${byHop[hop]} ms of raw DynamoDB Local time per event: ${kinds.map((k) => `${k.name} ${round(k.itemsPerEvent, 2)} items = ${round(k.msPerEvent, 3)} ms`).join('; ')}`);
  }
  return {
    ceiling: {
      requestsPerEvent: round(requests / events, 2),
      pipeline: figures(pipeline),
      minimal: figures(minimal),
      counterItemsPerEvent: round(counterItems / events, 3),
      ...(Object.keys(byHop).length > 0 ? { msPerEventByHop: byHop } : {}),
      rawItemMs: Object.fromEntries(Object.entries(costs).map(([op, msPerItem]) => [op, round(msPerItem, 4)])),
    },
  };
}
