/** The route table's analytics area: The analytics panel. */
import type { AreaTable } from '../routes.js';

export const analyticsRoutes = {
  'GET /v1/analytics/contacts': { answer: 'ContactBehaviorPanel', query: ['from', 'to'], summary: 'The Contact Behavior panel for a period.' },
} as const satisfies AreaTable;
