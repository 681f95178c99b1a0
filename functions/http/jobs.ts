import { attachmentDisposition } from '../lib/blob-store.js';
import { parseLimit } from '../lib/cursor.js';
import { ValidationError } from '../lib/errors.js';
import { can } from '../../shared/roles.js';
import { authorize, httpRouter, reply, type Principal } from '../lib/http.js';
import { createJob, getJobView, jobDownload, jobView, listJobViews } from '../jobs/job-service.js';

/** Every role reads jobs; only roles that may export get a job's file (API.md: `downloadUrl` only for them). */
const mayDownload = (principal: Principal) => can(principal.role, 'work');

export const handler = httpRouter({
  'POST /v1/jobs': async (req) => {
    const principal = authorize(req, 'work');
    return reply(202, await jobView(await createJob(req.body, principal), { downloads: mayDownload(principal) }));
  },
  'GET /v1/jobs': async (req) => {
    const principal = authorize(req, 'read');
    if (req.query.internal !== undefined && req.query.internal !== 'true' && req.query.internal !== 'false') throw new ValidationError({ internal: 'must be true or false' });
    return listJobViews({ limit: parseLimit(req.query.limit), cursor: req.query.cursor, internal: req.query.internal === 'true', downloads: mayDownload(principal) });
  },
  'GET /v1/jobs/{id}': async (req) => {
    const principal = authorize(req, 'read');
    return getJobView(req.params.id, { downloads: mayDownload(principal) });
  },
  'GET /v1/jobs/{id}/download': async (req) => {
    authorize(req, 'work');
    const file = await jobDownload(req.params.id);
    if ('redirect' in file) return reply(302, undefined, { location: file.redirect, 'cache-control': 'no-store' });
    return reply(200, file.body, { 'content-type': file.contentType, 'content-disposition': attachmentDisposition(file.fileName), 'cache-control': 'no-store' });
  },
});
