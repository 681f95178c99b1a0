import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { normalizePhone } from '../../shared/phone.js';
import { config } from '../lib/config.js';
import { batchGetItems, ddb, tableName } from '../lib/dynamo.js';
import { contactKey, mergedAliasKey } from '../data/keys.js';
import { INDEXES } from '../data/table-schema.js';

export interface ContactRef {
  contactId?: string;
  phone?: string;
  email?: string;
}

export interface ResolvedContact {
  contactId: string;
  /** The contact's language, when known (sentiment analysis). */
  language?: string;
  /**
   * Set when the named contact is a duplicate merged into this primary
   * (functions/merge): the event still lands on the duplicate's own id, and
   * the merge forwarder moves its item on to the primary, remembering that
   * it named the duplicate, so an undo can give it back.
   */
  mergedInto?: string;
}

/**
 * The contact an event names: by id when given, else by phone (any format,
 * normalized to E.164 in the tenant's region), else by email. When several
 * contacts share a phone or email (duplicates not merged yet) the oldest
 * one wins, so events keep landing on the same contact. Undefined when no
 * contact matches.
 */
export async function resolveContact(ref: ContactRef): Promise<ResolvedContact | undefined> {
  if (ref.contactId) {
    const { Item } = await ddb().send(
      new GetCommand({ TableName: tableName(), Key: contactKey(ref.contactId), ProjectionExpression: 'id, #type, #language', ExpressionAttributeNames: { '#type': 'type', '#language': 'language' } }),
    );
    if (Item?.type === 'contact') return { contactId: String(Item.id), language: Item.language as string | undefined };
    return resolveMergedId(ref.contactId);
  }
  if (ref.phone) {
    const phone = normalizePhone(ref.phone, config().defaultPhoneRegion);
    return phone ? byIndex('byPhone', `PHONE#${phone.e164}`) : undefined;
  }
  if (ref.email) return byIndex('byEmail', `EMAIL#${ref.email.trim().toLowerCase()}`);
  return undefined;
}

/** `resolveContact` for many ids at once: one BatchGetItem per 100 ids (merged duplicates looked up one by one). */
export async function resolveContactIds(ids: readonly string[]): Promise<Map<string, ResolvedContact | undefined>> {
  const items = await batchGetItems(ids.map(contactKey), { projection: 'id, #type, #language', names: { '#type': 'type', '#language': 'language' } });
  const resolved = new Map<string, ResolvedContact | undefined>();
  for (const item of items) if (item.type === 'contact') resolved.set(String(item.id), { contactId: String(item.id), language: item.language as string | undefined });
  for (const id of ids) if (!resolved.has(id)) resolved.set(id, await resolveMergedId(id));
  return resolved;
}

async function byIndex(name: 'byPhone' | 'byEmail', partition: string): Promise<ResolvedContact | undefined> {
  const index = INDEXES[name];
  const { Items } = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: index.name,
      KeyConditionExpression: `${index.partitionKey} = :p`,
      ExpressionAttributeValues: { ':p': partition },
      // Sort keys are contact ids (ULIDs): the first is the oldest contact.
      ScanIndexForward: true,
      Limit: 5,
    }),
  );
  // A merged duplicate's alias sits in the same index under its own id, so the oldest holder still wins as before the merge.
  const contact = (Items ?? []).find((item) => item.type === 'contact' || item.type === MERGED_CONTACT);
  if (contact?.type === MERGED_CONTACT) return mergedResolution(contact);
  return contact ? { contactId: String(contact.id), language: contact.language as string | undefined } : undefined;
}

/** The type of a merged duplicate's alias item (`CONTACT#<id>` / `A#MERGED`, functions/merge/primary-profile.ts). */
const MERGED_CONTACT = 'mergedContact';

const mergedResolution = (alias: Record<string, unknown>): ResolvedContact => ({
  contactId: String(alias.id),
  language: alias.language as string | undefined,
  mergedInto: String(alias.mergedInto),
});

/** An id that is no longer a contact may be a duplicate merged into another one (while that merge stands). */
async function resolveMergedId(contactId: string): Promise<ResolvedContact | undefined> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: mergedAliasKey(contactId) }));
  return Item?.type === MERGED_CONTACT ? mergedResolution(Item) : undefined;
}
