/**
 * The tenant's audit log (API.md "Activity and audit", `GET /v1/audit`,
 * admins): its entries, the words the Audit screen shows for them, and the
 * CSV of a filtered log.
 */
import { csvRows, safeCell } from '../../../../shared/csv-cell.js';
import type { MessageKey } from '../../../../shared/i18n/index.js';
import { AUDIT_ACTIONS } from './audit-actions';
import { send } from '../../lib/api';
import { i18n, t } from '../../lib/i18n.svelte';
import { channelLabel, fieldLabel } from '../../lib/labels';
import type { Page } from '../../lib/types';

export type AuditActor = { sub: string; name: string } | { apiKeyId: string; name: string };

export interface AuditEntry {
  id: string;
  at: string;
  by: AuditActor;
  action: string;
  target: { type: string; id: string | null };
  details: Record<string, unknown>;
}

/** What the screen filters by: an actor's sub or API key id, an action, and days `YYYY-MM-DD`. */
export interface AuditFilters {
  actor: string;
  action: string;
  from: string;
  to: string;
}

export type AuditTargetType = keyof typeof AUDIT_ACTIONS;

const ACTION_KEYS: Record<string, MessageKey> = Object.assign({}, ...Object.values(AUDIT_ACTIONS));

export const TARGET_KEYS: Record<AuditTargetType, MessageKey> = {
  contact: 'audit.target.contact',
  job: 'audit.target.job',
  merge: 'audit.target.merge',
  list: 'audit.target.list',
  tag: 'audit.target.tag',
  company: 'audit.target.company',
  department: 'audit.target.department',
  custom_field: 'audit.target.custom_field',
  agent: 'audit.target.agent',
  api_key: 'audit.target.api_key',
  suppression: 'audit.target.suppression',
  events: 'audit.target.events',
};

export const isKnownAction = (action: string): boolean => action in ACTION_KEYS;

/** The action in words ("Created a contact"); an unknown one as the API names it. */
export function actionLabel(action: string): string {
  const key = ACTION_KEYS[action];
  return key ? t(key) : action;
}

export function targetLabel(type: string): string {
  const key = TARGET_KEYS[type as AuditTargetType];
  return key ? t(key) : type;
}

/** The filter value that names this actor: a person's sub or an API key's id. */
export const actorId = (by: AuditActor): string => ('sub' in by ? by.sub : by.apiKeyId);
export const isApiKey = (by: AuditActor): boolean => 'apiKeyId' in by;

/**
 * A day of the date inputs as the bound of the user's own day (local
 * midnight), in the ISO time the API takes.
 */
export function dayBound(day: string, edge: 'from' | 'to'): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const time = new Date(`${day}T${edge === 'from' ? '00:00:00.000' : '23:59:59.999'}`);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

export function listAudit(filters: AuditFilters, page: { limit: number; cursor?: string }, signal?: AbortSignal): Promise<Page<AuditEntry>> {
  return send<Page<AuditEntry>>('GET', '/v1/audit', {
    query: {
      actor: filters.actor || undefined,
      action: filters.action || undefined,
      from: dayBound(filters.from, 'from'),
      to: dayBound(filters.to, 'to'),
      limit: page.limit,
      cursor: page.cursor,
    },
    signal,
  });
}

/**
 * A page of up to `limit` entries for the table. The API answers a short
 * page with a cursor when it has read its share of months (a long range, a
 * narrow filter), so this asks on until the page is full or the log ends:
 * otherwise "Next" would lead to an empty page.
 */
export async function fullAuditPage(filters: AuditFilters, page: { limit: number; cursor?: string }, signal?: AbortSignal): Promise<Page<AuditEntry>> {
  let answer = await listAudit(filters, page, signal);
  const items = [...(answer.items ?? [])];
  for (let asks = 1; answer.cursor && items.length < page.limit && asks < 10; asks++) {
    answer = await listAudit(filters, { limit: page.limit - items.length, cursor: answer.cursor }, signal);
    items.push(...(answer.items ?? []));
  }
  return { items, cursor: answer.cursor ?? null };
}

/** Names of tags and lists by id, for the details of an entry that names one by id. */
export interface CatalogNames {
  tag(id: string): string | undefined;
  list(id: string): string | undefined;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** A job type's name ("Contact import"), or its code when the SPA has no words for it. */
export function jobTypeLabel(type: string): string {
  const key = `job.type.${type}`;
  return i18n.has(key) ? t(key) : type;
}

/** Keys of details the compact summary says in words; any other is shown as `key: value`. */
const WORDED = new Set(['fields', 'tagId', 'listId', 'channel', 'name', 'key', 'type', 'contacts', 'all', 'filtered', 'accepted', 'duplicates', 'rejected', 'primaryId', 'duplicateIds']);

/**
 * The name of what an entry is about when it is a tag, list or other
 * catalog entry: as the entry recorded it, else as the catalog names it now.
 */
export function targetName(entry: Pick<AuditEntry, 'target' | 'details'>, names: CatalogNames): string | undefined {
  const id = entry.target.id;
  const current = id && entry.target.type === 'tag' ? names.tag(id) : id && entry.target.type === 'list' ? names.list(id) : undefined;
  return current ?? str(entry.details?.name);
}

/**
 * An entry's details in a few words: "Fields: First name, Last name", "Tag:
 * VIP", "Bulk tagging · Contacts: 3". `nameShown`: the target column already
 * says the recorded name.
 */
export function detailsText(entry: Pick<AuditEntry, 'action' | 'details'>, names: CatalogNames, nameShown = false): string {
  const d = entry.details ?? {};
  const parts: string[] = [];
  if (Array.isArray(d.fields) && d.fields.length > 0) parts.push(t('audit.details.fields', { fields: d.fields.map((f) => fieldLabel(String(f))).join(', ') }));
  const tagId = str(d.tagId);
  if (tagId) parts.push(t('audit.details.tag', { name: names.tag(tagId) ?? tagId }));
  const listId = str(d.listId);
  if (listId) parts.push(t('audit.details.list', { name: names.list(listId) ?? listId }));
  const channel = str(d.channel);
  if (channel) parts.push(t('audit.details.channel', { name: channelLabel(channel) }));
  const name = str(d.name);
  if (name && !nameShown) parts.push(`“${name}”`);
  const key = str(d.key);
  if (key) parts.push(t('audit.details.key', { key }));
  const type = str(d.type);
  if (type) parts.push(entry.action.startsWith('job.') ? jobTypeLabel(type) : type);
  const contacts = num(d.contacts);
  if (contacts !== undefined) parts.push(t('audit.details.contacts', { n: i18n.number(contacts) }));
  if (d.all === true) parts.push(t('audit.details.all'));
  if (d.filtered === true) parts.push(t('audit.details.filtered'));
  if (num(d.accepted) !== undefined) {
    parts.push(
      t('audit.details.events', { accepted: i18n.number(num(d.accepted)), duplicates: i18n.number(num(d.duplicates) ?? 0), rejected: i18n.number(num(d.rejected) ?? 0) }),
    );
  }
  if (Array.isArray(d.duplicateIds)) parts.push(t('audit.details.duplicates', { n: i18n.number(d.duplicateIds.length) }));
  for (const [k, value] of Object.entries(d)) {
    if (WORDED.has(k) || value === null || value === undefined) continue;
    parts.push(`${k}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  }
  return parts.join(' · ');
}

/** The contact an entry is about, when it is about one (merges name their kept contact in the details). */
export function contactOf(entry: Pick<AuditEntry, 'target' | 'details'>): string | null {
  if (entry.target.type === 'contact') return entry.target.id;
  if (entry.target.type === 'merge') return str(entry.details?.primaryId) ?? null;
  return null;
}

export const CSV_HEADER = ['at', 'actor', 'actorId', 'action', 'description', 'targetType', 'targetId', 'details'] as const;

/**
 * The CSV of entries: one row each, header first; the description and the
 * details in the user's language, codes and ids as the API gives them.
 * Every cell goes through safeCell (catalog names are the tenant's words).
 */
export function auditCsv(entries: readonly AuditEntry[], names: CatalogNames): string {
  const rows = entries.map((e) => [
    e.at,
    e.by.name,
    actorId(e.by),
    e.action,
    actionLabel(e.action),
    e.target.type,
    e.target.id ?? '',
    detailsText(e, names),
  ]);
  return csvRows([[...CSV_HEADER], ...rows].map((row) => row.map(safeCell)));
}

/**
 * Every entry the filters select, page after page (100 at a time);
 * `onPage` hears how many have been read so far.
 */
export async function walkAudit(filters: AuditFilters, onPage: (read: AuditEntry[]) => void, signal?: AbortSignal): Promise<AuditEntry[]> {
  const all: AuditEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await listAudit(filters, { limit: 100, cursor }, signal);
    all.push(...(page.items ?? []));
    onPage(all);
    cursor = page.cursor ?? undefined;
  } while (cursor);
  return all;
}
