/** The route table's events area: Events integrations push (an API key, not a token). */
import * as events from '../../../shared/schemas/events.js';
import type { AreaTable } from '../routes.js';

export const eventRoutes = {
  'POST /v1/events': { body: events.eventsBody, answer: 'EventsAccepted', status: 202, summary: 'Takes message and conversation events from an integration.' },
} as const satisfies AreaTable;
