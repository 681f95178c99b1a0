import { randomBytes } from 'node:crypto';
import { currentActor, type Actor } from '../lib/actor.js';
import { ACTIVITY_PREFIX, activityKey, contactPk } from './keys.js';
import { queryIndexPage, type Item, type Page } from './query.js';

/**
 * A contact's activity (API.md "Activity and audit"): one item per change,
 * in the contact's own partition (`T#<at>#<id>`), written in the same
 * transaction as the change it describes by the entity module that writes
 * the change, so neither can exist without the other. A merge moves them
 * with the duplicate's history and an undo moves them back, so the
 * primary's timeline shows the duplicates' entries while merged. They go
 * with the contact when it is purged or erased.
 */
export type ActivityAction =
  | 'created'
  | 'updated'
  | 'tagged'
  | 'untagged'
  | 'listed'
  | 'unlisted'
  | 'blocked'
  | 'unblocked'
  | 'subscribed'
  | 'unsubscribed'
  | 'channel_removed'
  | 'message_sent'
  | 'imported'
  | 'merged'
  | 'merge_undone'
  | 'deleted'
  | 'restored';

export interface ActivityEntry {
  id: string;
  at: string;
  /** The person behind it; null for integrations and schedules (`details.source` says which). */
  sub: string | null;
  action: ActivityAction;
  details: Record<string, unknown>;
}

/** Who did it, as an entry records it: the person's sub, or the source for integrations, jobs and schedules. */
function author(actor: Actor): { sub: string | null; source?: Record<string, unknown> } {
  switch (actor.kind) {
    case 'person':
      return { sub: actor.sub };
    case 'apiKey':
      return { sub: null, source: { source: 'integration', apiKeyId: actor.id } };
    case 'job':
      return { sub: actor.sub ?? null, source: { jobId: actor.jobId } };
    case 'schedule':
      return { sub: null, source: { source: 'schedule', schedule: actor.name } };
  }
}

/** The item of one entry about `contactId`, by the current actor: put it in the transaction that makes the change. */
export function activityItem(
  contactId: string,
  action: ActivityAction,
  details: Record<string, unknown> = {},
  at = new Date().toISOString(),
  actor: Actor = currentActor(),
  /** A fixed id makes the item the same on a redo (a job step writing it again): for writes that are not transactions. */
  id = randomBytes(10).toString('base64url'),
): Item {
  const { sub, source } = author(actor);
  return { ...activityKey(contactId, at, id), type: 'activity', contactId, id, at, sub, action, details: { ...details, ...(source ?? {}) } };
}

const fromItem = (item: Item): ActivityEntry => ({
  id: item.id as string,
  at: item.at as string,
  sub: (item.sub as string | null) ?? null,
  action: item.action as ActivityAction,
  details: (item.details as Record<string, unknown>) ?? {},
});

/** A page of a contact's activity, newest first. */
export async function activityPage(contactId: string, page: { limit: number; cursor?: string }): Promise<Page<ActivityEntry>> {
  const found = await queryIndexPage({ partition: contactPk(contactId), sortPrefix: ACTIVITY_PREFIX, limit: page.limit, cursor: page.cursor, cursorCheck: (s) => s.sk.startsWith(ACTIVITY_PREFIX) });
  return { items: found.items.map(fromItem), cursor: found.cursor };
}
