/** The route table's openapi area: The API's own description. */
import type { AreaTable } from '../routes.js';

export const openapiRoutes = {
  'GET /v1/openapi.json': { summary: 'This API as an OpenAPI 3.1 document.' },
} as const satisfies AreaTable;
