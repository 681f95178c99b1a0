import { parseLimit } from '../lib/cursor.js';
import { authorize, httpRouter, reply } from '../lib/http.js';
import { createMerge, getMerge, listMerges, undoMerge } from '../merge/merge-service.js';
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
  'POST /v1/merges': async (req) => {
    const principal = authorize(req, 'work');
    return reply(201, await createMerge(req.body, principal, req.deadline));
  },
  'GET /v1/merges': async (req) => {
    authorize(req, 'administer');
    return listMerges({ limit: parseLimit(req.query.limit), cursor: req.query.cursor });
  },
  'GET /v1/merges/{id}': async (req) => {
    const principal = authorize(req, 'work');
    return getMerge(req.params.id, principal);
  },
  'POST /v1/merges/{id}/undo': async (req) => {
    const principal = authorize(req, 'work');
    return undoMerge(req.params.id, principal, req.deadline);
  },
});
