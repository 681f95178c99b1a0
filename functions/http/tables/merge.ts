/** The route table's merge area: Duplicate suggestions and merges. */
import * as merge from '../../../shared/schemas/merge.js';
import { PAGE_QUERY as PAGE } from '../../../shared/api-routes.js';
import type { AreaTable } from '../routes.js';

export const mergeRoutes = {
  'GET /v1/merge-suggestions': { answer: merge.suggestionPage, query: PAGE, summary: 'Contacts that share a phone or email.' },
  'GET /v1/contacts/{id}/merge-suggestions': { answer: merge.suggestionPage, summary: 'Duplicate suggestions for one contact.' },
  'POST /v1/merges': { body: merge.mergeBody, answer: merge.merge, status: 201, summary: 'Merges duplicates into a primary contact.' },
  'GET /v1/merges': { answer: merge.mergePage, query: PAGE, summary: 'Merge history, newest first.' },
  'GET /v1/merges/{id}': { answer: merge.merge, summary: 'A merge.' },
  'POST /v1/merges/{id}/undo': { answer: merge.merge, summary: 'Undoes a merge.' },
} as const satisfies AreaTable;
