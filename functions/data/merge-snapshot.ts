import { mergeKey, mergePk } from './keys.js';
import { queryAll } from './query.js';
import { getRaw, pack, queryRaw, rawKey, unpack, type ItemKey, type RawItem } from './raw-item.js';

/**
 * What a merge keeps to undo itself, in its own partition (`MERGE#<id>`):
 *   S#<chunk>                  one snapshot chunk per committed step: the items it changed, byte for byte
 *   F#<duplicateId>#<sk>       a forward record: an item the forwarder moved to the primary because an
 *                              event named the duplicate after the merge (functions/merge/forwarder.ts)
 */

/**
 * One line of a merge snapshot: the item as it was before the merge touched
 * it (`before`, byte for byte), and what the merge did with it.
 *   delete   the item was removed (a duplicate's profile; a membership or
 *            channel the primary already had: `delta` is what the count lost)
 *   move     the item went to `to` in the primary's collection; `destBefore`
 *            is the primary's own item there when both had one (combined)
 *   update   the item was changed in place (`after` is what the merge wrote)
 *   forward  the forwarder moved an item that arrived after the merge
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

// ---------- snapshot chunks ----------

export const MERGE_SNAPSHOT_TYPE = 'mergeSnapshot';
export const snapshotKey = (mergeId: string, chunk: number): ItemKey => ({ pk: mergeKey(mergeId).pk, sk: `S#${String(chunk).padStart(6, '0')}` });

/** A chunk's entries packed into one binary attribute (lossless, a few KB for 48 items). */
export function snapshotItem(mergeId: string, chunk: number, contactId: string, entries: SnapshotEntry[]): RawItem {
  return {
    ...rawKey(snapshotKey(mergeId, chunk)),
    type: { S: MERGE_SNAPSHOT_TYPE },
    mergeId: { S: mergeId },
    chunk: { N: String(chunk) },
    contactId: { S: contactId },
    entries: { B: pack(entries.map(entryToRaw)) },
  };
}

/** The entries of one chunk (none when it was never written). */
export async function readSnapshot(mergeId: string, chunk: number): Promise<SnapshotEntry[]> {
  const item = await getRaw(snapshotKey(mergeId, chunk));
  return item?.entries?.B ? unpack<RawItem[]>(item.entries.B).map(entryFromRaw) : [];
}

// ---------- forward records ----------

const FORWARD_PREFIX = 'F#';
export const MERGE_FORWARD_TYPE = 'mergeForward';
export const forwardKey = (mergeId: string, duplicateId: string, sk: string): ItemKey => ({ pk: mergePk(mergeId), sk: `${FORWARD_PREFIX}${duplicateId}#${sk}` });

export function forwardRecordItem(mergeId: string, duplicateId: string, sk: string, entry: SnapshotEntry): RawItem {
  return { ...rawKey(forwardKey(mergeId, duplicateId, sk)), type: { S: MERGE_FORWARD_TYPE }, mergeId: { S: mergeId }, entry: { M: entryToRaw(entry) } };
}

/** Up to `limit` forward records of a merge, as stored (strongly consistent). */
export const forwardsOf = (mergeId: string, limit: number): Promise<RawItem[]> => queryRaw(mergePk(mergeId), FORWARD_PREFIX, limit);

/** The entry a forward record holds. */
export const forwardEntry = (item: RawItem): SnapshotEntry => entryFromRaw(item.entry.M as RawItem);

// ---------- erasure ----------

/**
 * Keys of every item a merge keeps beside its record (snapshot chunks,
 * forward records): byte-for-byte images of its contacts' items, which an
 * erasure of one of them deletes. Only the keys are read.
 */
export async function mergeImageKeys(mergeId: string): Promise<ItemKey[]> {
  const items = await queryAll({ partition: mergePk(mergeId), projection: 'pk, sk', consistent: true, newestFirst: false });
  return items.filter((item) => item.sk !== mergeKey(mergeId).sk).map((item) => ({ pk: String(item.pk), sk: String(item.sk) }));
}
