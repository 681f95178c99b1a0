/** The route table's merge area: Duplicate suggestions and merges. */
import * as merge from '../../../shared/schemas/merge.js';
import { PAGE_QUERY as PAGE } from '../../../shared/api-routes.js';
import type { AreaTable } from '../routes.js';

export const mergeRoutes = {
  'GET /v1/merge-suggestions': { answer: 'SuggestionPage', query: PAGE, summary: 'Contacts that share a phone or email.' },
  'GET /v1/contacts/{id}/merge-suggestions': { answer: 'SuggestionPage', summary: 'Duplicate suggestions for one contact.' },
  'POST /v1/merges': { body: merge.mergeBody, answer: 'Merge', status: 201, summary: 'Merges duplicates into a primary contact.' },
  'GET /v1/merges': { answer: 'MergePage', query: PAGE, summary: 'Merge history, newest first.' },
  'GET /v1/merges/{id}': { answer: 'Merge', summary: 'A merge.' },
  'POST /v1/merges/{id}/undo': { answer: 'Merge', summary: 'Undoes a merge.' },
} as const satisfies AreaTable;
