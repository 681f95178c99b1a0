import { parseLimit } from '../lib/cursor.js';
import { httpRouter, reply } from '../lib/http.js';
import { mergeRoutes } from './tables/merge.js';
import { createMerge, getMerge, listMerges, undoMerge } from '../merge/merge-service.js';
import { contactSuggestions, listSuggestions } from '../merge/suggestions.js';

export const handler = httpRouter(mergeRoutes, {
  'GET /v1/merge-suggestions': async (req) => listSuggestions({ limit: parseLimit(req.query.limit), cursor: req.query.cursor }),
  'GET /v1/contacts/{id}/merge-suggestions': async (req) => ({ items: await contactSuggestions(req.params.id), cursor: null }),
  'POST /v1/merges': async (req) => reply(201, await createMerge(req.body, req.principal, req.deadline)),
  'GET /v1/merges': async (req) => listMerges({ limit: parseLimit(req.query.limit), cursor: req.query.cursor }),
  'GET /v1/merges/{id}': async (req) => getMerge(req.params.id, req.principal),
  'POST /v1/merges/{id}/undo': async (req) => undoMerge(req.params.id, req.principal, req.deadline),
});
