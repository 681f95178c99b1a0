import { createHash, randomBytes } from 'node:crypto';

/**
 * The ids of a conversation's counted messages, kept on its H#CONV# item
 * (`msgIds`, functions/engagement/items.ts) instead of one EVT# marker
 * each, so a message is one conditional PutItem of the conversation
 * (1 write unit per KB) rather than a transaction with a marker (2 units
 * per KB per item, at least 4 units).
 *
 * An entry is 16 characters: the first 9 bytes of the SHA-256 of the event
 * id in base64url (12 characters; 72 bits, so two ids of one conversation
 * collide with odds around n^2 / 2^73) followed by the 4-character token
 * of the write that applied it (functions/events/ingest.ts: an attempt that
 * meets its own token after a lost answer answers `accepted`, another
 * call's token `duplicates`). About 17 bytes of item per message.
 */
export const HASH_CHARS = 12;
export const TOKEN_CHARS = 4;

/**
 * Ids kept per conversation. The list is never trimmed (a count must never
 * be applied twice), so it is bounded instead. 150 entries are about
 * 2.5 KB; with the rest of a conversation item (about 0.65 KB for a typical
 * one, measured in test/integration/event-idempotency.test.ts) a write
 * stays at or under 4 write units, what the marker transaction of a small
 * conversation cost per message (2 for the marker, 2 for the item). A
 * longer conversation's further messages go back to EVT# markers in a
 * transaction with the item (ingest.ts), about 10 units each on an item
 * that size. A larger bound would make every write of a long conversation
 * pay for its ids: 400 entries are 6.8 KB, 8 units a write and 18 in a
 * transaction past them.
 */
export const KEPT_MESSAGE_IDS = 150;

/** The 12-character hash of an event id kept on the conversation. */
export const messageIdHash = (eventId: string): string => createHash('sha256').update(eventId).digest().subarray(0, 9).toString('base64url');

/** A fresh token for one write (3 random bytes, 4 characters). */
export const writeToken = (): string => randomBytes(3).toString('base64url');

/** The entry kept for a message applied by the write with `token`. */
export const keptEntry = (eventId: string, token: string): string => messageIdHash(eventId) + token;

/** Kept entries by hash: hash -> token of the write that applied it. */
export function keptIds(entries: readonly string[] | undefined): Map<string, string> {
  return new Map((entries ?? []).map((e) => [e.slice(0, HASH_CHARS), e.slice(HASH_CHARS)]));
}

/**
 * Both items' kept ids, each message once (merge combines two partial
 * states of one conversation: their counts add, so their ids join).
 */
export function unionKeptIds(a: readonly string[] | undefined, b: readonly string[] | undefined): string[] | undefined {
  if (a === undefined && b === undefined) return undefined;
  const seen = new Set((a ?? []).map((e) => e.slice(0, HASH_CHARS)));
  return [...(a ?? []), ...(b ?? []).filter((e) => !seen.has(e.slice(0, HASH_CHARS)))];
}
