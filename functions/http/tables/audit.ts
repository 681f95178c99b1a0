/** The route table's audit area: the tenant's audit log, for admins. */
import { PAGE_QUERY as PAGE } from '../../../shared/api-routes.js';
import type { AreaTable } from '../routes.js';

export const auditRoutes = {
  'GET /v1/audit': {
    answer: 'AuditPage',
    query: ['actor', 'action', 'from', 'to', ...PAGE],
    summary: 'The audit log, newest first: every write by a person or an API key, filtered by actor (a sub or an API key id), action (exact), from and to (a day or an ISO time).',
  },
} as const satisfies AreaTable;
