import { attachmentDisposition } from '../lib/blob-store.js';
import { parseLimit } from '../lib/cursor.js';
import { ValidationError } from '../lib/errors.js';
import { authorize, httpRouter, reply } from '../lib/http.js';
import { createJob, getJobView, jobDownload, jobView, listJobViews } from '../jobs/job-service.js';

export const handler = httpRouter({
  'POST /v1/jobs': async (req) => {
    const principal = authorize(req, 'work');
    return reply(202, await jobView(await createJob(req.body, principal)));
  },
  'GET /v1/jobs': async (req) => {
    authorize(req, 'read');
    if (req.query.internal !== undefined && req.query.internal !== 'true' && req.query.internal !== 'false') throw new ValidationError({ internal: 'must be true or false' });
    return listJobViews(parseLimit(req.query.limit), req.query.cursor, req.query.internal === 'true');
  },
  'GET /v1/jobs/{id}': async (req) => {
    authorize(req, 'read');
    return getJobView(req.params.id);
  },
  'GET /v1/jobs/{id}/download': async (req) => {
    authorize(req, 'read');
    const file = await jobDownload(req.params.id);
    if ('redirect' in file) return reply(302, undefined, { location: file.redirect, 'cache-control': 'no-store' });
    return reply(200, file.body, { 'content-type': file.contentType, 'content-disposition': attachmentDisposition(file.fileName), 'cache-control': 'no-store' });
  },
});
