import { createApiKey, listApiKeys, revokeApiKey } from '../events/api-keys.js';
import { parseLimit } from '../lib/cursor.js';
import { authorize, httpRouter, reply } from '../lib/http.js';

/** API keys for integrations: admins only; the key is in the creation answer and nowhere else. */
export const handler = httpRouter({
  'POST /v1/api-keys': async (req) => {
    const principal = authorize(req, 'administer');
    return reply(201, await createApiKey(req.body, principal.sub));
  },
  'GET /v1/api-keys': async (req) => {
    authorize(req, 'administer');
    return listApiKeys({ limit: parseLimit(req.query.limit), cursor: req.query.cursor });
  },
  'DELETE /v1/api-keys/{id}': async (req) => {
    const principal = authorize(req, 'administer');
    await revokeApiKey(req.params.id, principal.sub);
    return reply(204);
  },
});
