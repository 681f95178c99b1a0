import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RETRY, withBackoff } from '../lib/backoff.js';
import { batchGetItems, ddb, tableName } from '../lib/dynamo.js';
import { cancellationCodes, isConditionFailure } from '../lib/errors.js';
import { activityItem } from './activity.js';
import { contactIndexAttributes, fromContactItem } from './contact.js';
import { BINNED_CONTACT_TYPE, CONTACT_TYPE } from './contact-type.js';
import { contactKey, contactPk, gsi, mergeLockKey, PROFILE_PREFIX } from './keys.js';
import { COUNTER, indexKey, membershipKey, membershipOf, membershipParentKey, type MembershipOf } from './membership.js';
import { queryAll, queryCount, queryFrom, type Item } from './query.js';

/**
 * The recycle bin (API.md "Recycle bin"): a deleted contact's items stay in
 * its own collection, untouched (channels, history, counters, analytics
 * state), so a restore is exact by construction. Only two things change:
 *
 * - the profile item becomes type `binnedContact` with `deletedAt`,
 *   `deletedBy` ({sub, name}), `purgeAt` and `binnedVersion`, and leaves
 *   every contact index: byType moves to BINNED (<deletedAt>#<id>, the bin
 *   listing, newest deletion first), byFilter to PURGE (<purgeAt>#<id>, the
 *   purge schedule), the phone, email, name and assignee entries go (and
 *   the byBand entry a profile written before band items still carries).
 *   Its band item (./contact-band.ts) stays: band listings and counts join
 *   with live profiles, so it is out of them too. Its fields stay, so a restore recomputes those entries with the same
 *   function that wrote them (contact.ts contactIndexAttributes);
 * - each list and tag membership loses its byMember entry (gsi9) with its
 *   list's or tag's count dropped in the same transaction; a restore puts
 *   both back (renamed to the list's current name; one whose list or tag was
 *   deleted meanwhile goes).
 *
 * Every step is one transaction holding the profile and as many memberships
 * as fit, so a contact leaves (and comes back) at once; a contact with more
 * memberships than one transaction holds has the rest moved first, the
 * profile last, so a crash leaves it where it was and a repeat finishes.
 * Whatever finds contacts by type or by index treats a binned one as absent,
 * the stream processors included: its profile record takes it out of the
 * analytics base and the duplicate suggestions, and a restore's brings it back.
 */
export { BINNED_CONTACT_TYPE };

export interface DeletedBy {
  sub: string;
  name: string;
}

/** Profile and membership items of the binned contact: fields the bin reads and writes. */
const BIN_READ_PROJECTION = 'pk, sk, #type, id, version, binnedVersion, purging, listId, tagId, gsi9pk, #name';
/** Memberships per transaction beside the profile, its activity entry and the merge-lock check (2 items each: the membership and its count; DynamoDB allows 100). */
const MEMBERSHIPS_PER_TRANSACTION = 48;
const INDEX_ATTRIBUTES = ['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk', 'gsi4pk', 'gsi4sk', 'gsi5pk', 'gsi5sk', 'gsi6pk', 'gsi6sk', 'gsi7pk', 'gsi7sk', 'gsi8pk', 'gsi8sk'];
const BIN_ATTRIBUTES = ['deletedAt', 'deletedBy', 'purgeAt', 'binnedVersion'];

type TransactItem = NonNullable<TransactWriteCommand['input']['TransactItems']>[number];
const isMembership = (item: Item) => membershipOf(item) !== undefined;
const parentId = (of: MembershipOf) => `${of.kind}:${of.id}`;

/** The profile item (all of it, or the projection) and the membership items, strongly consistent, in one Query. */
async function readBinState(contactId: string, full: boolean): Promise<{ profile?: Item; memberships: Item[] }> {
  const items = await queryAll({
    partition: contactPk(contactId),
    sortPrefix: PROFILE_PREFIX,
    consistent: true,
    newestFirst: false,
    ...(full ? {} : { projection: BIN_READ_PROJECTION, filter: { ExpressionAttributeNames: { '#type': 'type', '#name': 'name' } } }),
  });
  return { profile: items.find((item) => item.sk === contactKey(contactId).sk), memberships: items.filter(isMembership) };
}

/** A membership's move in or out of the bin, with its count: two transaction items (one when its list or tag is gone). */
function membershipMove(contactId: string, item: Item, direction: 'out' | 'in', parent: { exists: boolean; name?: string }): TransactItem[] {
  const of = membershipOf(item)!;
  const key = membershipKey(contactId, of);
  if (direction === 'out') {
    const strip: TransactItem = { Update: { TableName: tableName(), Key: key, UpdateExpression: 'REMOVE gsi9pk, gsi9sk', ConditionExpression: 'attribute_exists(gsi9pk)' } };
    if (!parent.exists) return [strip];
    return [strip, countChange(of, -1)];
  }
  if (!parent.exists) return [{ Delete: { TableName: tableName(), Key: key, ConditionExpression: 'attribute_not_exists(gsi9pk)' } }];
  const entry = indexKey(of, contactId);
  const rename = parent.name !== undefined && parent.name !== item.name;
  return [
    {
      Update: {
        TableName: tableName(),
        Key: key,
        UpdateExpression: `SET gsi9pk = :p, gsi9sk = :s${rename ? ', #n = :n' : ''}`,
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(gsi9pk)',
        ...(rename ? { ExpressionAttributeNames: { '#n': 'name' } } : {}),
        ExpressionAttributeValues: { ':p': entry.gsi9pk, ':s': entry.gsi9sk, ...(rename ? { ':n': parent.name } : {}) },
      },
    },
    countChange(of, 1),
  ];
}

const countChange = (of: MembershipOf, delta: number): TransactItem => ({
  Update: {
    TableName: tableName(),
    Key: membershipParentKey(of),
    UpdateExpression: 'ADD #c :d',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeNames: { '#c': COUNTER[of.kind] },
    ExpressionAttributeValues: { ':d': delta },
  },
});

/** 'locked': a merge or undo holds the contact (its lock item exists); nothing was changed. */
type Outcome = 'done' | 'absent' | 'locked';
/** A membership's transaction items; the last is its count's change when it has one (`parent` names that list or tag). */
interface Move {
  items: TransactItem[];
  parent?: string;
}
/** Transactions to send in order, the profile's the last; `counts[i]` names the list or tag whose count item i changes; `guardAt` is the merge-lock check. */
type Planned = { items: TransactItem[]; counts: (string | undefined)[]; guardAt?: number }[];

function moveOf(contactId: string, item: Item, direction: 'out' | 'in', parent: { exists: boolean; name?: string }): Move {
  const items = membershipMove(contactId, item, direction, parent);
  return { items, parent: items.length === 2 ? parentId(membershipOf(item)!) : undefined };
}

const countsOf = (moves: Move[]) => moves.flatMap((m) => m.items.map((_, i) => (i === 1 ? m.parent : undefined)));

/** Cuts membership moves into transactions, the profile's own last (with as many as fit beside it, its activity `entry`, and `guard`). */
function plan(moves: Move[], profile: TransactItem, entry: Item, guard?: TransactItem): Planned {
  const transactions: Planned = [];
  const rest = [...moves];
  while (rest.length > MEMBERSHIPS_PER_TRANSACTION) {
    const chunk = rest.splice(0, MEMBERSHIPS_PER_TRANSACTION + 1);
    transactions.push({ items: chunk.flatMap((m) => m.items), counts: countsOf(chunk) });
  }
  const last = [...rest.flatMap((m) => m.items), { Put: { TableName: tableName(), Item: entry } }, profile, ...(guard ? [guard] : [])];
  transactions.push({ items: last, counts: last.map((_, i) => countsOf(rest)[i]), guardAt: guard ? last.length - 1 : undefined });
  return transactions;
}

/** A merge or undo running on the contact holds its lock: the bin waits for it (the merge checks the contacts it moves). */
const noMergeLock = (contactId: string): TransactItem => ({
  ConditionCheck: { TableName: tableName(), Key: mergeLockKey(contactId), ConditionExpression: 'attribute_not_exists(pk)' },
});

/**
 * Sends planned transactions in order. A list or tag found gone (its
 * count's condition failed) is remembered in `gone`; any failed condition
 * (a membership or the profile moved under us, a conflicting transaction)
 * asks the caller to read again and plan anew: what committed stays done.
 */
async function send(planned: Planned, gone: Set<string>): Promise<Outcome | typeof RETRY> {
  for (const transaction of planned) {
    try {
      await ddb().send(new TransactWriteCommand({ TransactItems: transaction.items }));
    } catch (error) {
      const codes = cancellationCodes(error);
      if (codes.length === 0) throw error;
      if (transaction.guardAt !== undefined && codes[transaction.guardAt] === 'ConditionalCheckFailed') return 'locked';
      codes.forEach((code, i) => {
        if (code === 'ConditionalCheckFailed' && transaction.counts[i]) gone.add(transaction.counts[i]!);
      });
      return RETRY;
    }
  }
  return 'done';
}

const STEP_RETRIES = { attempts: 8, baseMs: 20, maxMs: 500, exhausted: () => new Error('the contact kept changing while moving it to or from the recycle bin') };

/**
 * Moves a contact into the recycle bin in one step (see above); 'absent'
 * when it is no contact (already binned, purged, merged away, never was),
 * 'locked' while a merge or undo holds it (nothing changed: try again).
 * Active memberships that a racing "add to list" put after our read are
 * moved out afterwards, each with its count: once the profile is binned no
 * new one can come (every membership write checks the profile is a contact).
 */
export async function binContactItems(contactId: string, at: { deletedAt: string; deletedBy: DeletedBy; purgeAt: string }): Promise<Outcome> {
  const gone = new Set<string>();
  const outcome = await withBackoff(async () => {
    const { profile, memberships } = await readBinState(contactId, false);
    if (profile?.type !== CONTACT_TYPE) return 'absent' as const;
    const moves = memberships.filter((m) => m.gsi9pk !== undefined).map((m) => moveOf(contactId, m, 'out', { exists: !gone.has(parentId(membershipOf(m)!)) }));
    return send(plan(moves, binProfileUpdate(contactId, at), activityItem(contactId, 'deleted', {}, at.deletedAt), noMergeLock(contactId)), gone);
  }, STEP_RETRIES);
  if (outcome === 'done') await stripLateMemberships(contactId);
  return outcome;
}

function binProfileUpdate(contactId: string, at: { deletedAt: string; deletedBy: DeletedBy; purgeAt: string }): TransactItem {
  const listed = gsi.binned(at.deletedAt, contactId);
  const due = gsi.purgeDue(at.purgeAt, contactId);
  const removed = INDEX_ATTRIBUTES.filter((name) => !(name in listed) && !(name in due));
  return {
    Update: {
      TableName: tableName(),
      Key: contactKey(contactId),
      ConditionExpression: '#t = :contact',
      UpdateExpression:
        'SET #t = :binned, deletedAt = :at, deletedBy = :by, purgeAt = :purge, gsi1pk = :g1p, gsi1sk = :g1s, gsi6pk = :g6p, gsi6sk = :g6s, ' +
        `binnedVersion = if_not_exists(version, :zero), version = if_not_exists(version, :zero) + :one REMOVE ${removed.join(', ')}`,
      ExpressionAttributeNames: { '#t': 'type' },
      ExpressionAttributeValues: {
        ':contact': CONTACT_TYPE,
        ':binned': BINNED_CONTACT_TYPE,
        ':at': at.deletedAt,
        ':by': { sub: at.deletedBy.sub, name: at.deletedBy.name },
        ':purge': at.purgeAt,
        ':g1p': listed.gsi1pk,
        ':g1s': listed.gsi1sk,
        ':g6p': due.gsi6pk,
        ':g6s': due.gsi6sk,
        ':zero': 0,
        ':one': 1,
      },
    },
  };
}

/** Memberships still counted on a binned contact (a racing addition): each leaves with its count. */
async function stripLateMemberships(contactId: string): Promise<void> {
  const late = (await readBinState(contactId, false)).memberships.filter((m) => m.gsi9pk !== undefined);
  for (const membership of late) {
    // With its count first; when its list or tag is gone (the count's condition failed), alone.
    for (const exists of [true, false]) {
      try {
        await ddb().send(new TransactWriteCommand({ TransactItems: membershipMove(contactId, membership, 'out', { exists }) }));
        break;
      } catch (error) {
        const codes = cancellationCodes(error);
        if (codes[0] === 'ConditionalCheckFailed') break; // removed or moved out meanwhile
        if (codes[1] !== 'ConditionalCheckFailed') throw error;
      }
    }
  }
}

/**
 * Brings a binned contact back exactly as it was: type, index entries
 * recomputed from its fields, its version as before the bin when nothing
 * touched it meanwhile (a catalog change may have: then one above), its
 * memberships back in byMember with their counts. 'absent' when it is not
 * in the bin (or a purge of it has begun).
 */
export async function restoreContactItems(contactId: string): Promise<Outcome> {
  const gone = new Set<string>();
  return withBackoff(async () => {
    const { profile, memberships } = await readBinState(contactId, true);
    if (profile?.type !== BINNED_CONTACT_TYPE || profile.purging !== undefined) return 'absent' as const;
    const stripped = memberships.filter((m) => m.gsi9pk === undefined);
    const parents = new Map(
      (await batchGetItems(stripped.map((m) => membershipParentKey(membershipOf(m)!)), { consistent: true })).map((item) => [`${item.pk}`, item]),
    );
    const moves = stripped.map((m) => {
      const of = membershipOf(m)!;
      const parent = parents.get(membershipParentKey(of).pk);
      const exists = parent !== undefined && !gone.has(parentId(of));
      return moveOf(contactId, m, 'in', { exists, name: parent?.name as string | undefined });
    });
    return send(plan(moves, restoreProfileUpdate(profile), activityItem(contactId, 'restored')), gone);
  }, STEP_RETRIES);
}

function restoreProfileUpdate(profile: Item): TransactItem {
  const contactId = String(profile.id);
  const entries = contactIndexAttributes(fromContactItem(profile));
  const version = typeof profile.version === 'number' ? profile.version : 0;
  const before = typeof profile.binnedVersion === 'number' ? profile.binnedVersion : undefined;
  // Untouched in the bin (the bin's own +1 only): the version it had, so the profile comes back byte for byte.
  const restoredVersion = before !== undefined && version === before + 1 ? before : version + 1;
  const names: Record<string, string> = { '#t': 'type' };
  const values: Record<string, unknown> = { ':binned': BINNED_CONTACT_TYPE, ':contact': CONTACT_TYPE, ':v': version, ':rv': restoredVersion };
  const set = ['#t = :contact', 'version = :rv'];
  Object.entries(entries).forEach(([name, value], i) => {
    names[`#e${i}`] = name;
    values[`:e${i}`] = value;
    set.push(`#e${i} = :e${i}`);
  });
  const remove = [...INDEX_ATTRIBUTES.filter((name) => !(name in entries)), ...BIN_ATTRIBUTES];
  return {
    Update: {
      TableName: tableName(),
      Key: contactKey(contactId),
      ConditionExpression: `#t = :binned AND attribute_not_exists(purging) AND ${typeof profile.version === 'number' ? 'version = :v' : 'attribute_not_exists(version)'}`,
      UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: typeof profile.version === 'number' ? values : Object.fromEntries(Object.entries(values).filter(([k]) => k !== ':v')),
    },
  };
}

/**
 * Marks a binned contact as being purged: it leaves the bin listing, can no
 * longer be restored, and is due for the purge schedule now (so a purge cut
 * short is finished by the next run). False when it is not in the bin.
 */
export async function markPurging(contactId: string, now: string): Promise<boolean> {
  const due = gsi.purgeDue(now, contactId);
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: contactKey(contactId),
        ConditionExpression: '#t = :binned',
        UpdateExpression: 'SET purging = if_not_exists(purging, :now), gsi6sk = :due REMOVE gsi1pk, gsi1sk',
        ExpressionAttributeNames: { '#t': 'type' },
        ExpressionAttributeValues: { ':binned': BINNED_CONTACT_TYPE, ':now': now, ':due': due.gsi6sk },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Binned contacts newest deletion first, from `start` (an item key of the
 * listing, or none), keeping those `keep` accepts, until `limit` are kept or
 * `maxRead` were read. `next` is the key to go on from (the last item read
 * or kept), undefined at the end.
 */
export async function binnedContactsFrom(
  start: Item | undefined,
  limit: number,
  keep: (item: Item) => boolean,
  maxRead = 1000,
): Promise<{ items: Item[]; next: Item | undefined }> {
  const partition = gsi.binned('', '').gsi1pk;
  const kept: Item[] = [];
  let read = 0;
  let at = start;
  for (;;) {
    const page = await queryFrom({ index: 'byType', partition, limit: Math.max(1, Math.min(maxRead - read, Math.max(limit - kept.length, 100))) }, at);
    for (let i = 0; i < page.items.length; i++) {
      const item = page.items[i];
      read++;
      if (item.type === BINNED_CONTACT_TYPE && keep(item)) kept.push(item);
      if (kept.length >= limit || read >= maxRead) {
        const more = i < page.items.length - 1 || page.next !== undefined;
        return { items: kept, next: more ? listingKey(item) : undefined };
      }
    }
    if (!page.next) return { items: kept, next: undefined };
    at = page.next;
  }
}

/** The byType index key of a listed binned profile: where a listing goes on from. */
export const listingKey = (item: Item): Item => ({ pk: item.pk, sk: item.sk, gsi1pk: item.gsi1pk, gsi1sk: item.gsi1sk });

/** Ids of binned contacts whose purge time has come (oldest first), at most `limit`. */
export async function binnedDueBy(now: string, limit: number): Promise<string[]> {
  const partition = gsi.purgeDue('', '').gsi6pk;
  const page = await queryFrom({ index: 'byFilter', partition, sortBetween: ['0', `${now}#~`], newestFirst: false, limit, projection: 'id, #t', filter: { ExpressionAttributeNames: { '#t': 'type' } } }, undefined);
  return page.items.filter((item) => item.type === BINNED_CONTACT_TYPE).map((item) => String(item.id));
}

/** How many contacts the bin holds (COUNT queries); null when counting would run past `deadline` (epoch ms). */
export function countBinned(deadline: number): Promise<number | null> {
  return queryCount({ index: 'byType', partition: gsi.binned('', '').gsi1pk, deadline });
}
