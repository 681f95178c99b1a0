/**
 * Key builders: the only place that composes pk/sk and index key values.
 *
 * Item collections (pk -> sort keys):
 *   CONTACT#<id>   P#PROFILE             the contact          (byType, byPhone, byEmail, byFirstName, byLastName, byFilter, byBand, byAssignee)
 *                                         or, type `binnedContact`, the contact in the recycle bin: only in byType
 *                                         (BINNED, <deletedAt>#<id>) and byFilter (PURGE, <purgeAt>#<id>); data/binned-contact.ts
 *                  P#CH#<channel>        channel state
 *                  P#LIST#<listId>       list membership      (byMember: LIST#<listId> / <contactId>)
 *                  P#TAG#<tagId>         tag membership       (byMember: TAG#<tagId> / <contactId>)
 *                  P#ENG...              engagement summary, daily counters, tickets, satisfaction
 *                  H#...                 history (messages, conversations, dispatches): NOT part of the profile read
 *                  T#<at>#<id>           activity entry (data/activity.ts): moves with the history in a merge
 *   LIST#<id>      #META                 list with memberCount (byType: LIST)
 *   TAG#<id>       #META                 tag with contactCount (byType: TAG)
 *   TAGNAME#<folded name> #NAME          uniqueness guard for tag names
 *   COMPANY#<id> / DEPARTMENT#<id> / CFIELD#<id> / AGENT#<id>   #META (byType)
 *
 * Access patterns:
 *   profile read             Query pk=CONTACT#id, begins_with(sk, "P#")          (one request)
 *   contact base page        Query byType gsi1pk=CONTACT, newest first, + BatchGet of the rows' band items (P#BAND)
 *   phone / email lookup     Query byPhone / byEmail                             (one request)
 *   name prefix              Query byFirstName + byLastName, begins_with
 *   blocked / assignee       Query byFilter / byAssignee (sparse)
 *   band                     Query byBand (band items, data/contact-band.ts), then BatchGet the live profiles
 *   list or tag members      Query byMember, then BatchGet the profiles
 */
export const PROFILE_PREFIX = 'P#';
export const HISTORY_PREFIX = 'H#';

export const contactKey = (id: string) => ({ pk: `CONTACT#${id}`, sk: 'P#PROFILE' });
export const ACTIVITY_PREFIX = 'T#';
export const activityKey = (contactId: string, at: string, id: string) => ({ pk: contactPk(contactId), sk: `${ACTIVITY_PREFIX}${at}#${id}` });
export const contactPk = (id: string) => `CONTACT#${id}`;
export const contactIdFromPk = (pk: string) => pk.slice('CONTACT#'.length);
/** Whether a key (a stream record's Keys, unmarshalled) is a contact's profile item. */
export const isContactProfileKey = (key: { pk?: unknown; sk?: unknown }) => key.sk === 'P#PROFILE' && String(key.pk ?? '').startsWith('CONTACT#');
export const channelKey = (id: string, channel: string) => ({ pk: contactPk(id), sk: `P#CH#${channel}` });
export const listMemberKey = (contactId: string, listId: string) => ({ pk: contactPk(contactId), sk: `P#LIST#${listId}` });
export const tagMemberKey = (contactId: string, tagId: string) => ({ pk: contactPk(contactId), sk: `P#TAG#${tagId}` });

export const listKey = (id: string) => ({ pk: `LIST#${id}`, sk: '#META' });
export const tagKey = (id: string) => ({ pk: `TAG#${id}`, sk: '#META' });
export const tagNameKey = (foldedName: string) => ({ pk: `TAGNAME#${foldedName}`, sk: '#NAME' });

/** Simple catalog entities that share one shape: `{ id, name }` under `<TYPE>#<id>` / `#META`. */
export const CATALOG_TYPES = {
  company: 'COMPANY',
  department: 'DEPARTMENT',
  customField: 'CFIELD',
  agent: 'AGENT',
} as const;
export const catalogKey = (type: keyof typeof CATALOG_TYPES, id: string) => ({ pk: `${CATALOG_TYPES[type]}#${id}`, sk: '#META' });

/**
 * Catalog members and background jobs (functions/catalog, functions/jobs):
 *   COMPANY#<id> / DEPARTMENT#<id>  M#<contactId>  a contact carrying it (kept by the catalog-refs stream
 *                                                  processor; a consistent Query finds them for rename/delete)
 *   CFIELDKEY#<lower-cased key>     #KEY           uniqueness guard of a custom field key
 *   JOB#<id>                        #META          job with progress, lease and heartbeat (byType: JOB)
 */
export const CATALOG_MEMBER_PREFIX = 'M#';
export const catalogMemberKey = (type: 'company' | 'department', id: string, contactId: string) => ({
  pk: `${CATALOG_TYPES[type]}#${id}`,
  sk: `${CATALOG_MEMBER_PREFIX}${contactId}`,
});
export const customFieldKeyGuard = (key: string) => ({ pk: `CFIELDKEY#${key.toLowerCase()}`, sk: '#KEY' });
export const jobKey = (id: string) => ({ pk: `JOB#${id}`, sk: '#META' });

/** Index attribute values, by index. */
export const gsi = {
  byType: (type: string, sortValue: string) => ({ gsi1pk: type, gsi1sk: sortValue }),
  byPhone: (e164: string, contactId: string) => ({ gsi2pk: `PHONE#${e164}`, gsi2sk: contactId }),
  byEmail: (email: string, contactId: string) => ({ gsi3pk: `EMAIL#${email}`, gsi3sk: contactId }),
  byFirstName: (foldedFullName: string, contactId: string) => ({ gsi4pk: 'FNAME', gsi4sk: `${foldedFullName}#${contactId}` }),
  byLastName: (foldedLastName: string, contactId: string) => ({ gsi5pk: 'LNAME', gsi5sk: `${foldedLastName}#${contactId}` }),
  blocked: (contactId: string) => ({ gsi6pk: 'BLOCKED', gsi6sk: contactId }),
  band: (band: string, contactId: string) => ({ gsi7pk: `BAND#${band}`, gsi7sk: contactId }),
  assignee: (type: string, id: string, contactId: string) => ({ gsi8pk: `ASSIGNEE#${type}#${id}`, gsi8sk: contactId }),
  listMember: (listId: string, contactId: string) => ({ gsi9pk: `LIST#${listId}`, gsi9sk: contactId }),
  tagMember: (tagId: string, contactId: string) => ({ gsi9pk: `TAG#${tagId}`, gsi9sk: contactId }),
  /** A contact in the recycle bin (byType, its profile's own gsi1 moved aside): most recently deleted last in key order. */
  binned: (deletedAt: string, contactId: string) => ({ gsi1pk: 'BINNED', gsi1sk: `${deletedAt}#${contactId}` }),
  /** A contact in the recycle bin by the time it is due to be purged (byFilter, where a binned profile has no `blocked` entry). */
  purgeDue: (purgeAt: string, contactId: string) => ({ gsi6pk: 'PURGE', gsi6sk: `${purgeAt}#${contactId}` }),
};

/** Index attribute names of the contact profile that depend on its fields (removed when the field is cleared). */
export const CONTACT_INDEX_ATTRIBUTES = ['gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk', 'gsi4pk', 'gsi4sk', 'gsi5pk', 'gsi5sk', 'gsi6pk', 'gsi6sk', 'gsi8pk', 'gsi8sk'] as const;

/**
 * Duplicates and merges (functions/merge):
 *   DUPKEY#<phone:+55...|email:...>  #META       a suggestion key: `members` (string set of non-blocked contact ids);
 *                                                 in byType (MERGE_SUGGESTION, <since>#<key>) only while it has >= 2
 *   MERGE#<id>     #META                         the merge record (byType: MERGE, newest first)
 *                  S#<pk>#<sk>                   byte-for-byte snapshot of an item the merge changed or deleted
 *                  R#<eventId-or-sk>             an item created on the primary because an event named a duplicate
 *   MERGELOCK#<contactId> #LOCK                  one merge at a time per contact
 *   CONTACT#<dupId> A#MERGED                     a merged duplicate: where its id now resolves (not under P# or H#)
 *   ALIAS#PHONE#<e164> / ALIAS#EMAIL#<email>  <mergeId>   a merged duplicate's phone/email, for event resolution
 *
 * Access patterns:
 *   suggestions of the base   Query byType gsi1pk=MERGE_SUGGESTION (sparse), newest first
 *   suggestions of a contact  Query byPhone + byEmail with the contact's values
 *   merge history             Query byType gsi1pk=MERGE, newest first
 *   merged id / phone / email GetItem CONTACT#<id> A#MERGED; Query ALIAS#PHONE#<e164>, newest first
 */
export const suggestionKey = (key: string) => ({ pk: `DUPKEY#${key}`, sk: '#META' });
export const mergeKey = (id: string) => ({ pk: `MERGE#${id}`, sk: '#META' });
export const mergePk = (id: string) => `MERGE#${id}`;
export const mergeLockKey = (contactId: string) => ({ pk: `MERGELOCK#${contactId}`, sk: '#LOCK' });
export const mergedAliasKey = (contactId: string) => ({ pk: contactPk(contactId), sk: 'A#MERGED' });
export const aliasPk = (kind: 'phone' | 'email', value: string) => `ALIAS#${kind.toUpperCase()}#${value}`;
/**
 * Merge markers, only while a merge or undo involving the contact runs (functions/merge/merge-reads.ts):
 *   CONTACT#<id>  P#MERGE        read by the profile's own Query
 *   CONTACT#<id>  H#DSP#~MERGE   the same inside the dispatch report's range, above every dispatch id
 * Merged-alias items are also in byType (MERGED_CONTACT, <dupId>): the import's de-duplication reads them.
 */
export const mergeMarkerKey = (contactId: string) => ({ pk: contactPk(contactId), sk: 'P#MERGE' });
export const dispatchMergeMarkerKey = (contactId: string) => ({ pk: contactPk(contactId), sk: 'H#DSP#~MERGE' });

/**
 * Engagement pipeline (shapes in functions/engagement/items.ts):
 *   CONTACT#<id>   H#MSG#<messageId>      message state (stage -> earliest time)      stream -> counters
 *                  H#CONV#<conversationId> conversation state (status, messages)      stream -> counters
 *                  P#ENGD#<yyyy-mm-dd>    per-day engagement counters (profile read)
 *                  P#ENG#SUMMARY          tickets counters (profile read)
 *   ENGDAY#<date>  <contactId>            contacts with engagement on that day (window roll)
 *   EVT#<eventId>  #EVT                   idempotency marker of a conversation message past the ids its conversation keeps (TTL; ingest.ts)
 *   APIKEY#<id>    #META                  integration API key, hash only (byType: APIKEY)
 *   ROLL#<name>    #STATE                 progress of a scheduled roll
 */
export const messageKey = (contactId: string, messageId: string) => ({ pk: contactPk(contactId), sk: `H#MSG#${messageId}` });
export const conversationKey = (contactId: string, conversationId: string) => ({ pk: contactPk(contactId), sk: `H#CONV#${conversationId}` });
export const dispatchKey = (contactId: string, dispatchId: string) => ({ pk: contactPk(contactId), sk: `H#DSP#${dispatchId}` });
export const engagementDayKey = (contactId: string, date: string) => ({ pk: contactPk(contactId), sk: `P#ENGD#${date}` });
export const engagementSummaryKey = (contactId: string) => ({ pk: contactPk(contactId), sk: 'P#ENG#SUMMARY' });
export const activeDayKey = (date: string, contactId: string) => ({ pk: `ENGDAY#${date}`, sk: contactId });
export const eventMarkerKey = (eventId: string) => ({ pk: `EVT#${eventId}`, sk: '#EVT' });
export const apiKeyKey = (id: string) => ({ pk: `APIKEY#${id}`, sk: '#META' });

/**
 * Erasure and suppression (functions/privacy/):
 *   SUPPRESSION#<hash>   #META   a suppressed phone or email, stored only as its keyed hash (HMAC-SHA256
 *                                under the tenant's suppression secret); the hash is the entry's id
 *                                (byType: SUPPRESSION, <createdAt>#<hash>, newest first)
 * Access patterns: "is any of these values suppressed" is one BatchGet of their hashes; the list is one
 * Query of byType; a lookup by value is one GetItem of its hash.
 */
export const suppressionKey = (hash: string) => ({ pk: `SUPPRESSION#${hash}`, sk: '#META' });
export const rollStateKey = (name: string) => ({ pk: `ROLL#${name}`, sk: '#STATE' });

/**
 * Items of a contact's collection that the stream derives from its other
 * items (engagement counters under `P#ENG`, the analytics state under `S#`).
 * The stream processors own them: a purge leaves them to be folded to zero
 * by the history's REMOVE records, after which they stay as expiring
 * tombstones that guard replays (DESIGN.md), never deleted by the purge.
 */
export const isDerivedContactItem = (sk: string) => sk.startsWith('P#ENG') || sk.startsWith('S#');
/** How long a zeroed derived item outlives its last change: beyond the stream's 24 h retention plus any retry. */
export const TOMBSTONE_SECONDS = 3 * 86_400;

/**
 * Contact Behavior panel (functions/analytics/). Tenant-wide aggregates are
 * counter items written through the engagement counter store; each has its
 * own partition except the day and month series, which the panel reads as
 * one range each.
 *   ANLANE#<n>     S#<contactId>          the contact's activity state (days per metric, months, journey times, base, geography),
 *                                         in its lane n: hop 2 turns the state's stream records into aggregate deltas
 *   CONTACT#<id>   S#ANALYTICS            where the state lived before (read once, carried into its lane)
 *   ANNODE#<level>#<index>  #NODE         distinct-count histograms of an aligned day range
 *   ANDAY          <yyyy-mm-dd>           daily counts, heatmap hours, base changes
 *   ANMONTH        <yyyy-mm>              monthly distinct contacts, base changes
 *   ANGEO          #GEO                   contacts in the base by country and state
 * Panel read: one BatchGet (nodes of both periods + geography) and one Query each on ANDAY and ANMONTH.
 */
/** Where a contact's activity state lived before it moved into its lane (read once to carry it over; see activity-state.ts). */
export const contactActivityKey = (contactId: string) => ({ pk: contactPk(contactId), sk: 'S#ANALYTICS' });
/** Analytics lane partitions share this partition-key prefix (the stream filter lets them through; hop 2 claims them). */
export const ANALYTICS_LANE_PREFIX = 'ANLANE#';
/**
 * Lanes: each is one partition key whose records the stream keeps in order
 * (as a contact's partition is for its counters), and a hot aggregate keeps
 * one watermark per lane. 32 keeps each lane at about 3% of the state writes,
 * far below a partition's 1,000 write units a second (a partition that hot
 * could be split by sort key, and its records would then come from two
 * shards), at the price of hot aggregates holding up to 32 watermarks.
 */
export const ANALYTICS_LANES = 32;
export const analyticsLaneKey = (lane: number) => ({ pk: `${ANALYTICS_LANE_PREFIX}${lane}`, sk: '#LANE' });
/** A contact's lane: a fixed hash of its id, so all its state writes go through one ordered partition. */
export function analyticsLaneOf(contactId: string): number {
  let h = 0;
  for (let i = 0; i < contactId.length; i++) h = (h * 31 + contactId.charCodeAt(i)) >>> 0;
  return h % ANALYTICS_LANES;
}
const ANALYTICS_STATE_PREFIX = 'S#';
/** A contact's activity state, in its lane's partition: hop 2 reads the state's own stream records (old and new image). */
export const analyticsStateKey = (contactId: string) => ({ pk: `${ANALYTICS_LANE_PREFIX}${analyticsLaneOf(contactId)}`, sk: `${ANALYTICS_STATE_PREFIX}${contactId}` });
export const isAnalyticsStateKey = (key: { pk: string; sk: string }) => key.pk.startsWith(ANALYTICS_LANE_PREFIX) && key.sk.startsWith(ANALYTICS_STATE_PREFIX);
export const contactIdFromStateSk = (sk: string) => sk.slice(ANALYTICS_STATE_PREFIX.length);
export const analyticsNodeKey = (nodeId: string) => ({ pk: `ANNODE#${nodeId}`, sk: '#NODE' });
export const analyticsDayKey = (day: string) => ({ pk: 'ANDAY', sk: day });
export const analyticsMonthKey = (month: string) => ({ pk: 'ANMONTH', sk: month });
export const analyticsGeoKey = () => ({ pk: 'ANGEO', sk: '#GEO' });

/**
 * Scheduled reconciliation (functions/reconcile/): recomputes the derived
 * numbers from the table and repairs what differs.
 *   ROLL#reconcile  #STATE                   progress of the run under way (phase, scan cursors, counts, lease)
 *                   RUN#<runId>              summary of a finished run (counts per kind, example keys), newest last
 *                   SUM#<runId>#<chunk>#<part>  a chunk's share of the expected tenant aggregates (TTL)
 * Access patterns: the state is one GetItem; the latest summary is one Query
 * on begins_with(sk, "RUN#"), newest first; a run's sums one Query on
 * begins_with(sk, "SUM#<runId>#").
 */
export const RECONCILE_NAME = 'reconcile';
export const reconcileStateKey = () => rollStateKey(RECONCILE_NAME);
export const RECONCILE_RUN_PREFIX = 'RUN#';
export const reconcileRunKey = (runId: string) => ({ pk: reconcileStateKey().pk, sk: `${RECONCILE_RUN_PREFIX}${runId}` });
export const reconcileSumPrefix = (runId: string) => `SUM#${runId}#`;
export const reconcileSumKey = (runId: string, chunk: number, part: number) => ({
  pk: reconcileStateKey().pk,
  sk: `${reconcileSumPrefix(runId)}${String(chunk).padStart(6, '0')}#${part}`,
});
/** The part of a contact's collection that reconciliation reads in one Query: merged alias, history, profile items, derived state. */
export const contactCollectionRange = (contactId: string) => ({ pk: contactPk(contactId), from: 'A#', to: contactActivityKey(contactId).sk });
/** Engagement counter items of a contact (`P#ENGD#<day>` and `P#ENG#SUMMARY`) share this sort-key prefix. */
export const ENGAGEMENT_COUNTER_PREFIX = 'P#ENG';
/** The day of a per-day engagement counter item's sort key, or undefined for other items. */
export const engagementDayOf = (sk: string) => (sk.startsWith('P#ENGD#') ? sk.slice('P#ENGD#'.length) : undefined);
