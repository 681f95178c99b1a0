/** The route table's jobs area: Background jobs. */
import * as jobs from '../../../shared/schemas/jobs.js';
import { PAGE_QUERY as PAGE } from '../../../shared/api-routes.js';
import type { AreaTable } from '../routes.js';

export const jobRoutes = {
  'POST /v1/jobs': { body: jobs.jobBody, answer: 'Job', status: 202, summary: 'Starts a job: delete, import, export, tag or add to a list.' },
  'GET /v1/jobs': { answer: 'JobPage', query: ['internal', ...PAGE], summary: 'Jobs, newest first.' },
  'GET /v1/jobs/{id}': { answer: 'Job', summary: 'A job and its progress.' },
  'GET /v1/jobs/{id}/download': { summary: 'The file an export wrote (or a redirect to it).' },
  'POST /v1/jobs/{id}/cancel': { answer: 'Job', summary: 'Stops a queued or running job; what it did stays done.' },
} as const satisfies AreaTable;
