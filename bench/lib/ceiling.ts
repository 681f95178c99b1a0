import { operationOf, type DdbCall } from '../../test/support/ddb-calls.js';

/**
 * What a stream of events costs DynamoDB Local, and the fastest rate that
 * cost allows. The pipeline's requests are counted per operation (a batch
 * or transaction counts its items); each operation's cost per item is timed
 * raw on the same DynamoDB Local (measures/ddb-ceiling.ts). Their sum is
 * the time DynamoDB Local and the SDK need per event even if the product's
 * own code cost nothing, so 1000 / that sum is a ceiling, and an
 * optimistic one: raw items are small, batches full, nothing else runs.
 */

/** Requests and items per operation (`Put`, `BatchGet`, `TransactWrite`...), as operationOf names them. */
export type Mix = Record<string, { requests: number; items: number }>;

/** How many items a call reads or writes: a batch's keys or requests, a transaction's items, otherwise 1. */
export function itemsOf(call: DdbCall): number {
  const input = call.input as { RequestItems?: Record<string, unknown>; TransactItems?: unknown[] };
  if (input.TransactItems) return input.TransactItems.length;
  if (input.RequestItems) {
    let items = 0;
    for (const request of Object.values(input.RequestItems)) items += Array.isArray(request) ? request.length : ((request as { Keys?: unknown[] }).Keys?.length ?? 0);
    return items;
  }
  return 1;
}

/** The kind of item a call reads or writes, from its (first, for a transaction its last) key: `message`, `activity`, `counter`... */
export function itemKindOf(call: DdbCall): string {
  const input = call.input as Record<string, any>;
  const plain = (v: unknown) => (v && typeof v === 'object' && 'S' in (v as object) ? String((v as { S: unknown }).S) : String(v ?? ''));
  let key: Record<string, unknown> | undefined = input.Key ?? input.Item;
  if (input.TransactItems) {
    const last = input.TransactItems.at(-1);
    key = last?.Put?.Item ?? last?.Update?.Key ?? last?.Delete?.Key ?? last?.ConditionCheck?.Key;
  } else if (input.RequestItems) {
    const first = (Object.values(input.RequestItems)[0] ?? []) as any;
    key = Array.isArray(first) ? (first[0]?.PutRequest?.Item ?? first[0]?.DeleteRequest?.Key) : first.Keys?.[0];
  } else if (input.KeyConditionExpression) {
    const values = Object.values(input.ExpressionAttributeValues ?? {}).map(plain);
    key = { pk: values[0], sk: values[1] ?? '' };
    if (input.IndexName) return `index ${input.IndexName}`;
  }
  const pk = plain(key?.pk);
  const sk = plain(key?.sk);
  const kinds: [string, string, string][] = [
    ['CONTACT#', 'H#MSG#', 'message'],
    ['CONTACT#', 'H#CONV#', 'conversation'],
    ['CONTACT#', 'H#DSP#', 'dispatch'],
    ['CONTACT#', 'P#ENGD#', 'engagement day'],
    ['CONTACT#', 'P#BAND', 'band'],
    ['CONTACT#', 'P#ENG', 'engagement summary'],
    ['CONTACT#', 'S#ANALYTICS', 'activity state'],
    ['CONTACT#', 'P#PROFILE', 'contact'],
    ['ANLANE#', 'S#', 'activity state'],
    ['ANLANE#', '', 'lane'],
    ['AN', '', 'aggregate'],
    ['ENGDAY#', '', 'active day'],
    ['EVT#', '', 'event marker'],
  ];
  const found = kinds.find(([p, s]) => pk.startsWith(p) && sk.startsWith(s));
  return found ? found[2] : pk.split('#')[0] || 'other';
}

/** The calls' requests and items per operation, added to `mix` when given (several rounds into one mix); `byKind` splits them by item kind too. */
export function mixOf(calls: readonly DdbCall[], mix: Mix = {}, byKind = false): Mix {
  for (const call of calls) {
    const name = byKind ? `${operationOf(call.command)} ${itemKindOf(call)}` : operationOf(call.command);
    const entry = (mix[name] ??= { requests: 0, items: 0 });
    entry.requests++;
    entry.items += itemsOf(call);
  }
  return mix;
}

/** Milliseconds of raw DynamoDB Local time per item of each operation. */
export type ItemCosts = Record<string, number>;

export interface Ceiling {
  /** Milliseconds per event, and the share of each operation; operations without a timed cost are listed apart. */
  msPerEvent: number;
  eventsPerSecond: number;
  byOperation: { operation: string; itemsPerEvent: number; msPerItem: number; msPerEvent: number }[];
  untimed: string[];
}

export function ceilingOf(mix: Mix, events: number, costs: ItemCosts): Ceiling {
  const byOperation: Ceiling['byOperation'] = [];
  const untimed: string[] = [];
  for (const [operation, { items }] of Object.entries(mix)) {
    const msPerItem = costs[operation];
    if (msPerItem === undefined) {
      untimed.push(operation);
      continue;
    }
    byOperation.push({ operation, itemsPerEvent: items / events, msPerItem, msPerEvent: (items / events) * msPerItem });
  }
  byOperation.sort((a, b) => b.msPerEvent - a.msPerEvent);
  const msPerEvent = byOperation.reduce((total, o) => total + o.msPerEvent, 0);
  return { msPerEvent, eventsPerSecond: msPerEvent > 0 ? 1000 / msPerEvent : Number.POSITIVE_INFINITY, byOperation, untimed };
}
