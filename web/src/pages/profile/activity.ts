/**
 * A contact's activity (API.md "Activity and audit",
 * `GET /v1/contacts/{id}/activity`): its entries and the sentence each one
 * reads as ("Otto added the tag VIP").
 */
import type { MessageKey } from '../../../../shared/i18n/index.js';
import { ApiError, send } from '../../lib/api';
import { formatPhone } from '../../lib/format';
import { i18n, t } from '../../lib/i18n.svelte';
import { channelLabel, fieldLabel } from '../../lib/labels';
import type { Page } from '../../lib/types';

export interface ActivityEntry {
  id: string;
  at: string;
  /** The person who did it; null for integrations and schedules (`details.source` says which). */
  by: { sub: string; name: string } | null;
  action: string;
  details: Record<string, unknown>;
}

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** A page of the activity, newest first; a contact the route does not know (404) has none. */
export async function listActivity(contactId: string, page: { limit: number; cursor?: string }): Promise<Page<ActivityEntry>> {
  try {
    return await send<Page<ActivityEntry>>('GET', `/v1/contacts/${encodeURIComponent(contactId)}/activity`, { query: page });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return { items: [], cursor: null };
    throw err;
  }
}

/**
 * Whether the card shows an entry on this contact's timeline. A merge moves
 * the duplicate's entries to the kept contact, its "merged into another
 * contact" among them: there the kept contact's own "merged a duplicate
 * into this contact" says it already.
 */
export function shownOn(contactId: string, entry: Pick<ActivityEntry, 'action' | 'details'>): boolean {
  return !(entry.action === 'merged' && entry.details?.role === 'duplicate' && entry.details.primaryId === contactId);
}

/** Names of the tags and lists an entry names by id, when the entry does not carry them. */
export interface NameLookup {
  tag(id: string): string | undefined;
  list(id: string): string | undefined;
}

const SOURCE_KEYS: Record<string, MessageKey> = {
  api: 'activity.source.integration',
  apiKey: 'activity.source.integration',
  integration: 'activity.source.integration',
  events: 'activity.source.integration',
  schedule: 'activity.source.schedule',
  import: 'activity.source.import',
  job: 'activity.source.job',
};

/** Who did it: the person's name, else what did it ("An integration", "A schedule"). */
export function whoOf(entry: Pick<ActivityEntry, 'by' | 'details'>): string {
  if (entry.by) return entry.by.name || entry.by.sub;
  const source = entry.details?.source;
  return t((typeof source === 'string' && SOURCE_KEYS[source]) || 'activity.source.system');
}

/** A field's value as the sentence says it: a name for a named thing, yes/no, the phone written for reading. */
export function valueText(field: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return value ? t('common.yes') : t('common.no');
  if (typeof value === 'number') return i18n.number(value);
  if (typeof value === 'string') {
    if (field === 'phone') return formatPhone(value);
    if (field === 'country') return i18n.country(value);
    if (field === 'language') return i18n.language(value);
    return value;
  }
  if (typeof value === 'object' && 'name' in value && typeof (value as { name: unknown }).name === 'string') return (value as { name: string }).name;
  return JSON.stringify(value);
}

const empty = (value: unknown) => value === null || value === undefined || value === '';

/** One field's change in a sentence: "Ana changed last name from Souza to Lima". */
export function changeSentence(who: string, change: FieldChange): string {
  const field = fieldLabel(change.field).toLocaleLowerCase(i18n.locale);
  if (empty(change.from)) return t('activity.fieldSet', { who, field, to: valueText(change.field, change.to) });
  if (empty(change.to)) return t('activity.fieldCleared', { who, field });
  return t('activity.fieldChanged', { who, field, from: valueText(change.field, change.from), to: valueText(change.field, change.to) });
}

/** One change of several, as a line under the sentence: "Last name: Souza → Lima". */
export function changeLine(change: FieldChange): string {
  return t('activity.changeLine', { field: fieldLabel(change.field), from: valueText(change.field, change.from), to: valueText(change.field, change.to) });
}

/** The changes of an `updated` entry. */
export function changesOf(entry: Pick<ActivityEntry, 'details'>): FieldChange[] {
  const changes = entry.details?.changes;
  return Array.isArray(changes) ? changes.filter((c): c is FieldChange => Boolean(c) && typeof c === 'object' && typeof c.field === 'string') : [];
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** Sentences that name who did it and, for some, the tag, list or channel the details name. */
const SENTENCES: Record<string, { key: MessageKey; names?: 'tag' | 'list' | 'channel' }> = {
  created: { key: 'activity.created' },
  tagged: { key: 'activity.tagged', names: 'tag' },
  untagged: { key: 'activity.untagged', names: 'tag' },
  listed: { key: 'activity.listed', names: 'list' },
  unlisted: { key: 'activity.unlisted', names: 'list' },
  blocked: { key: 'activity.blocked' },
  unblocked: { key: 'activity.unblocked' },
  subscribed: { key: 'activity.subscribed', names: 'channel' },
  unsubscribed: { key: 'activity.unsubscribed', names: 'channel' },
  channel_removed: { key: 'activity.channelRemoved', names: 'channel' },
  message_sent: { key: 'activity.messageSent', names: 'channel' },
  merge_undone: { key: 'activity.mergeUndone' },
  deleted: { key: 'activity.deleted' },
  restored: { key: 'activity.restored' },
};

/** The tag, list or channel an entry names: its name as the entry carries it, else as the profile shows it, else "a tag". */
function namedIn(details: Record<string, unknown>, what: 'tag' | 'list' | 'channel', names: NameLookup): string {
  if (what === 'channel') return channelLabel(str(details.channel) ?? '?');
  const id = str(details[`${what}Id`]);
  return str(details[`${what}Name`]) ?? (id ? names[what](id) : undefined) ?? t(what === 'tag' ? 'activity.someTag' : 'activity.someList');
}

/** The entry in one sentence, in the user's language. An `updated` entry with several changes says how many (the card lists them). */
export function activitySentence(entry: ActivityEntry, names: NameLookup): string {
  const who = whoOf(entry);
  const d = entry.details ?? {};
  const sentence = SENTENCES[entry.action];
  if (sentence) return t(sentence.key, sentence.names ? { who, [sentence.names]: namedIn(d, sentence.names, names) } : { who });
  if (entry.action === 'updated') {
    const changes = changesOf(entry);
    if (changes.length === 1) return changeSentence(who, changes[0]!);
    return changes.length > 1 ? t('activity.changedMany', { who, n: changes.length }) : t('activity.updated', { who });
  }
  if (entry.action === 'imported') return entry.by ? t('activity.importedBy', { who }) : t('activity.imported');
  if (entry.action === 'merged') {
    if (d.role === 'duplicate') return t('activity.mergedAway', { who });
    const merged = Array.isArray(d.duplicateIds) ? d.duplicateIds.length : 1;
    return merged > 1 ? t('activity.mergedInMany', { who, n: merged }) : t('activity.mergedIn', { who });
  }
  return t('activity.other', { who, action: entry.action });
}
