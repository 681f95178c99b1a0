/**
 * `POST /v1/events`: plain schemas, without zod. Its function bundles the
 * phone metadata and the sentiment lexicons and sits close to its size
 * budget; the body's one rule (an array of events) needs no library.
 */
import { plainBody } from './fields.js';

const EVENT_TYPES = ['message.status', 'conversation.status', 'conversation.message'];

/**
 * `{"events":[...]}`. Each event is checked on its own (a bad one is
 * `rejected`, the others are taken) and more than 500 is a 413, so the body
 * needs only the array; a body that is no object has none.
 */
export const eventsBody = plainBody<{ events: unknown[] }>(
  {
    type: 'object',
    properties: {
      events: {
        type: 'array',
        maxItems: 500,
        items: {
          type: 'object',
          properties: { id: { type: 'string' }, type: { type: 'string', enum: EVENT_TYPES }, at: { type: 'string', format: 'date-time' }, contactId: { type: 'string' }, phone: { type: 'string' }, email: { type: 'string' } },
          required: ['id', 'type', 'at'],
        },
        description: 'Each event names its contact by `contactId`, `phone` or `email` (API.md "Integrations").',
      },
    },
    required: ['events'],
  },
  (body) => {
    const events = (body as { events?: unknown } | undefined)?.events;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !Array.isArray(events)) return { events: 'must be an array of events' };
    return undefined;
  },
);
