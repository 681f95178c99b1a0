import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../lib/config.js';
import { ddb, tableName } from '../lib/dynamo.js';
import { cancellationCodes, isConditionFailure, TooLargeError, ValidationError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { engagementState, engagementStates, eventMarkerItem, eventMarkers } from '../data/engagement-state.js';
import { RETRY, withBackoff } from '../lib/backoff.js';
import { inParallel } from '../lib/concurrency.js';
import { EVENT_MARKER_TTL_SECONDS, type SentimentLabel } from '../engagement/items.js';
import { applyEvent, targetKey, type StateItem } from './apply-event.js';
import { KEPT_MESSAGE_IDS, keptEntry, keptIds, messageIdHash, writeToken } from './message-ids.js';
import { MAX_EVENTS_PER_CALL, parseEvent, type IntegrationEvent } from './event-schema.js';
import { resolveContact, resolveContactIds, type ContactRef, type ResolvedContact } from './resolve-contact.js';
import { sentimentOf } from './sentiment.js';
import { emailValue, isSuppressed, phoneValue, suppressedAmong, type SuppressibleValue } from '../privacy/suppression-check.js';

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: { id: string | null; index: number; reason: string }[];
}

interface Pending {
  event: IntegrationEvent;
  index: number;
  contact: ResolvedContact;
  sentiment?: SentimentLabel;
}

/** A group is cut into slices of this size: a slice past its conversation's kept ids is a transaction of at most 100 items, the state item and up to 99 EVT# markers. */
const MARKERS_PER_TRANSACTION = 99;
const MAX_ATTEMPTS = 8;
/** An event group's item kept changing under it for every attempt. */
class GaveUp extends Error {}
const CONCURRENCY = 16;

/**
 * `POST /v1/events`. Each event is validated and resolved on its own; a bad
 * one is listed in `rejected` and the others land. Events are grouped by
 * the state item they change (a message or a conversation of a contact);
 * each group is one read-modify-write of that item, conditioned on its
 * version (see applyGroup), so an event id is applied exactly once even
 * when a client retries.
 */
export async function ingestEvents(body: unknown): Promise<IngestResult> {
  const events = (body as { events?: unknown } | undefined)?.events;
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !Array.isArray(events)) {
    throw new ValidationError({ events: 'must be an array of events' });
  }
  if (events.length > MAX_EVENTS_PER_CALL) throw new TooLargeError(`At most ${MAX_EVENTS_PER_CALL} events per call; split the batch.`);

  const result: IngestResult = { accepted: 0, duplicates: 0, rejected: [] };
  const now = Date.now();
  const seen = new Set<string>();
  const valid: { event: IntegrationEvent; index: number }[] = [];
  events.forEach((raw, index) => {
    const parsed = parseEvent(raw, { now, phoneRegion: config().defaultPhoneRegion });
    if (!parsed.ok) result.rejected.push({ id: parsed.id, index, reason: parsed.reason });
    else if (seen.has(parsed.event.id)) result.duplicates++;
    else {
      seen.add(parsed.event.id);
      valid.push({ event: parsed.event, index });
    }
  });

  const suppressed = await suppressedRefs(valid.map((v) => v.event));
  const contacts = await resolveAll(valid.filter((v) => !suppressed.has(refKey(v.event))).map((v) => v.event));
  const pending: Pending[] = [];
  for (const { event, index } of valid) {
    if (suppressed.has(refKey(event))) {
      result.rejected.push({ id: event.id, index, reason: 'suppressed' });
      continue;
    }
    const contact = contacts.get(refKey(event));
    if (contact) pending.push({ event, index, contact });
    else result.rejected.push({ id: event.id, index, reason: `contact: no contact matches ${describeRef(event)}` });
  }

  const ownMessages = pending.filter((p) => p.event.type === 'conversation.message' && p.event.from === 'contact');
  const labels = await sentimentOf(ownMessages.map((p) => ({ text: (p.event as { text: string }).text, language: p.event.language ?? p.contact.language })));
  ownMessages.forEach((p, i) => (p.sentiment = labels[i]));

  const groups = new Map<string, Pending[]>();
  for (const p of pending) {
    const id = itemId(targetKey(p.event, p.contact.contactId));
    groups.set(id, [...(groups.get(id) ?? []), p]);
  }
  const prefetched = await prefetchStates([...groups.values()]);
  await inParallel([...groups.entries()], CONCURRENCY, async ([id, group]) => {
    for (let i = 0; i < group.length; i += MARKERS_PER_TRANSACTION) {
      // Only the first slice may use the prefetched item: the next one follows the write of the first.
      const known = i === 0 && prefetched.has(id) ? { item: prefetched.get(id) } : undefined;
      const outcome = await applyGroup(group.slice(i, i + MARKERS_PER_TRANSACTION), known);
      result.accepted += outcome.accepted;
      result.duplicates += outcome.duplicates;
      for (const p of outcome.failed) result.rejected.push({ id: p.event.id, index: p.index, reason: 'busy: the item kept changing; send this event again' });
    }
  });
  result.rejected.sort((a, b) => a.index - b.index);
  return result;
}

const refKey = (ref: ContactRef) => (ref.contactId ? `id:${ref.contactId}` : ref.phone ? `phone:${ref.phone}` : `email:${ref.email}`);
const describeRef = (ref: ContactRef) => (ref.contactId ? `contactId ${ref.contactId}` : ref.phone ? `phone ${ref.phone}` : `email ${ref.email}`);

/**
 * The references (refKey) of events that name their contact by a phone or
 * email on the suppression list (API.md "Erasure and suppression"): one
 * BatchGet for the whole call. An event naming its contact by id is not
 * checked: the id names a contact that exists, not a person to find.
 */
async function suppressedRefs(events: ContactRef[]): Promise<Set<string>> {
  const named = new Map<string, SuppressibleValue[]>();
  for (const e of events) {
    if (e.contactId || named.has(refKey(e))) continue;
    const phone = e.phone ? phoneValue(e.phone, config().defaultPhoneRegion) : undefined;
    named.set(refKey(e), [...(phone ? [phone] : []), ...(e.email ? [emailValue(e.email)] : [])]);
  }
  if (named.size === 0) return new Set();
  const suppressed = await suppressedAmong([...named.values()].flat());
  return new Set([...named].filter(([, values]) => values.some((v) => isSuppressed(suppressed, v))).map(([key]) => key));
}

/** Each distinct contact reference is resolved once per call; ids in batches, phones and emails by their index. */
async function resolveAll(events: ContactRef[]): Promise<Map<string, ResolvedContact | undefined>> {
  const refs = new Map<string, ContactRef>();
  for (const e of events) refs.set(refKey(e), { contactId: e.contactId, phone: e.phone, email: e.email });
  const ids = [...refs.values()].flatMap((ref) => (ref.contactId ? [ref.contactId] : []));
  const resolved = new Map<string, ResolvedContact | undefined>([...(await resolveContactIds(ids))].map(([id, contact]) => [`id:${id}`, contact]));
  await inParallel([...refs.entries()].filter(([, ref]) => !ref.contactId), CONCURRENCY, async ([key, ref]) => {
    resolved.set(key, await resolveContact(ref));
  });
  return resolved;
}

const itemId = (key: { pk: string; sk: string }) => `${key.pk}\u0000${key.sk}`;

/**
 * The current state items of every group, strongly consistent, in a few
 * BatchGetItem calls instead of one GetItem each. Even a group that starts
 * its item (a "sent" or "open" event) is read: events arrive in any order,
 * and a creation that finds its item already there costs a failed write
 * and a read, several times what its share of a batched read costs.
 */
async function prefetchStates(groups: Pending[][]): Promise<Map<string, StateItem | undefined>> {
  const keys = groups.map((g) => targetKey(g[0].event, g[0].contact.contactId));
  const states = new Map<string, StateItem | undefined>(keys.map((key) => [itemId(key), undefined]));
  for (const item of await engagementStates(keys)) states.set(itemId(item as unknown as StateItem), item as unknown as StateItem);
  return states;
}

/** Status events set earliest or latest times, so applying one twice changes nothing; a conversation message adds to counts. */
const counts = (p: Pending) => p.event.type === 'conversation.message';
/** Status events kept on a state item: enough to answer a retried call's events as duplicates (a message has a handful of statuses). */
const RECENT_STATUS_EVENTS = 20;

type Current = StateItem & { writeId?: string; msgIds?: string[] };

/**
 * Whether the item counts messages whose ids it does not keep: messages
 * counted before ids were kept on the item (every message of a conversation
 * that predates them, guarded by its EVT# marker alone) or past the bound
 * (KEPT_MESSAGE_IDS, guarded by a marker again). Only then can a marker
 * answer for a message, so only then are markers read.
 *
 * Why read at all: markers written by the previous version live 180 days.
 * A client whose call was answered by a timeout just before a deploy
 * retries it minutes later, against the new code; without this read its
 * messages would be counted a second time on the conversation item that
 * already counts them. The read costs one strongly consistent BatchGet of
 * the group's new message ids, paid only by conversations that counted
 * messages before this change (or past the bound); a conversation started
 * since never pays it. A message's marker from an older conversation whose
 * item is gone (a purged contact) is no longer consulted, as for status events.
 */
const countsUnkeptMessages = (current: Current | undefined, kept: number): boolean =>
  current?.type === 'conversation' && (current.contactMessages ?? 0) + (current.agentMessages ?? 0) > kept;

/**
 * One read-modify-write of a state item for the group's events, conditioned
 * on the item's version: one conditional PutItem (a transaction only for a
 * long conversation's messages past its kept ids, below). An event
 * applied once stays applied once through client retries and racing calls
 * because the item itself says which events it holds:
 * - status events (idempotent reducers) by `recentEvents`, the last 20 ids
 *   with the id of the write that applied each;
 * - conversation messages (they add to counts) by `msgIds`, a compact entry
 *   per counted message (message-ids.ts: a hash of the event id and the
 *   token of the write that applied it), never trimmed. Past
 *   KEPT_MESSAGE_IDS a conversation's further messages are guarded by EVT#
 *   markers again, written in a transaction with the item.
 * An id the item holds is `accepted` when one of this call's own attempts
 * wrote it (its answer was lost, or the item was written again since), a
 * `duplicate` otherwise. A version race reads the item again.
 */
async function applyGroup(group: Pending[], prefetched?: { item: StateItem | undefined }): Promise<{ accepted: number; duplicates: number; failed: Pending[] }> {
  const target = targetKey(group[0].event, group[0].contact.contactId);
  let remaining = group;
  let accepted = 0;
  let duplicates = 0;
  // Each attempt stamps the item with a write id (and its kept message ids with a short token of it):
  // if an attempt whose answer was lost did land, the next read shows it.
  const nonces = new Set<string>();
  const tokens = new Set<string>();
  // After a cancelled marker transaction the markers are read back (taken by another call, or by our own lost attempt).
  let readMarkers = false;
  // The first attempt uses the prefetched item (prefetchStates); later ones read the item again.
  let first: { item: StateItem | undefined } | undefined = prefetched;
  type Outcome = { accepted: number; duplicates: number; failed: Pending[] };
  const attemptWrite = async (): Promise<Outcome | typeof RETRY> => {
    const current = (first ? first.item : await engagementState(target)) as Current | undefined;
    first = undefined;
    if (current?.writeId && nonces.has(current.writeId)) return { accepted: accepted + remaining.length, duplicates, failed: [] };
    // Already applied (id -> whether by an attempt of this call): a status event on the item, a message
    // among its kept ids, or a message with an EVT# marker.
    const applied = new Map((current?.recentEvents ?? []).map((e) => [e.id, nonces.has(e.w)]));
    const kept = keptIds(current?.msgIds);
    const unkept: Pending[] = [];
    for (const p of remaining.filter(counts)) {
      const token = kept.get(messageIdHash(p.event.id));
      if (token !== undefined) applied.set(p.event.id, tokens.has(token));
      else unkept.push(p);
    }
    if (unkept.length > 0 && (readMarkers || countsUnkeptMessages(current, kept.size))) {
      for (const marker of await eventMarkers(unkept.map((p) => p.event.id))) applied.set(marker.eventId as string, nonces.has(marker.w as string));
    }
    for (const p of remaining) {
      const ours = applied.get(p.event.id);
      if (ours === true) accepted++;
      else if (ours === false) duplicates++;
    }
    remaining = remaining.filter((p) => !applied.has(p.event.id));
    if (remaining.length === 0) return { accepted, duplicates, failed: [] };

    let next: StateItem | undefined = current;
    for (const p of remaining) next = applyEvent(next, p.event, p.contact.contactId, p.sentiment);
    const receivedAt = new Date().toISOString();
    const writeId = `${receivedAt}/${Math.random().toString(36).slice(2)}`;
    const token = writeToken();
    nonces.add(writeId);
    tokens.add(token);
    const applying = remaining.filter((p) => !counts(p)).map((p) => ({ id: p.event.id, w: writeId }));
    const messages = remaining.filter(counts);
    const room = Math.max(0, KEPT_MESSAGE_IDS - kept.size);
    const listed = messages.slice(0, room);
    const marked = messages.slice(room);
    const state = {
      TableName: tableName(),
      Item: {
        ...next!,
        ...(applying.length > 0 ? { recentEvents: [...(current?.recentEvents ?? []), ...applying].slice(-RECENT_STATUS_EVENTS) } : {}),
        ...(listed.length > 0 ? { msgIds: [...(current?.msgIds ?? []), ...listed.map((p) => keptEntry(p.event.id, token))] } : {}),
        version: (current?.version ?? 0) + 1,
        updatedAt: receivedAt,
        writeId,
      },
      ConditionExpression: current ? 'version = :v' : 'attribute_not_exists(pk)',
      ...(current ? { ExpressionAttributeValues: { ':v': current.version } } : {}),
    };
    const expiresAt = Math.floor(Date.now() / 1000) + EVENT_MARKER_TTL_SECONDS;
    const markers = marked.map((p) => ({
      Put: { TableName: tableName(), Item: eventMarkerItem(p.event.id, target, receivedAt, expiresAt, writeId), ConditionExpression: 'attribute_not_exists(pk)' },
    }));
    try {
      if (markers.length === 0) await ddb().send(new PutCommand(state));
      else await ddb().send(new TransactWriteCommand({ TransactItems: [...markers, { Put: state }] }));
      return { accepted: accepted + remaining.length, duplicates, failed: [] };
    } catch (error) {
      const codes = cancellationCodes(error);
      if (!isConditionFailure(error) && codes.length === 0 && (error as Error).name !== 'TransactionConflictException') throw error;
      if (markers.length > 0) readMarkers = true;
      // Another attempt reads the item again: a lost creation race or version race is answered by the read.
      return RETRY;
    }
  };
  try {
    return await withBackoff(attemptWrite, { attempts: MAX_ATTEMPTS, baseMs: 10, maxMs: 1_000, exhausted: () => new GaveUp() });
  } catch (error) {
    if (!(error instanceof GaveUp)) throw error;
    logger.warn('event group gave up after concurrent changes', { target, events: remaining.length });
    return { accepted, duplicates, failed: remaining };
  }
}
