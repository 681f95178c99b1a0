/** The route table's integrations area: API keys for integrations. */
import * as integrations from '../../../shared/schemas/integrations.js';
import { PAGE_QUERY as PAGE } from '../../../shared/api-routes.js';
import type { AreaTable } from '../routes.js';

export const integrationRoutes = {
  'POST /v1/api-keys': { body: integrations.apiKeyBody, answer: 'ApiKeyCreated', status: 201, summary: 'Creates an API key; the key is in this answer only.' },
  'GET /v1/api-keys': { answer: 'ApiKeyPage', query: PAGE, summary: 'API keys (never the keys themselves).' },
  'DELETE /v1/api-keys/{id}': { summary: 'Revokes an API key.' },
} as const satisfies AreaTable;
