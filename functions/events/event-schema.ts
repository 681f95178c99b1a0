import { CHANNELS, type Channel } from '../../shared/contact-schema.js';
import { MESSAGE_STATUSES, type MessageStatus } from '../../shared/engagement.js';
import { normalizePhone } from '../../shared/phone.js';
import type { ContactRef } from './resolve-contact.js';

/** The integration events of `POST /v1/events` (API.md, "Integrations"), validated one by one. */
interface EventBase extends ContactRef {
  id: string;
  /** Normalized to `Date#toISOString`, so times compare as strings. */
  at: string;
  /** Language of the text, when the platform knows it (extension; sentiment analysis). */
  language?: string;
}

export interface MessageStatusEvent extends EventBase {
  type: 'message.status';
  messageId: string;
  channel: Channel;
  status: MessageStatus;
  broadcast: boolean;
}

export interface ConversationStatusEvent extends EventBase {
  type: 'conversation.status';
  conversationId: string;
  kind: 'sales' | 'support';
  status: 'open' | 'resolved';
}

export interface ConversationMessageEvent extends EventBase {
  type: 'conversation.message';
  conversationId: string;
  from: 'contact' | 'agent';
  text: string;
}

export type IntegrationEvent = MessageStatusEvent | ConversationStatusEvent | ConversationMessageEvent;

export const MAX_EVENTS_PER_CALL = 500;
/** Clock skew allowed between the platform and us; later times would count on days that have not begun. */
const FUTURE_TOLERANCE_MS = 15 * 60_000;
/**
 * The earliest time accepted: every day bucket, month and heatmap hour the
 * stream derives from an event must exist in the tenant's calendar (years
 * before 1000 have no four-digit day), and no messaging platform reports
 * events from before 2000. Refusing here keeps a processor from ever
 * meeting an event it cannot place.
 */
const EARLIEST_MS = Date.UTC(2000, 0, 1);
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const EVENT_TYPES = ['message.status', 'conversation.status', 'conversation.message'] as const;

export type ParsedEvent = { ok: true; event: IntegrationEvent } | { ok: false; id: string | null; reason: string };

class Invalid extends Error {}

function text(raw: Record<string, unknown>, field: string, max: number, options: { required?: boolean; allowEmpty?: boolean } = {}): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null) {
    if (options.required) throw new Invalid(`${field}: is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw new Invalid(`${field}: must be a string`);
  if (!options.allowEmpty && value.trim() === '') throw new Invalid(`${field}: must not be empty`);
  if (value.length > max) throw new Invalid(`${field}: must be at most ${max} characters`);
  return value;
}

function oneOf<T extends string>(raw: Record<string, unknown>, field: string, allowed: readonly T[]): T {
  const value = raw[field];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw new Invalid(`${field}: must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** Validates one event on its own; the reason names the field, like the API's field-level errors. */
export function parseEvent(raw: unknown, options: { now: number; phoneRegion: string }): ParsedEvent {
  const { now, phoneRegion } = options;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, id: null, reason: 'event: must be a JSON object' };
  const r = raw as Record<string, unknown>;
  const id = typeof r.id === 'string' && r.id.trim() !== '' && r.id.length <= 200 ? r.id : null;
  try {
    text(r, 'id', 200, { required: true });
    const type = oneOf(r, 'type', EVENT_TYPES);
    const atText = text(r, 'at', 40, { required: true })!;
    const atMs = ISO_TIME.test(atText) ? Date.parse(atText) : Number.NaN;
    if (Number.isNaN(atMs)) throw new Invalid('at: must be an ISO-8601 time with a timezone, e.g. 2026-01-31T14:05:00Z');
    if (atMs > now + FUTURE_TOLERANCE_MS) throw new Invalid('at: must not be in the future');
    if (atMs < EARLIEST_MS) throw new Invalid('at: must be on or after 2000-01-01T00:00:00Z');
    const contactId = text(r, 'contactId', 64);
    const phone = text(r, 'phone', 40);
    const email = text(r, 'email', 254);
    if (!contactId && !phone && !email) throw new Invalid('contact: name the contact by contactId, phone or email');
    if (!contactId && phone && !normalizePhone(phone, phoneRegion) && !email) throw new Invalid('phone: is not a valid phone number');
    const language = text(r, 'language', 16);
    const base: EventBase = { id: id!, at: new Date(atMs).toISOString(), ...(contactId ? { contactId } : {}), ...(phone ? { phone } : {}), ...(email ? { email } : {}), ...(language ? { language } : {}) };
    if (type === 'message.status') {
      if (r.broadcast !== undefined && typeof r.broadcast !== 'boolean') throw new Invalid('broadcast: must be true or false');
      return {
        ok: true,
        event: {
          ...base,
          type,
          messageId: text(r, 'messageId', 200, { required: true })!,
          channel: oneOf(r, 'channel', CHANNELS),
          status: oneOf(r, 'status', MESSAGE_STATUSES),
          broadcast: r.broadcast === true,
        },
      };
    }
    const conversationId = text(r, 'conversationId', 200, { required: true })!;
    if (type === 'conversation.status') {
      return { ok: true, event: { ...base, type, conversationId, kind: oneOf(r, 'kind', ['sales', 'support'] as const), status: oneOf(r, 'status', ['open', 'resolved'] as const) } };
    }
    return {
      ok: true,
      event: { ...base, type, conversationId, from: oneOf(r, 'from', ['contact', 'agent'] as const), text: text(r, 'text', 10_000, { required: true, allowEmpty: true })! },
    };
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, id, reason: error.message };
    throw error;
  }
}
