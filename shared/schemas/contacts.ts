/** Contacts, their memberships, channels and messages: request and answer schemas. */
import { CHANNELS } from '../channels.js';
import { contactFieldsSchema, parseContactFields, SUBSCRIPTION_STATUSES } from '../contact-schema.js';
import * as z from 'zod/mini';
import { contact } from './contact-page.js';
import { id, isoTime, lenientBody, name, page, validatedBy } from './core.js';

export { contact, contactPage } from './contact-page.js';

/**
 * A contact body as `POST /v1/contacts` (`mode: 'create'`) or `PATCH`
 * takes it: the fields of shared/contact-schema.ts, with the phone read in
 * the tenant's default region.
 */
export const contactBody = (mode: 'create' | 'patch', defaultRegion: () => string) =>
  validatedBy(contactFieldsSchema(), (input) => {
    const parsed = parseContactFields(input, { mode, defaultRegion: defaultRegion() });
    return parsed.ok ? undefined : parsed.fields;
  });

/** `{"name":"VIP"}`: assigns the tag, creating it when none has this name. */
export const tagAssignBody = lenientBody({ name: name(60) });

const channelMessage = `must be one of ${CHANNELS.join(', ')}`;
const messageDoc = z.object({ channel: z.enum(CHANNELS), text: z.string().check(z.minLength(1), z.maxLength(4096)) });

/** `{"channel","text"}`: every problem at once, the body's own included. */
export const messageBody = validatedBy(messageDoc, (body) => {
  const b = (body ?? {}) as { channel?: unknown; text?: unknown };
  const errors: Record<string, string> = {};
  if (typeof b.channel !== 'string' || !(CHANNELS as readonly string[]).includes(b.channel)) errors.channel = channelMessage;
  if (typeof b.text !== 'string' || b.text.trim() === '') errors.text = 'is required';
  else if (b.text.length > 4096) errors.text = 'must be at most 4096 characters';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) errors.body = 'must be a JSON object';
  return errors;
});

/* Answers */

const ref = z.object({ id, name: z.string() });

export const me = z.object({ sub: z.string(), name: z.string(), role: z.enum(['agent', 'operator', 'admin']) });

/** The profile: every contact field plus channels, lists, tags, company, department and the engagement figures (METRICS.md). */
export const profile = z.looseObject({
  ...contact.shape,
  channels: z.record(z.string(), z.object({ status: z.enum(SUBSCRIPTION_STATUSES), connectedAt: z.optional(isoTime) })),
  lists: z.array(ref),
  tags: z.array(ref),
  company: z.optional(z.nullable(ref)),
  department: z.optional(z.nullable(ref)),
  engagement: z.optional(z.looseObject({})),
  tickets: z.optional(z.looseObject({})),
  satisfaction: z.optional(z.looseObject({})),
});

export const tagRef = ref;

export const dispatchAnswer = z.object({ id, status: z.enum(['queued', 'sending_error']), reason: z.optional(z.enum(['blocked', 'unsubscribed'])) });
export const dispatch = z.object({ id, contactId: id, channel: z.enum(CHANNELS), status: z.string(), reason: z.optional(z.string()), at: isoTime });
export const dispatchPage = page(dispatch);
