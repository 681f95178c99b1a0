import { classify, contactIdFromPk, contactPk, membershipParent } from '../data/merge-collection.js';
import type { SnapshotEntry } from '../data/merge-snapshot.js';
import { keyOf, plain, rekey, sameItem, toRaw, unchangedCondition, type RawItem } from '../data/raw-item.js';
import { combineStates } from './combine-state.js';
import { exists, notExists, type Op } from './transact.js';

/**
 * How one item of a merge moves from a duplicate to the primary, and how an
 * undo puts it back. Which items move: ../data/merge-collection.ts; what a
 * snapshot entry records: ../data/merge-snapshot.ts.
 */
// ---------- planning ----------

export interface Planned {
  ops: Op[];
  entry?: SnapshotEntry;
  /** The destination item after the step (or undefined when removed): later plans in the same step read it. */
  destAfter?: RawItem | null;
}

const combineRaw = (into: RawItem, from: RawItem): RawItem | undefined => {
  const combined = combineStates(plain(into), plain(from));
  return combined ? toRaw(combined) : undefined;
};

/**
 * Moves one item of contact `from` into contact `to`'s collection, given
 * what `to` holds at the same sort key. The source is deleted only if it is
 * still exactly as read; the destination is written only if it too is as
 * read. A membership the primary already has is dropped with its count (a
 * contact in both lists counts once); a channel the primary already has
 * keeps the primary's state; two partial states of the same message or
 * conversation combine.
 */
export function planMove(src: RawItem, dest: RawItem | undefined, from: string, to: string, parentExists = true): Planned {
  const key = keyOf(src);
  const toKey = { pk: contactPk(to), sk: key.sk };
  const removeSource: Op = { kind: 'delete', key, condition: unchangedCondition(src, 's') };
  const moved = rekey(src, from, to);
  switch (classify(key.sk)) {
    case 'membership': {
      const parent = membershipParent(key.sk);
      if (!parentExists) return { ops: [removeSource], entry: { op: 'delete', key, before: src }, destAfter: dest ?? null };
      if (dest) return { ops: [removeSource, { kind: 'add', key: parent.key, attribute: parent.counter, by: -1 }], entry: { op: 'delete', key, before: src, delta: -1 }, destAfter: dest };
      return { ops: [removeSource, { kind: 'put', item: moved, condition: notExists }], entry: { op: 'move', key, to: toKey, before: src }, destAfter: moved };
    }
    case 'channel':
      if (dest) return { ops: [removeSource], entry: { op: 'delete', key, before: src }, destAfter: dest };
      return { ops: [removeSource, { kind: 'put', item: moved, condition: notExists }], entry: { op: 'move', key, to: toKey, before: src }, destAfter: moved };
    default: {
      if (!dest) return { ops: [removeSource, { kind: 'put', item: moved, condition: notExists }], entry: { op: 'move', key, to: toKey, before: src }, destAfter: moved };
      const combined = combineRaw(dest, moved);
      // Not a state item (dispatch ids never repeat): the primary's item stays, the snapshot keeps the other.
      if (!combined) return { ops: [removeSource], entry: { op: 'delete', key, before: src }, destAfter: dest };
      return {
        ops: [removeSource, { kind: 'put', item: combined, condition: unchangedCondition(dest, 'd') }],
        entry: { op: 'move', key, to: toKey, before: src, destBefore: dest },
        destAfter: combined,
      };
    }
  }
}

/** What the merge left at `to` for a move entry, if nothing touched it since. */
export function expectedAfterMove(entry: SnapshotEntry): RawItem {
  const from = contactIdFromPk(entry.key.pk);
  const to = contactIdFromPk(entry.to!.pk);
  const moved = rekey(entry.before, from, to);
  return entry.destBefore ? (combineRaw(entry.destBefore, moved) ?? entry.destBefore) : moved;
}

/** Writes `item` at its key given what is there now: put when free, combine with a state item that arrived meanwhile. */
function restoreAt(item: RawItem, current: RawItem | undefined): Op[] {
  if (!current) return [{ kind: 'put', item, condition: notExists }];
  const combined = combineRaw(current, item);
  return combined ? [{ kind: 'put', item: combined, condition: unchangedCondition(current, 'c') }] : [];
}

/**
 * Undoes one snapshot entry, given the current items at its source key
 * (`atKey`, the duplicate's collection) and destination (`atTo`, the
 * primary's) and whether a membership's list or tag still exists.
 *
 * An item nobody touched since the merge comes back byte for byte. One that
 * changed since (an event reached a moved message) comes back as it is now:
 * events that arrived meanwhile stay with the message or conversation they
 * belong to, and so with the contact they named. A state item the
 * duplicate received after the undo switched it back combines with it.
 */
export function planRestore(entry: SnapshotEntry, atKey: RawItem | undefined, atTo: RawItem | undefined, parentExists = true): Op[] {
  const cls = classify(entry.key.sk);
  const from = contactIdFromPk(entry.key.pk);
  if (cls === 'membership') {
    const parent = membershipParent(entry.key.sk);
    if (!parentExists) return [];
    const ops: Op[] = [];
    if (!atKey) ops.push({ kind: 'put', item: entry.before, condition: notExists }, { kind: 'add', key: parent.key, attribute: parent.counter, by: 1 });
    if (entry.op === 'move' && atTo) ops.push({ kind: 'delete', key: entry.to!, condition: exists }, { kind: 'add', key: parent.key, attribute: parent.counter, by: -1 });
    return ops;
  }
  if (entry.op === 'delete') return atKey ? [] : [{ kind: 'put', item: entry.before, condition: notExists }];
  if (cls === 'channel') {
    const ops: Op[] = atKey ? [] : [{ kind: 'put', item: entry.before, condition: notExists }];
    // The primary's copy goes unless someone changed the primary's subscription since.
    if (atTo && sameItem(atTo, expectedAfterMove(entry))) ops.push({ kind: 'delete', key: entry.to!, condition: unchangedCondition(atTo, 't') });
    return ops;
  }
  const to = contactIdFromPk(entry.to!.pk);
  let back: RawItem = entry.before;
  const ops: Op[] = [];
  if (atTo && sameItem(atTo, expectedAfterMove(entry))) {
    ops.push(entry.destBefore ? { kind: 'put', item: entry.destBefore, condition: unchangedCondition(atTo, 't') } : { kind: 'delete', key: entry.to!, condition: unchangedCondition(atTo, 't') });
  } else if (atTo && !entry.destBefore) {
    back = rekey(atTo, to, from);
    ops.push({ kind: 'delete', key: entry.to!, condition: unchangedCondition(atTo, 't') });
  }
  // (atTo changed and combined with the primary's own item: the primary keeps it; the duplicate gets its own part back.)
  return [...ops, ...restoreAt(back, atKey)];
}
