import {
  channelKey,
  contactIdFromPk,
  contactKey,
  contactPk,
  engagementDayOf,
  engagementSummaryKey,
  ACTIVITY_PREFIX,
  HISTORY_PREFIX,
  listKey,
  listMemberKey,
  PROFILE_PREFIX,
  tagKey,
  tagMemberKey,
} from './keys.js';
import { queryRaw, type ItemKey, type RawItem } from './raw-item.js';

/**
 * A contact's collection as a merge sees it: which items move to the
 * primary, and reads of them as stored (strongly consistent).
 *
 * A duplicate's memberships, channel states and history (messages,
 * conversations, dispatches) go to the primary; its profile is replaced by a
 * merged-alias item (./alias.ts). Engagement counters (`P#ENG*`) and
 * analytics state are not moved: they are derived by the stream from the
 * state items, which carry their counts with them
 * (functions/engagement/items.ts), so moving a message moves its numbers and
 * moving it back takes them back.
 */
export type ItemClass = 'membership' | 'channel' | 'history' | 'stays';

const CONTACT_PK_PREFIX = contactPk('');
const PROFILE_SK = contactKey('').sk;
const LIST_MEMBER_PREFIX = listMemberKey('', '').sk;
const TAG_MEMBER_PREFIX = tagMemberKey('', '').sk;
const CHANNEL_PREFIX = channelKey('', '').sk;
const ENGAGEMENT_SUMMARY_SK = engagementSummaryKey('').sk;

export const isContactPk = (pk: string) => pk.startsWith(CONTACT_PK_PREFIX);
export const isProfileSk = (sk: unknown) => sk === PROFILE_SK;
/** A contact's profile item by its key (the stream's view of a record). */
export const isContactProfileKey = (pk: string, sk: string | undefined) => isProfileSk(sk) && isContactPk(pk);
/** A message, conversation or dispatch of a contact (`H#`): never part of the profile read. */
export const isHistorySk = (sk: string) => sk.startsWith(HISTORY_PREFIX);
export const isEngagementSummarySk = (sk: unknown) => sk === ENGAGEMENT_SUMMARY_SK;
export const isEngagementDaySk = (sk: string) => engagementDayOf(sk) !== undefined;
/** A list or tag membership, or a channel state: the profile-side items a merge moves. */
export const isProfileSideSk = (sk: string) => sk.startsWith(LIST_MEMBER_PREFIX) || sk.startsWith(TAG_MEMBER_PREFIX) || sk.startsWith(CHANNEL_PREFIX);
/** The contact id of a `CONTACT#<id>` partition. */
export { contactIdFromPk, contactKey, contactPk };

export function classify(sk: string): ItemClass {
  if (sk.startsWith(LIST_MEMBER_PREFIX) || sk.startsWith(TAG_MEMBER_PREFIX)) return 'membership';
  if (sk.startsWith(CHANNEL_PREFIX)) return 'channel';
  if (isHistorySk(sk)) return 'history';
  return 'stays';
}

/** The list or tag count a membership item contributes to. */
export function membershipParent(sk: string): { key: ItemKey; counter: string } {
  if (sk.startsWith(LIST_MEMBER_PREFIX)) return { key: listKey(sk.slice(LIST_MEMBER_PREFIX.length)), counter: 'memberCount' };
  return { key: tagKey(sk.slice(TAG_MEMBER_PREFIX.length)), counter: 'contactCount' };
}

/** The contact's profile items (`P#`), as stored. */
export const profileItemsRaw = (contactId: string): Promise<RawItem[]> => queryRaw(contactPk(contactId), PROFILE_PREFIX);

/** The contact's memberships and channel states, as stored (a switch moves them with the profiles). */
export const profileSideItems = (contactId: string): Promise<RawItem[]> =>
  Promise.all([CHANNEL_PREFIX, LIST_MEMBER_PREFIX, TAG_MEMBER_PREFIX].map((prefix) => queryRaw(contactPk(contactId), prefix))).then((r) => r.flat());

/** The contact's history items, as stored. */
export const historyItems = (contactId: string): Promise<RawItem[]> => queryRaw(contactPk(contactId), HISTORY_PREFIX);

/**
 * Sort-key prefixes of the movable items, in the order chunks take them:
 * the switch already moved the profile-side ones in any ordinary merge, so
 * history and activity come first and the others are only looked for once
 * they are done. Activity entries move like history: while merged, the
 * primary's timeline shows the duplicate's.
 */
const MOVABLE_PREFIXES = [HISTORY_PREFIX, ACTIVITY_PREFIX, CHANNEL_PREFIX, LIST_MEMBER_PREFIX, TAG_MEMBER_PREFIX];

/** Up to `limit` items of a contact that a merge moves, history first. */
export async function movableItems(contactId: string, limit: number): Promise<RawItem[]> {
  const out: RawItem[] = [];
  for (const prefix of MOVABLE_PREFIXES) {
    if (out.length >= limit) break;
    out.push(...(await queryRaw(contactPk(contactId), prefix, limit - out.length)));
  }
  return out;
}

