import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetItems, ddb, tableName } from '../lib/dynamo.js';
import { tryUpdate } from '../lib/dynamo-batch.js';
import { CONTACT_TYPE, IS_CONTACT } from './contact-type.js';
import { contactIdFromPk, contactKey, contactPk, gsi } from './keys.js';
import { queryAll, type Item } from './query.js';

/**
 * A contact's engagement band snapshot (the contact base's `?band=` and the
 * `band` of its rows), on an item of its own in the contact's collection:
 *
 *   CONTACT#<id>   P#BAND   { type: contactBand, contactId, band }   (byBand: BAND#<band> / <contactId>)
 *
 * Only the band snapshot (functions/engagement/band-snapshot.ts) writes it,
 * when the band moves: one small item and its byBand entry (2 write units),
 * where the same move on the profile item (projected into six or more
 * indexes) cost 7-8. There is no item while the band is null.
 *
 * What it is not: a derived counter (`P#ENG…`, which reconciliation owns
 * and the purge leaves to the stream), nor an item a merge moves (merge
 * moves only history, activity, channels and memberships). A purge deletes
 * it with the rest of the collection; a merged-away or purged contact's
 * item that a refresh finds is deleted then. While a contact is in the
 * recycle bin its item stays (a restore finds it current): readers join
 * byBand entries with the live profiles, so binned and merged-away contacts
 * never show in a band listing or count.
 *
 * Profiles written before this item existed carry the snapshot themselves
 * (`band`, `gsi7pk`, `gsi7sk`: "legacy"). Until the contact's next refresh
 * removes them, a legacy profile is in byBand too; it counts only while it
 * still has the entry and the contact has no band item, so nobody is listed
 * twice.
 */
export const BAND_TYPE = 'contactBand';
export const BAND_SK = 'P#BAND';
export const bandKey = (contactId: string) => ({ pk: contactPk(contactId), sk: BAND_SK });
export const isBandItem = (item: { sk?: unknown }): boolean => item.sk === BAND_SK;

const PROFILE_SK = contactKey('').sk;

/**
 * What a contact's band rests on, strongly consistent, in one Query: its
 * band item, the engagement counters (`P#ENGD#…`, `P#ENG#SUMMARY`) and the
 * profile item, which sort together (`P#BAND` … `P#PROFILE`; channel
 * states, list and tag memberships in between come along and are ignored).
 */
export const bandAndCountersAndProfile = (contactId: string): Promise<Item[]> =>
  queryAll({ partition: contactPk(contactId), sortBetween: [BAND_SK, PROFILE_SK], consistent: true, newestFirst: false });

/** The band item of a contact in `band`. */
export function bandItem(contactId: string, band: string): Item {
  return { ...bandKey(contactId), type: BAND_TYPE, contactId, band, ...gsi.band(band, contactId) };
}

/** Snapshot attributes that profiles written before the band item carry. */
export const LEGACY_BAND_ATTRIBUTES = ['band', 'gsi7pk', 'gsi7sk'] as const;
export const hasLegacyBand = (profile: Item): boolean => LEGACY_BAND_ATTRIBUTES.some((name) => profile[name] !== undefined);

/**
 * Moves a contact's band item from `previous` (null: none) to `band` (null:
 * none), on condition that it still holds `previous`: a writer that lost a
 * race gets ConditionalCheckFailedException and reads again.
 */
export async function writeBand(contactId: string, previous: string | null, band: string | null): Promise<void> {
  const condition = previous === null
    ? { ConditionExpression: 'attribute_not_exists(pk)' }
    : { ConditionExpression: 'band = :prev', ExpressionAttributeValues: { ':prev': previous } };
  if (band === null) {
    if (previous === null) return;
    await ddb().send(new DeleteCommand({ TableName: tableName(), Key: bandKey(contactId), ...condition }));
    return;
  }
  await ddb().send(new PutCommand({ TableName: tableName(), Item: bandItem(contactId, band), ...condition }));
}

/**
 * Removes the legacy snapshot attributes from a contact's profile (once, on
 * its first refresh after the band item came). False when there was nothing
 * to remove or the contact is no longer a contact (binned: its restore's
 * refresh does it).
 */
export const removeLegacyBand = (contactId: string): Promise<boolean> =>
  tryUpdate({
    Key: contactKey(contactId),
    UpdateExpression: `REMOVE ${LEGACY_BAND_ATTRIBUTES.join(', ')}`,
    ConditionExpression: `${IS_CONTACT.expression} AND (${LEGACY_BAND_ATTRIBUTES.map((name) => `attribute_exists(${name})`).join(' OR ')})`,
    ExpressionAttributeNames: IS_CONTACT.names,
    ExpressionAttributeValues: IS_CONTACT.values,
  });

/** Band items of contacts (BatchGet), by contact id. */
export async function bandsOf(ids: readonly string[], options: { consistent?: boolean } = {}): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const items = await batchGetItems([...new Set(ids)].map(bandKey), { projection: 'contactId, band', consistent: options.consistent });
  return new Map(items.filter((item) => typeof item.band === 'string').map((item) => [String(item.contactId), String(item.band)]));
}

/**
 * A contact's band given its band item (or none) and its profile: the band
 * item's; without one, what a legacy profile still carries; else null.
 */
export function bandFrom(bandItemBand: string | undefined, profileBand: unknown): string | null {
  if (bandItemBand !== undefined) return bandItemBand;
  return typeof profileBand === 'string' ? profileBand : null;
}

/** Contacts (records or profile items, by `id`) with `band` set from their band items: one BatchGet. */
export async function withBands<T extends { id: string; band?: string | null }>(contacts: readonly T[]): Promise<T[]> {
  const bands = await bandsOf(contacts.map((c) => c.id));
  return contacts.map((c) => ({ ...c, band: bandFrom(bands.get(c.id), c.band) }));
}

/** The band a profile read's items show: the band item among them, or the legacy attribute of the profile. */
export function bandAmong(items: readonly Item[], profile: Item): string | null {
  const own = items.find((item) => isBandItem(item) && (item.pk === undefined || item.pk === profile.pk));
  return bandFrom(typeof own?.band === 'string' ? own.band : undefined, profile.band);
}

/**
 * The live contacts behind a page of byBand entries (band items, and legacy
 * profiles still in the index), in the page's order and each once: one
 * BatchGet of the profiles (`profileProjection` when only some attributes
 * are wanted; `pk`, `type` and `gsi7pk` are needed) and, only for legacy entries,
 * one of their band items. A band item counts when its contact's profile is
 * a contact (not binned, merged away or purged); a legacy entry when the
 * profile is a contact, still carries this band's entry and has no band item.
 */
export async function liveBandEntries(
  band: string,
  entries: readonly Item[],
  profileProjection?: { projection: string; names?: Record<string, string> },
): Promise<Item[]> {
  const entryIds = entries.map((entry) => String(entry.gsi7sk));
  const legacyIds = entries.filter((entry) => entry.sk === PROFILE_SK).map((entry) => String(entry.gsi7sk));
  const [profiles, bandItems] = await Promise.all([
    entryIds.length ? batchGetItems([...new Set(entryIds)].map(contactKey), profileProjection ?? {}) : Promise.resolve([] as Item[]),
    bandsOf(legacyIds),
  ]);
  const byId = new Map(profiles.filter((item) => item.type === CONTACT_TYPE).map((item) => [contactIdFromPk(String(item.pk)), item]));
  const partition = gsi.band(band, '').gsi7pk;
  const seen = new Set<string>();
  const out: Item[] = [];
  for (const entry of entries) {
    const id = String(entry.gsi7sk);
    const profile = byId.get(id);
    if (!profile || seen.has(id)) continue;
    if (entry.sk === PROFILE_SK && (profile.gsi7pk !== partition || bandItems.has(id))) continue;
    seen.add(id);
    out.push(profile);
  }
  return out;
}
