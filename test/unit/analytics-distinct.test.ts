import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PERIOD_DAYS } from '../../shared/analytics.js';
import {
  decompose,
  distinctFromNodes,
  FAR,
  nodeDeltas,
  nodeEnd,
  nodeId,
  nodeStart,
  type NodeDeltas,
} from '../../functions/analytics/distinct-nodes.js';

/** Applies deltas the way the counter store does: ADD per entry. */
function applyTo(store: Map<string, Record<string, number>>, deltas: NodeDeltas) {
  for (const [id, entries] of deltas) {
    const histogram = store.get(id) ?? {};
    for (const [key, delta] of entries) histogram[key] = (histogram[key] ?? 0) + delta;
    store.set(id, histogram);
  }
}

const bruteDistinct = (contacts: Map<string, Set<number>>, from: number, to: number) =>
  [...contacts.values()].filter((days) => [...days].some((d) => d >= from && d <= to)).length;

describe('period decomposition into nodes', () => {
  it('covers a period exactly, in order, with at most 33 nodes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30_000 }), fc.integer({ min: 1, max: MAX_PERIOD_DAYS }), (from, length) => {
        const to = from + length - 1;
        const nodes = decompose(from, to);
        expect(nodes.length).toBeLessThanOrEqual(33);
        let next = from;
        for (const node of nodes) {
          expect(nodeStart(node)).toBe(next);
          next = nodeEnd(node) + 1;
        }
        expect(next).toBe(to + 1);
      }),
    );
  });

  it('uses one node for an aligned 64-day block and single days at ragged ends', () => {
    expect(decompose(128, 191).map(nodeId)).toEqual(['2#2']);
    expect(decompose(127, 192).map(nodeId)).toEqual(['0#127', '2#2', '0#192']);
  });
});

describe('exact distinct counts from node histograms', () => {
  it('counts a contact once however many days it was active in the period', () => {
    const store = new Map<string, Record<string, number>>();
    applyTo(store, nodeDeltas([], [100, 101, 105, 300]));
    const read = (from: number, to: number) => distinctFromNodes(from, to, (n) => store.get(nodeId(n)));
    expect(read(100, 105)).toBe(1);
    expect(read(102, 104)).toBe(0);
    expect(read(101, 400)).toBe(1);
    expect(read(106, 299)).toBe(0);
  });

  it('re-points the next day when a day is inserted between two others and when it is removed', () => {
    const store = new Map<string, Record<string, number>>();
    applyTo(store, nodeDeltas([], [10, 30]));
    applyTo(store, nodeDeltas([10, 30], [10, 20, 30]));
    const read = (from: number, to: number) => distinctFromNodes(from, to, (n) => store.get(nodeId(n)));
    expect(read(15, 25)).toBe(1);
    expect(read(21, 30)).toBe(1);
    applyTo(store, nodeDeltas([10, 20, 30], [10, 30]));
    expect(read(15, 25)).toBe(0);
    expect(read(11, 30)).toBe(1);
  });

  it('files activity after a gap longer than the longest period under the far entry', () => {
    const deltas = nodeDeltas([], [0, MAX_PERIOD_DAYS + 5]);
    expect(deltas.get(`0#${MAX_PERIOD_DAYS + 5}`)?.get(FAR)).toBe(1);
  });

  it('matches a brute-force count for any history and any period up to the maximum length', () => {
    const history = fc.array(
      fc.record({ contact: fc.integer({ min: 0, max: 6 }), day: fc.integer({ min: 0, max: 900 }), remove: fc.boolean() }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(history, fc.array(fc.tuple(fc.integer({ min: 0, max: 950 }), fc.integer({ min: 1, max: MAX_PERIOD_DAYS })), { minLength: 1, maxLength: 8 }), (changes, periods) => {
        const contacts = new Map<string, Set<number>>();
        const store = new Map<string, Record<string, number>>();
        for (const change of changes) {
          const key = String(change.contact);
          const before = new Set(contacts.get(key) ?? []);
          const after = new Set(before);
          if (change.remove) after.delete(change.day);
          else after.add(change.day);
          applyTo(store, nodeDeltas(before, after));
          contacts.set(key, after);
        }
        for (const [from, length] of periods) {
          const to = from + length - 1;
          expect(distinctFromNodes(from, to, (n) => store.get(nodeId(n)))).toBe(bruteDistinct(contacts, from, to));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses periods longer than the maximum it can answer exactly', () => {
    expect(() => distinctFromNodes(0, MAX_PERIOD_DAYS, () => undefined)).toThrow(RangeError);
  });
});
