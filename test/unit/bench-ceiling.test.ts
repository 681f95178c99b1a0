import { describe, expect, it } from 'vitest';
import { ceilingOf, itemsOf, mixOf } from '../../bench/lib/ceiling.js';

describe('bench ceiling', () => {
  it('counts a batch by its keys or requests, a transaction by its items, anything else as one item', () => {
    expect(itemsOf({ command: 'BatchGetCommand', input: { RequestItems: { t: { Keys: [{}, {}, {}] } } } })).toBe(3);
    expect(itemsOf({ command: 'BatchWriteItemCommand', input: { RequestItems: { t: [{}, {}] } } })).toBe(2);
    expect(itemsOf({ command: 'TransactWriteCommand', input: { TransactItems: [{}, {}, {}, {}] } })).toBe(4);
    expect(itemsOf({ command: 'PutCommand', input: { Item: {} } })).toBe(1);
  });

  it('groups document-client and base-client names of one operation', () => {
    const mix = mixOf([
      { command: 'PutCommand', input: {} },
      { command: 'PutItemCommand', input: {} },
      { command: 'BatchGetCommand', input: { RequestItems: { t: { Keys: [{}, {}] } } } },
      { command: 'BatchGetItemCommand', input: { RequestItems: { t: { Keys: [{}] } } } },
    ]);
    expect(mix).toEqual({ Put: { requests: 2, items: 2 }, BatchGet: { requests: 2, items: 3 } });
    // A later round adds to the same mix.
    mixOf([{ command: 'PutCommand', input: {} }], mix);
    expect(mix.Put).toEqual({ requests: 3, items: 3 });
  });

  it('sums raw time per event over the operations and lists the untimed ones apart', () => {
    const c = ceilingOf({ Put: { requests: 100, items: 100 }, BatchGet: { requests: 2, items: 200 }, Scan: { requests: 1, items: 1 } }, 100, { Put: 0.8, BatchGet: 0.1 });
    // 1 Put (0.8 ms) and 2 read items (0.2 ms) per event: 1 ms, so at most 1,000 events/s.
    expect(c.msPerEvent).toBeCloseTo(1.0);
    expect(c.eventsPerSecond).toBeCloseTo(1000);
    expect(c.byOperation.map((o) => o.operation)).toEqual(['Put', 'BatchGet']);
    expect(c.untimed).toEqual(['Scan']);
  });
});
