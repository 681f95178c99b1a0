import { API_ROUTES } from '../../shared/api-routes.js';
import { can } from '../../shared/roles.js';
import { attachmentDisposition } from '../lib/blob-store.js';
import { parseLimit } from '../lib/cursor.js';
import { ValidationError } from '../lib/errors.js';
import { httpRouter, reply, type Principal } from '../lib/http.js';
import { jobRoutes } from './tables/jobs.js';
// No job type is registered here: `POST /v1/jobs` hands every job to the worker (functions/jobs/run-job-worker.ts
// registers the types it runs), and only the catalog's fan-outs run inline (functions/catalog/register-jobs.ts).
import { cancelJob, createJob, getJobView, jobDownload, jobView, listJobViews } from '../jobs/job-service.js';

/** Every role reads jobs; only roles that may fetch a job's file see its `downloadUrl` (API.md: "only to roles that may export"). */
const mayDownload = (principal: Principal) => can(principal.role, API_ROUTES['GET /v1/jobs/{id}/download']);

export const handler = httpRouter(jobRoutes, {
  'POST /v1/jobs': async ({ body, principal }) => reply(202, await jobView(await createJob(body, principal), { downloads: mayDownload(principal) })),
  'GET /v1/jobs': async ({ query, principal }) => {
    if (query.internal !== undefined && query.internal !== 'true' && query.internal !== 'false') throw new ValidationError({ internal: 'must be true or false' });
    return listJobViews({ limit: parseLimit(query.limit), cursor: query.cursor, internal: query.internal === 'true', downloads: mayDownload(principal) });
  },
  'GET /v1/jobs/{id}': async ({ params, principal }) => getJobView(params.id, { downloads: mayDownload(principal) }),
  'POST /v1/jobs/{id}/cancel': async ({ params, principal }) => cancelJob(params.id, principal, { downloads: mayDownload(principal) }),
  'GET /v1/jobs/{id}/download': async ({ params }) => {
    const file = await jobDownload(params.id);
    if ('redirect' in file) return reply(302, undefined, { location: file.redirect, 'cache-control': 'no-store' });
    return reply(200, file.body, { 'content-type': file.contentType, 'content-disposition': attachmentDisposition(file.fileName), 'cache-control': 'no-store' });
  },
});
