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

/** The calls' requests and items per operation, added to `mix` when given (several rounds into one mix). */
export function mixOf(calls: readonly DdbCall[], mix: Mix = {}): Mix {
  for (const call of calls) {
    const entry = (mix[operationOf(call.command)] ??= { requests: 0, items: 0 });
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
