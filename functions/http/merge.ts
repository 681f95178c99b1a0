import { parseLimit } from '../lib/cursor.js';
import { authorize, httpRouter } from '../lib/http.js';
import { contactSuggestions, listSuggestions } from '../merge/suggestions.js';

export const handler = httpRouter({
  'GET /v1/merge-suggestions': async (req) => {
    authorize(req, 'read');
    return listSuggestions({ limit: parseLimit(req.query.limit), cursor: req.query.cursor });
  },
  'GET /v1/contacts/{id}/merge-suggestions': async (req) => {
    authorize(req, 'read');
    return { items: await contactSuggestions(req.params.id), cursor: null };
  },
});
