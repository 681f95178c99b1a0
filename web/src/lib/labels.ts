/**
 * Origin labels: the API stores English defaults ("Manual import", "API",
 * "CSV Import - <file>"); those are shown in the user's language, any other
 * label (a campaign name, a chatbot flow) as written.
 */
import type { MessageKey } from '../../../shared/i18n/index.js';
import { i18n, t } from './i18n.svelte';
import type { Origin } from './types';

const TYPE_KEYS: Record<string, MessageKey> = {
  app: 'origin.app',
  app_spec: 'origin.app_spec',
  campaign: 'origin.campaign',
  manual_import: 'origin.manual_import',
  api: 'origin.api',
  csv: 'origin.csv',
  direct: 'origin.direct',
  chatbot: 'origin.chatbot',
};

const DEFAULT_LABELS: Record<string, string> = { manual_import: 'Manual import', api: 'API' };
const CSV_PREFIX = 'CSV Import - ';

const isKey = (key: string): key is MessageKey => i18n.has(key);

export function originLabel(origin: Origin | null | undefined): string {
  if (!origin) return '—';
  const key = TYPE_KEYS[origin.type];
  if (!origin.label) return key ? t(key) : origin.type;
  if (key && DEFAULT_LABELS[origin.type] === origin.label) return t(key);
  if (origin.type === 'csv' && origin.label.startsWith(CSV_PREFIX)) return `${t('origin.csv')} - ${origin.label.slice(CSV_PREFIX.length)}`;
  return origin.label;
}

/** A channel's name; channels the SPA does not know yet show as the API names them. */
export function channelLabel(channel: string): string {
  const key = `channel.${channel}`;
  return isKey(key) ? t(key) : channel;
}

/** A dispatch or message status in words. */
export function dispatchStatusLabel(status: string): string {
  const key = `dispatch.status.${status}`;
  return isKey(key) ? t(key) : status;
}

/** A `sending_error` reason in words (`blocked`, `unsubscribed`). */
export function reasonLabel(reason: string | undefined): string {
  if (!reason) return '';
  const key = `message.reason.${reason}`;
  return isKey(key) ? t(key) : reason;
}

const FIELD_KEYS: Record<string, MessageKey> = {
  firstName: 'contact.firstName',
  lastName: 'contact.lastName',
  phone: 'contact.phone',
  email: 'contact.email',
  country: 'contact.country',
  language: 'contact.language',
  company: 'contact.company',
  department: 'contact.department',
  assignee: 'contact.assignee',
  // A blocked duplicate leaves the merged contact blocked (API.md "Blocks hold").
  blocked: 'contact.blocked',
};

/** A contact field's name; a custom field (`customFields.<key>`) by its key, as the profile shows it. */
export function fieldLabel(field: string): string {
  const key = FIELD_KEYS[field];
  return key ? t(key) : field.replace(/^customFields\./, '');
}
