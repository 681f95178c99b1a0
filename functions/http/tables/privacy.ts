/** The route table's privacy area: erasure of a person's data and the suppression list it feeds. */
import * as privacy from '../../../shared/schemas/privacy.js';
import { PAGE_QUERY as PAGE } from '../../../shared/api-routes.js';
import type { AreaTable } from '../routes.js';

export const privacyRoutes = {
  'POST /v1/contacts/{id}/erase': {
    body: privacy.eraseBody,
    answer: 'Erasure',
    summary: 'Erases a contact\'s personal data for good (recycle bin, merges, texts included) and suppresses its phone and email.',
  },
  'GET /v1/suppressions': { answer: 'SuppressionPage', query: ['value', ...PAGE], summary: 'The suppression list (never the values), or the entry of one phone or email.' },
  'DELETE /v1/suppressions/{id}': { summary: 'Lifts a suppression: the phone or email may be used again.' },
} as const satisfies AreaTable;
