/** Contacts, their memberships, channels and messages: request schemas. */
import { CHANNELS, type Channel } from '../channels.js';
import { contactFieldsSchema, parseContactFields } from '../contact-schema.js';
import * as z from 'zod/mini';
import { lenientBody, name, parsedBy, validatedBy } from './core.js';

/**
 * A contact body as `POST /v1/contacts` (`mode: 'create'`) or `PATCH`
 * takes it: the fields of shared/contact-schema.ts, with the phone read in
 * the tenant's default region.
 */
export const contactBody = (mode: 'create' | 'patch', defaultRegion: () => string) =>
  parsedBy(contactFieldsSchema(), (input) => parseContactFields(input, { mode, defaultRegion: defaultRegion() }));

/** `{"name":"VIP"}`: assigns the tag, creating it when none has this name. */
export const tagAssignBody = lenientBody({ name: name(60) });

const channelMessage = `must be one of ${CHANNELS.join(', ')}`;
const messageDoc = z.object({ channel: z.enum(CHANNELS), text: z.string().check(z.minLength(1), z.maxLength(4096)) });

/** `{"channel","text"}`: every problem at once, the body's own included. */
export const messageBody = parsedBy(messageDoc, (body) => {
  const b = (body ?? {}) as { channel?: unknown; text?: unknown };
  const errors: Record<string, string> = {};
  if (typeof b.channel !== 'string' || !(CHANNELS as readonly string[]).includes(b.channel)) errors.channel = channelMessage;
  if (typeof b.text !== 'string' || b.text.trim() === '') errors.text = 'is required';
  else if (b.text.length > 4096) errors.text = 'must be at most 4096 characters';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) errors.body = 'must be a JSON object';
  if (Object.keys(errors).length) return { ok: false as const, fields: errors };
  return { ok: true as const, value: { channel: b.channel as Channel, text: b.text as string } };
});
