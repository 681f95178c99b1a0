import { listAudit } from '../audit/audit-log.js';
import { parseLimit } from '../lib/cursor.js';
import { httpRouter } from '../lib/http.js';
import { auditRoutes } from './tables/audit.js';

/** The audit log (admins): append-only; no route changes or removes an entry. */
export const handler = httpRouter(auditRoutes, {
  'GET /v1/audit': async (req) =>
    listAudit({ actor: req.query.actor, action: req.query.action, from: req.query.from, to: req.query.to, limit: parseLimit(req.query.limit), cursor: req.query.cursor }),
});
