import { auditPage } from '../data/audit-entry.js';
import { getApiKey } from '../data/api-key.js';
import { ValidationError } from '../lib/errors.js';
import { inParallel } from '../lib/concurrency.js';
import { userNames } from '../lib/user-directory.js';

/** Reading the audit log (GET /v1/audit); writing it is ./audit-append.ts, which every function bundles. */

export interface AuditView {
  id: string;
  at: string;
  by: { sub: string; name: string } | { apiKeyId: string; name: string };
  action: string;
  target: { type: string; id: string | null };
  details: Record<string, unknown>;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const ACTION = /^[a-z_]+\.[a-z_]+$/;

/** `from`/`to` as a day (the whole day) or an ISO time; a bad one is a field-level 400. */
function bound(value: string | undefined, field: 'from' | 'to', fallback: string): string {
  if (value === undefined || value === '') return fallback;
  if (DAY.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))) return field === 'from' ? `${value}T00:00:00.000Z` : `${value}T23:59:59.999Z`;
  const time = Date.parse(value);
  if (Number.isNaN(time) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) throw new ValidationError({ [field]: 'must be a date (YYYY-MM-DD) or an ISO 8601 time' });
  return new Date(time).toISOString();
}

export interface AuditFilters {
  actor?: string;
  action?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

/** The log, newest first, with each actor's current name from the user directory (people) or the key's name (API keys). */
export async function listAudit(filters: AuditFilters): Promise<{ items: AuditView[]; cursor: string | null }> {
  const now = new Date();
  const to = bound(filters.to, 'to', now.toISOString());
  const from = bound(filters.from, 'from', new Date(now.getTime() - 400 * 86_400_000).toISOString());
  const errors: Record<string, string> = {};
  if (from > to) errors.from = 'must not be after to';
  if (filters.action !== undefined && filters.action !== '' && !ACTION.test(filters.action)) errors.action = 'must be an action such as contact.created';
  if (filters.actor !== undefined && filters.actor.length > 200) errors.actor = 'must be at most 200 characters';
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const page = await auditPage({ from, to, actor: filters.actor || undefined, action: filters.action || undefined, limit: filters.limit, cursor: filters.cursor });
  const people = await userNames([...new Set(page.items.filter((e) => e.actor.kind === 'person').map((e) => e.actor.id))]);
  const keys = new Map<string, string>();
  await inParallel([...new Set(page.items.filter((e) => e.actor.kind === 'apiKey').map((e) => e.actor.id))], 4, async (id) => {
    keys.set(id, (await getApiKey(id))?.name ?? id);
  });
  return {
    items: page.items.map((e) => ({
      id: e.id,
      at: e.at,
      by: e.actor.kind === 'person' ? { sub: e.actor.id, name: people.get(e.actor.id) ?? e.actor.id } : { apiKeyId: e.actor.id, name: keys.get(e.actor.id) ?? e.actor.id },
      action: e.action,
      target: e.target,
      details: e.details,
    })),
    cursor: page.cursor,
  };
}
