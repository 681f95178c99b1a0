import { createApiKey, listApiKeys, revokeApiKey } from '../events/api-keys.js';
import { parseLimit } from '../lib/cursor.js';
import { httpRouter, reply } from '../lib/http.js';
import { integrationRoutes } from './tables/integrations.js';

/** API keys for integrations: admins only; the key is in the creation answer and nowhere else. */
export const handler = httpRouter(integrationRoutes, {
  'POST /v1/api-keys': async (req) => reply(201, await createApiKey(req.body, req.principal.sub)),
  'GET /v1/api-keys': async (req) => listApiKeys({ limit: parseLimit(req.query.limit), cursor: req.query.cursor }),
  'DELETE /v1/api-keys/{id}': async (req) => {
    await revokeApiKey(req.params.id, req.principal.sub);
    return reply(204);
  },
});
