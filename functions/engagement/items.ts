/**
 * Item shapes of the engagement pipeline. Ingestion (functions/events/)
 * writes the state items; the stream processor derives counters from their
 * OLD and NEW images; the profile, the window roll, analytics and merge read
 * them. Key builders live in functions/data/keys.ts.
 *
 *   event -> POST /v1/events -> H#MSG# / H#CONV# state item (one conditional PutItem; the event ids it applied kept on it)
 *         -> table stream -> counters: P#ENGD#<day> per contact, P#ENG#SUMMARY tickets
 *         -> band snapshot item P#BAND (band, byBand gsi7), moved only when the band moves
 *
 * State items are convergent: applying the same events in any order, any
 * number of times, gives the same item (earliest time per stage, latest
 * status by event time, message counts guarded by the ids kept on the
 * conversation item, `msgIds`, and past those by EVT# markers). Every
 * counter is a pure function of the state item's image ("contribution"),
 * so the stream adds contribution(NEW) - contribution(OLD): a message whose
 * first event arrives late moves to its earlier day, a state item moved
 * between contacts (merge, undo) moves its counts with it, and a deleted
 * one takes them away.
 *
 * Times are ISO-8601 UTC strings as produced by Date#toISOString (so they
 * compare as strings); days are tenant-timezone calendar days, derived when
 * counting, never stored on state items.
 */
import type { Channel } from '../../shared/contact-schema.js';
import type { MessageStatus } from '../../shared/engagement.js';

/** A status event applied to a state item: its id, and the nonce of the write that applied it. */
export interface RecentEvent {
  id: string;
  w: string;
}

/** `CONTACT#<contactId>` / `H#MSG#<messageId>`: what is known about one message sent to the contact. */
export interface MessageItem {
  pk: string;
  sk: string;
  type: 'message';
  contactId: string;
  messageId: string;
  /** Channel of the first event seen for the message; later events cannot change it. */
  channel: Channel;
  /** From the first event seen; a broadcast (campaign) message or an individual one. */
  broadcast: boolean;
  /** Earliest reported time of each status event (raw, before stage implications; see shared/engagement.ts). */
  stages: Partial<Record<MessageStatus, string>>;
  /** Earliest time of any event of the message: its day is the message's day. */
  firstAt: string;
  /** The latest status events applied, with the write that applied each (functions/events/ingest.ts: a repeated id is a duplicate). */
  recentEvents?: RecentEvent[];
  /** Optimistic concurrency for the ingestion's read-modify-write. */
  version: number;
  updatedAt: string;
}

export type SentimentLabel = 'positive' | 'neutral' | 'negative' | 'mixed';

/** Message counts of one UTC hour of a conversation (`YYYY-MM-DDTHH`). */
export interface ConversationHour {
  /** Messages the contact sent. */
  contact?: number;
  /** Messages agents (or bots) sent. */
  agent?: number;
  /** Sentiment labels of the contact's messages of that hour. */
  positive?: number;
  neutral?: number;
  negative?: number;
  mixed?: number;
}

/** `CONTACT#<contactId>` / `H#CONV#<conversationId>`: one conversation (a ticket once it has a status). */
export interface ConversationItem {
  pk: string;
  sk: string;
  type: 'conversation';
  contactId: string;
  conversationId: string;
  /** From the first `conversation.status` event that names it. */
  kind?: 'sales' | 'support';
  /** Latest status by event time (`statusAt`); ties keep `resolved`. */
  status?: 'open' | 'resolved';
  statusAt?: string;
  /** Earliest `open` and earliest `resolved` status times. */
  openedAt?: string;
  resolvedAt?: string;
  /** Earliest time of any event of the conversation: its day is the conversation's day. */
  firstAt: string;
  /** Messages per UTC hour `YYYY-MM-DDTHH` (hour buckets keep the item small and map to any timezone with whole-hour offsets). */
  hours: Record<string, ConversationHour>;
  /** Totals over `hours`. */
  contactMessages: number;
  agentMessages: number;
  /** The latest status events applied (not messages: those are in `msgIds`). */
  recentEvents?: RecentEvent[];
  /**
   * Every counted message of the conversation, in the order applied, one
   * 16-character entry each: a 12-character hash of the event id and the
   * 4-character token of the write that applied it (functions/events/message-ids.ts).
   * Never trimmed; a merge joins two items' entries. Absent on conversations
   * whose messages were all counted before ids were kept here (their EVT#
   * markers guard them). At most KEPT_MESSAGE_IDS (150) from ingestion; a
   * message past them is guarded by an EVT# marker, so `contactMessages +
   * agentMessages` above the entries' number means markers must be read.
   */
  msgIds?: string[];
  version: number;
  updatedAt: string;
}

/**
 * `CONTACT#<contactId>` / `P#ENGD#<yyyy-mm-dd>`: counters of one tenant day,
 * written only by the stream through counter-store.ts (ADD, watermarked).
 *
 * Numeric attributes (absent = 0):
 *   `<channel>_sent|delivered|read|clicked|replied|failed`  messages of the day reaching each stage
 *                                     (effective stages: implications applied, only the channel's stages)
 *   `<channel>_engaged`               delivered messages that reached an interaction stage of the channel
 *   `bt_<weekday 0-6>_<hour 0-23>`    reported read/clicked/replied events of the day's messages, by the
 *                                     tenant-local weekday and hour they happened (best time to reach)
 *   `cv_all`                          conversations whose day is this day
 *   `cv_contact`                      of them, those in which the contact sent at least one message
 *   `sn_positive|neutral|negative|mixed`  the contact's conversation messages sent this day, by sentiment
 */
export interface EngagementDayItem {
  pk: string;
  sk: string;
  type: 'engagementDay';
  contactId: string;
  date: string;
  /** Counter-store watermarks: source -> last applied stream sequence number. */
  wm?: Record<string, { s: string; t: number }>;
  [counter: string]: unknown;
}

/**
 * `CONTACT#<contactId>` / `P#ENG#SUMMARY`.
 * Counters (stream, counter-store): `tk_open`, `tk_resolved` (all time, by latest status).
 * The band snapshot lives on its own item (`P#BAND`, data/contact-band.ts); `band`, `rate`,
 * `windowFrom` and `refreshedAt` here are left by earlier versions and no longer read.
 */
export interface EngagementSummaryItem {
  pk: string;
  sk: string;
  type: 'engagementSummary';
  contactId: string;
  tk_open?: number;
  tk_resolved?: number;
  rate?: number | null;
  band?: string | null;
  windowFrom?: string;
  refreshedAt?: string;
  wm?: Record<string, { s: string; t: number }>;
}

/** `ENGDAY#<yyyy-mm-dd>` / `<contactId>`: the contact has a day item for that day; read when the day leaves the window. */
export interface ActiveDayItem {
  pk: string;
  sk: string;
  type: 'activeDay';
  contactId: string;
  date: string;
  expiresAt: number;
}

/**
 * `EVT#<eventId>` / `#EVT`: a counted conversation message (duplicates change
 * nothing). Written by earlier versions for every message; now only for a
 * conversation's messages past the ids its item keeps (`msgIds`), in the
 * transaction that applies them.
 */
export interface EventMarkerItem {
  pk: string;
  sk: string;
  type: 'eventMarker';
  eventId: string;
  /** The state item the event was applied to. */
  target: { pk: string; sk: string };
  receivedAt: string;
  /** Epoch seconds; far beyond stream retention (24 h) and any client retry. */
  expiresAt: number;
  /** Id of the write that applied it (absent on markers of earlier versions): a retry after a lost answer knows it for its own. */
  w?: string;
}

/** `APIKEY#<id>` / `#META`: an integration key; the key itself is never stored, only its SHA-256. */
export interface ApiKeyItem {
  pk: string;
  sk: string;
  type: 'apiKey';
  id: string;
  name: string;
  hash: string;
  /** Last characters of the key, to recognise it in the list. */
  hint: string;
  createdAt: string;
  createdBy: string;
  revokedAt?: string;
  revokedBy?: string;
  gsi1pk: 'APIKEY';
  gsi1sk: string;
}

/** How long an event id is remembered. */
export const EVENT_MARKER_TTL_SECONDS = 180 * 86_400;
