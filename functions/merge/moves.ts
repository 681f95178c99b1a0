import { BatchGetItemCommand, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { contactPk, listKey, tagKey } from '../data/keys.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { combineStates } from './combine-state.js';
import { keyId, keyOf, plain, rawKey, rekey, sameItem, toRaw, unchangedCondition, type ItemKey, type RawItem } from './raw.js';
import { exists, notExists, type Op } from './transact.js';

/**
 * Which of a contact's items a merge moves, and how one item moves.
 *
 * A duplicate's memberships, channel states and history (messages,
 * conversations, dispatches) go to the primary; its profile is replaced by a
 * merged-alias item. Engagement counters (`P#ENG*`) and analytics state are
 * not moved: they are derived by the stream from the state items, which
 * carry their counts with them (functions/engagement/items.ts), so moving a
 * message moves its numbers and moving it back takes them back.
 */
export type ItemClass = 'membership' | 'channel' | 'history' | 'stays';

export function classify(sk: string): ItemClass {
  if (sk.startsWith('P#LIST#') || sk.startsWith('P#TAG#')) return 'membership';
  if (sk.startsWith('P#CH#')) return 'channel';
  if (sk.startsWith('H#')) return 'history';
  return 'stays';
}

/**
 * Sort-key prefixes of the movable items, in the order chunks take them:
 * the switch already moved the profile-side ones in any ordinary merge, so
 * history comes first and the others are only looked for once it is done.
 */
export const MOVABLE_PREFIXES = ['H#', 'P#CH#', 'P#LIST#', 'P#TAG#'];

/** The list or tag count a membership item contributes to. */
export function membershipParent(sk: string): { key: ItemKey; counter: string } {
  if (sk.startsWith('P#LIST#')) return { key: listKey(sk.slice('P#LIST#'.length)), counter: 'memberCount' };
  return { key: tagKey(sk.slice('P#TAG#'.length)), counter: 'contactCount' };
}

/**
 * One line of a merge snapshot: the item as it was before the merge touched
 * it (`before`, byte for byte), and what the merge did with it.
 *   delete  the item was removed (a duplicate's profile; a membership or
 *           channel the primary already had: `delta` is what the count lost)
 *   move    the item went to `to` in the primary's collection; `destBefore`
 *           is the primary's own item there when both had one (combined)
 *   update  the item was changed in place (`after` is what the merge wrote)
 */
export interface SnapshotEntry {
  op: 'delete' | 'move' | 'update' | 'forward';
  key: ItemKey;
  to?: ItemKey;
  before: RawItem;
  destBefore?: RawItem;
  after?: RawItem;
  delta?: number;
}

export function entryToRaw(entry: SnapshotEntry): RawItem {
  const out: RawItem = { op: { S: entry.op }, key: { M: rawKey(entry.key) }, before: { M: entry.before } };
  if (entry.to) out.to = { M: rawKey(entry.to) };
  if (entry.destBefore) out.destBefore = { M: entry.destBefore };
  if (entry.after) out.after = { M: entry.after };
  if (entry.delta !== undefined) out.delta = { N: String(entry.delta) };
  return out;
}

export function entryFromRaw(raw: RawItem): SnapshotEntry {
  const key = (v: RawItem | undefined) => (v ? { pk: v.pk.S!, sk: v.sk.S! } : undefined);
  return {
    op: raw.op.S as SnapshotEntry['op'],
    key: key(raw.key.M)!,
    to: key(raw.to?.M),
    before: raw.before.M as RawItem,
    destBefore: raw.destBefore?.M as RawItem | undefined,
    after: raw.after?.M as RawItem | undefined,
    delta: raw.delta ? Number(raw.delta.N) : undefined,
  };
}

// ---------- reads (strongly consistent, raw) ----------

export async function getRaw(key: ItemKey): Promise<RawItem | undefined> {
  const out = (await ddb().send(new GetItemCommand({ TableName: tableName(), Key: rawKey(key), ConsistentRead: true }) as never)) as { Item?: RawItem };
  return out.Item;
}

export async function getManyRaw(keys: ItemKey[]): Promise<Map<string, RawItem>> {
  const found = new Map<string, RawItem>();
  const unique = [...new Map(keys.map((k) => [keyId(k), k])).values()];
  for (let i = 0; i < unique.length; i += 100) {
    let pending: RawItem[] | undefined = unique.slice(i, i + 100).map(rawKey);
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt > 8) throw new Error('BatchGetItem kept returning unprocessed keys');
      if (attempt > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
      const out = (await ddb().send(new BatchGetItemCommand({ RequestItems: { [tableName()]: { Keys: pending, ConsistentRead: true } } }) as never)) as {
        Responses?: Record<string, RawItem[]>;
        UnprocessedKeys?: Record<string, { Keys?: RawItem[] }>;
      };
      for (const item of out.Responses?.[tableName()] ?? []) found.set(keyId(keyOf(item)), item);
      pending = out.UnprocessedKeys?.[tableName()]?.Keys;
    }
  }
  return found;
}

export async function queryRaw(pk: string, prefix: string, limit?: number): Promise<RawItem[]> {
  const items: RawItem[] = [];
  let start: RawItem | undefined;
  do {
    const page = (await ddb().send(
      new QueryCommand({
        TableName: tableName(),
        // A key condition cannot compare with an empty string: no prefix means the whole collection.
        KeyConditionExpression: prefix ? 'pk = :pk AND begins_with(sk, :p)' : 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: pk }, ...(prefix ? { ':p': { S: prefix } } : {}) },
        ConsistentRead: true,
        ExclusiveStartKey: start,
        ...(limit ? { Limit: limit - items.length } : {}),
      }) as never,
    )) as { Items?: RawItem[]; LastEvaluatedKey?: RawItem };
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start && (!limit || items.length < limit));
  return items;
}

/** Up to `limit` items of a contact that a merge moves, profile-side first. */
export async function movableItems(contactId: string, limit: number): Promise<RawItem[]> {
  const out: RawItem[] = [];
  for (const prefix of MOVABLE_PREFIXES) {
    if (out.length >= limit) break;
    out.push(...(await queryRaw(contactPk(contactId), prefix, limit - out.length)));
  }
  return out;
}

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
  const from = entry.key.pk.slice('CONTACT#'.length);
  const to = entry.to!.pk.slice('CONTACT#'.length);
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
  const from = entry.key.pk.slice('CONTACT#'.length);
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
  const to = entry.to!.pk.slice('CONTACT#'.length);
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
