import { activityPage } from '../data/activity.js';
import type { Page } from '../data/query.js';
import { userNames } from '../lib/user-directory.js';
import { getContact } from './contact-service.js';

export interface ActivityView {
  id: string;
  at: string;
  /** The person, named from the user directory; null for integrations and schedules (`details.source`). */
  by: { sub: string; name: string } | null;
  action: string;
  details: Record<string, unknown>;
}

/** A contact's timeline, newest first (404 for a contact that is not there). */
export async function contactActivity(contactId: string, page: { limit: number; cursor?: string }): Promise<Page<ActivityView>> {
  await getContact(contactId);
  const found = await activityPage(contactId, page);
  const names = await userNames([...new Set(found.items.flatMap((e) => (e.sub ? [e.sub] : [])))]);
  return {
    items: found.items.map((e) => ({ id: e.id, at: e.at, by: e.sub ? { sub: e.sub, name: names.get(e.sub) ?? e.sub } : null, action: e.action, details: e.details })),
    cursor: found.cursor,
  };
}
