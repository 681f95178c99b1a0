import { parseLimit } from '../lib/cursor.js';
import { httpRouter, reply } from '../lib/http.js';
import { eraseContact } from '../privacy/erase.js';
import { liftSuppression, listSuppressions } from '../privacy/suppressions.js';
import { privacyRoutes } from './tables/privacy.js';

export const handler = httpRouter(privacyRoutes, {
  'POST /v1/contacts/{id}/erase': async (req) => eraseContact(req.params.id, req.principal, req.body.reason),
  'GET /v1/suppressions': async (req) => listSuppressions({ value: req.query.value, limit: parseLimit(req.query.limit), cursor: req.query.cursor }),
  'DELETE /v1/suppressions/{id}': async (req) => {
    await liftSuppression(req.params.id);
    return reply(204);
  },
});
