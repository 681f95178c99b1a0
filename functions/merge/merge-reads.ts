import { contactDispatchesBelow } from '../data/dispatch.js';
import { contactPk, isEngagementDaySk, isEngagementSummarySk, isProfileSideSk, isProfileSk, profileItemsRaw } from '../data/merge-collection.js';
import { DISPATCH_MERGE_MARKER_SK, isDispatchMergeMarker, isMergeMarker, MERGE_MARKER_SK, MERGE_MARKER_TYPE } from '../data/merge-marker.js';
import { getMergeRecord, type MergeRecord } from '../data/merge-record.js';
import { plain } from '../data/raw-item.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { ValidationError } from '../lib/errors.js';

/**
 * What readers of a contact do while a merge or undo involving it runs
 * (the scheme: ./DESIGN.md, "Never half-visible").
 *
 * They find out for free: the merge's markers sit inside the ranges they
 * already read (`P#MERGE` in the profile's Query, `H#DSP#~MERGE` at the top
 * of the dispatch report's). Only then do they read the merge record and,
 * for a primary whose history is still moving, the duplicates' collections:
 * first the duplicates' and then the primary's, strongly consistent. Each
 * chunk moves its items in one transaction (deleted from the duplicate, put
 * on the primary), so an item is in one of the two reads at least, and
 * keeping one copy per sort key shows it exactly once.
 */
type Item = Record<string, unknown>;

export { DISPATCH_MERGE_MARKER_SK, isMergeMarker, MERGE_MARKER_SK, MERGE_MARKER_TYPE };

/** Duplicates that may still hold items of a moving merge (those before `dupCursor` are empty). */
const unmoved = (record: MergeRecord) => record.duplicateIds.slice(record.dupCursor ?? 0);
const isMoving = (record: MergeRecord | undefined, primaryId: string): record is MergeRecord => record?.phase === 'moving' && record.primaryId === primaryId;

/** A contact's profile items, strongly consistent. */
const profileItems = async (contactId: string): Promise<Item[]> => (await profileItemsRaw(contactId)).map(plain);

const num = (value: unknown) => (typeof value === 'number' ? value : 0);

/**
 * The primary's profile items with what its duplicates still hold: lists,
 * tags and channels once each (the primary's own state first, then the
 * duplicates' in merge order, as the merge itself decides), engagement day
 * counters side by side (the profile adds them up) and ticket counters
 * added into one summary. Counters follow moved items through the stream,
 * so the sum is the merged contact's figure, eventually consistent like
 * every counter.
 */
export function unionProfileItems(own: Item[], theirs: Item[][]): Item[] {
  const out = own.filter((item) => !isMergeMarker(item) && !isEngagementSummarySk(item.sk));
  const seen = new Set(out.map((item) => String(item.sk)));
  let summary = own.find((item) => isEngagementSummarySk(item.sk));
  for (const item of theirs.flat()) {
    const sk = String(item.sk);
    if (isEngagementDaySk(sk)) out.push(item);
    else if (isEngagementSummarySk(sk)) summary = { ...(summary ?? item), tk_open: num(summary?.tk_open) + num(item.tk_open), tk_resolved: num(summary?.tk_resolved) + num(item.tk_resolved) };
    else if (isProfileSideSk(sk) && !seen.has(sk)) {
      out.push(item);
      seen.add(sk);
    }
  }
  return summary ? [...out, summary] : out;
}

/**
 * Profile items of a contact whose Query met a merge marker (`items`
 * is that Query's answer): a duplicate already switched has no profile; a
 * late duplicate being given back by an undo has the profile its marker
 * holds; a primary whose history is moving has the union above.
 */
export async function profileItemsDuringMerge(contactId: string, items: Item[]): Promise<Item[]> {
  const marker = items.find(isMergeMarker)!;
  const rest = items.filter((item) => !isMergeMarker(item));
  const record = await getMergeRecord(String(marker.mergeId));
  const phase = record?.phase;
  if (marker.role === 'duplicate') {
    if (phase === 'moving' || phase === 'completed' || phase === 'undoPreparing') return rest.filter((item) => !isProfileSk(item.sk));
    if (phase === 'undoing' && marker.restore && !rest.some((item) => isProfileSk(item.sk))) return [...rest, marker.restore as Item];
    return rest;
  }
  if (!isMoving(record, contactId)) return rest;
  const theirs = await Promise.all(unmoved(record).map(profileItems));
  return unionProfileItems(await profileItems(contactId), theirs);
}

/** A page of the dispatch report continues as it began: merged (`merge` in the cursor) or not. */
const MERGED_CURSOR_KEYS = ['pk', 'sk', 'merge'];

/** The merge a dispatch report cursor was made in, when it was made while one was moving. */
export function mergeOfDispatchCursor(cursor: string | undefined, contactId: string): string | undefined {
  if (!cursor) return undefined;
  try {
    return decodeCursor(cursor, MERGED_CURSOR_KEYS, (s) => s.pk === contactPk(contactId))?.merge;
  } catch (error) {
    if (error instanceof ValidationError) return undefined;
    throw error;
  }
}

/** Up to `want` dispatches of one contact below `below`, newest first, with the shown status `status` when given. */
async function dispatchesBelow(contactId: string, below: string | undefined, want: number, status: string | undefined): Promise<Item[]> {
  const out: Item[] = [];
  let from = below;
  let more: boolean;
  do {
    const page = await contactDispatchesBelow(contactId, from, want + 1, { consistent: true });
    for (const item of page.items) {
      if (isDispatchMergeMarker(item)) continue;
      if (status && (item.deliveryStatus ?? item.status) !== status) continue;
      out.push(item);
    }
    more = page.next !== undefined;
    from = page.next ? String(page.next.sk) : undefined;
  } while (more && out.length < want);
  return out.slice(0, want);
}

/**
 * The dispatch report of a contact whose report met a merge marker, or
 * whose cursor was made while a merge was moving: the duplicates' and then
 * the primary's dispatches, each copy once, as the primary's. Each read
 * takes the page size plus one below the cursor: an item in the union's
 * page is among the first of whichever collection held it when read.
 */
export async function dispatchesDuringMerge<V>(
  query: { contactId: string; status?: string; limit: number; cursor?: string },
  mergeId: string,
  view: (item: Item) => V,
): Promise<{ items: V[]; cursor: string | null }> {
  const keys = mergeOfDispatchCursor(query.cursor, query.contactId) ? MERGED_CURSOR_KEYS : ['pk', 'sk'];
  const below = decodeCursor(query.cursor, keys, (s) => s.pk === contactPk(query.contactId))?.sk;
  const record = await getMergeRecord(mergeId);
  const sources = isMoving(record, query.contactId) ? unmoved(record) : [];
  const want = query.limit + 1;
  const theirs = (await Promise.all(sources.map((id) => dispatchesBelow(id, below, want, query.status)))).flat();
  const own = await dispatchesBelow(query.contactId, below, want, query.status);
  const bySk = new Map<string, Item>();
  for (const item of [...theirs, ...own]) bySk.set(String(item.sk), { ...item, contactId: query.contactId });
  const sorted = [...bySk.values()].sort((a, b) => (String(a.sk) < String(b.sk) ? 1 : -1)).slice(0, want);
  const page = sorted.slice(0, query.limit);
  const more = sorted.length > query.limit;
  return {
    items: page.map(view),
    cursor: more ? encodeCursor(sources.length ? { pk: contactPk(query.contactId), sk: String(page.at(-1)!.sk), merge: mergeId } : { pk: contactPk(query.contactId), sk: String(page.at(-1)!.sk) }) : null,
  };
}
