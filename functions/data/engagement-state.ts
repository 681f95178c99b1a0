import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetItems, ddb, tableName } from '../lib/dynamo.js';
import { contactKey, contactPk, conversationKey, eventMarkerKey, gsi, mergedAliasKey, messageKey } from './keys.js';
import { queryIndexPage, type Item } from './query.js';

/**
 * What an integration event lands on (shapes in functions/engagement/items.ts):
 *   CONTACT#<id>  H#MSG#<messageId>        a message's state (stage -> earliest time)
 *                 H#CONV#<conversationId>  a conversation's state (status, messages per hour)
 *   EVT#<eventId> #EVT                     a conversation message's idempotency marker (TTL): written by
 *                                          earlier versions for every message, now only past the ids a
 *                                          conversation item keeps (functions/events/message-ids.ts)
 * and how an event's contact is found: by id (the profile, or a merged
 * duplicate's alias item), by phone or by email (their indexes, oldest
 * contact first).
 */
export { conversationKey, eventMarkerKey, messageKey };

export const MESSAGE_TYPE = 'message';
export const CONVERSATION_TYPE = 'conversation';
export const EVENT_MARKER_TYPE = 'eventMarker';

export type ItemKey = { pk: string; sk: string };

const MESSAGE_PREFIX = messageKey('', '').sk;
const CONVERSATION_PREFIX = conversationKey('', '').sk;
const CONTACT_PK_PREFIX = contactPk('');

/** A message or conversation state item's sort key. */
export const isEngagementStateSk = (sk: string): boolean => sk.startsWith(MESSAGE_PREFIX) || sk.startsWith(CONVERSATION_PREFIX);

/** A key in a contact's collection. */
export const isContactPk = (pk: string): boolean => pk.startsWith(CONTACT_PK_PREFIX);

/**
 * The idempotency marker of a conversation message counted past its
 * conversation's kept ids (functions/events/message-ids.ts), written in the
 * transaction that applies it; `w` is that write's id, so an attempt whose
 * answer was lost knows the marker for its own.
 */
export function eventMarkerItem(eventId: string, target: ItemKey, receivedAt: string, expiresAt: number, w?: string): Item {
  return { ...eventMarkerKey(eventId), type: EVENT_MARKER_TYPE, eventId, target, receivedAt, expiresAt, ...(w ? { w } : {}) };
}

/** The EVT# markers that exist among these event ids (strongly consistent, BatchGets of 100). */
export const eventMarkers = (eventIds: readonly string[]): Promise<Item[]> =>
  batchGetItems(eventIds.map(eventMarkerKey), { consistent: true, projection: 'eventId, w' });

/** Current state items (strongly consistent), in BatchGets of 100. */
export const engagementStates = (keys: readonly ItemKey[]): Promise<Item[]> => batchGetItems([...keys], { consistent: true });

/** One state item, strongly consistent. */
export async function engagementState(key: ItemKey): Promise<Item | undefined> {
  return (await ddb().send(new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: true }))).Item;
}

const CONTACT_PROJECTION = { projection: 'id, #type, #language', names: { '#type': 'type', '#language': 'language' } };

/** Profiles of many contacts (id, type, language: what an event needs), in BatchGets of 100. */
export const contactsForEvents = (ids: readonly string[]): Promise<Item[]> => batchGetItems(ids.map(contactKey), CONTACT_PROJECTION);

/** A merged duplicate's alias item, if the id is one. */
export async function mergedAliasOf(contactId: string): Promise<Item | undefined> {
  return (await ddb().send(new GetCommand({ TableName: tableName(), Key: mergedAliasKey(contactId) }))).Item;
}

/**
 * The oldest holders of a phone (E.164) or a lower-cased email: contacts
 * and merged duplicates' aliases, which sit in the same index under their
 * own ids (sort keys are contact ids, ULIDs: oldest first).
 */
export async function oldestHolders(by: { e164: string } | { email: string }, limit = 5): Promise<Item[]> {
  const query =
    'e164' in by
      ? ({ index: 'byPhone', partition: gsi.byPhone(by.e164, '').gsi2pk } as const)
      : ({ index: 'byEmail', partition: gsi.byEmail(by.email, '').gsi3pk } as const);
  return (await queryIndexPage({ ...query, limit, newestFirst: false })).items;
}
