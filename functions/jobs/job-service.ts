import { randomUUID } from 'node:crypto';
import { ulid } from 'ulid';
import { getJob, jobsPage, putNewJob, requestCancel, type JobRecord } from '../data/job.js';
import { blobStore } from '../lib/blob-store.js';
import { can } from '../../shared/roles.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../lib/errors.js';
import type { Principal } from '../lib/http.js';
import { invokeJobWorker } from '../lib/invoke.js';
import { logger } from '../lib/logger.js';
import { CLIENT_JOB_TYPES, isObject, permissionToStart, prepareJob, type ClientJobType, type Prepared } from './job-requests.js';
import { jobTiming, runInline } from './job-runner.js';

/** Presigned download URLs live this long; every `GET /v1/jobs/{id}` signs a fresh one. */
const DOWNLOAD_URL_SECONDS = 15 * 60;

function newJob(id: string, jobType: string, prepared: Pick<Prepared, 'params' | 'total' | 'fileName'>, createdBy: string | undefined, now: number, token: string): JobRecord {
  const iso = new Date(now).toISOString();
  return {
    id,
    jobType,
    status: 'queued',
    total: prepared.total,
    processed: 0,
    failed: 0,
    errors: [],
    errorCount: 0,
    params: prepared.params,
    step: 0,
    resumes: 0,
    stalls: 0,
    // The starting worker brings this token; if it never comes, resume-jobs takes over after the grace.
    leaseOwner: token,
    leaseUntil: now + jobTiming.handOverGraceMs,
    createdAt: iso,
    updatedAt: iso,
    ...(createdBy ? { createdBy } : {}),
    ...(prepared.fileName ? { fileName: prepared.fileName } : {}),
  };
}

async function launch(job: JobRecord, token: string, inlineBudgetMs?: number): Promise<void> {
  if (inlineBudgetMs) {
    // The change the job copies is already made: a failure here leaves the job to resume-jobs, not the request to a 500.
    await runInline(job.id, token, inlineBudgetMs).catch((error) => logger.warn('inline job run failed; resume-jobs will continue it', { jobId: job.id, error: error as Error }));
    return;
  }
  await invokeJobWorker({ jobId: job.id, token } as { jobId: string }).catch((error) =>
    logger.warn('job worker invoke failed; resume-jobs will start the job', { jobId: job.id, error: error as Error }),
  );
}

/** `POST /v1/jobs`: validates the request per type, stores its payload, creates the job and starts the worker. */
export async function createJob(body: unknown, principal: Principal, options: { start?: boolean } = {}): Promise<JobRecord> {
  if (!isObject(body)) throw new ValidationError({ body: 'must be a JSON object' });
  const type = body.type as ClientJobType;
  if (!CLIENT_JOB_TYPES.includes(type)) throw new ValidationError({ type: `must be one of ${CLIENT_JOB_TYPES.join(', ')}` });
  const now = Date.now();
  const id = ulid(now);
  const errors: Record<string, string> = {};
  const prepared = await prepareJob(type, id, body, principal, errors, now);
  if (Object.keys(errors).length > 0 || !prepared) throw new ValidationError(Object.keys(errors).length ? errors : { body: 'is not a valid job' });
  for (const blob of prepared.blobs) await blobStore().put(blob.key, blob.body, blob.contentType);
  const token = `start:${randomUUID()}`;
  const job = newJob(id, type, prepared, principal.sub, now, token);
  await putNewJob(job);
  if (options.start !== false) await launch(job, token);
  return job;
}

/**
 * Starts an internal job (the catalog's fan-outs): runs it inline for up
 * to `inlineBudgetMs` so small changes are complete when the request
 * answers, then hands the rest to the worker.
 */
export async function startInternalJob(jobType: string, params: Record<string, unknown>, options: { createdBy?: string; total?: number | null; inlineBudgetMs?: number } = {}): Promise<JobRecord> {
  const now = Date.now();
  const id = ulid(now);
  const token = `start:${randomUUID()}`;
  const job = newJob(id, jobType, { params, total: options.total ?? null }, options.createdBy, now, token);
  await putNewJob(job);
  await launch(job, token, options.inlineBudgetMs);
  return job;
}

export interface JobView {
  id: string;
  type: string;
  status: JobRecord['status'];
  total: number | null;
  processed: number;
  failed: number;
  errors: { row?: number; message: string; fields?: Record<string, string> }[];
  errorCount: number;
  downloadUrl?: string;
  fileName?: string;
  summary?: Record<string, number>;
  message?: string;
  listId?: string;
  tagId?: string;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  createdBy?: string;
}

export const localDownloadPath = (id: string) => `/v1/jobs/${encodeURIComponent(id)}/download`;

/**
 * The API shape of a job; a failed job's reason is also the last entry of
 * `errors`. `downloadUrl` only for a caller whose role may export
 * (`downloads`): a signed URL is the file itself, for anyone who holds it.
 */
export async function jobView(job: JobRecord, options: { maxErrors?: number; downloads?: boolean } = {}): Promise<JobView> {
  let downloadUrl: string | undefined;
  if (options.downloads && job.status === 'succeeded' && job.output) {
    downloadUrl = (await blobStore().signedUrl(job.output.key, { fileName: job.output.fileName, expiresInSeconds: DOWNLOAD_URL_SECONDS })) ?? localDownloadPath(job.id);
  }
  const errors = [...job.errors];
  if (job.status === 'failed' && job.message) errors.push({ message: job.message });
  const params = job.params as { listId?: unknown; tagId?: unknown };
  return {
    id: job.id,
    type: job.jobType,
    // Asked to stop: the worker ends it after the step in flight (seconds); it will not do more.
    status: job.cancelRequested && (job.status === 'queued' || job.status === 'running') ? 'cancelled' : job.status,
    total: job.total ?? null,
    processed: job.processed,
    failed: job.failed,
    errors: options.maxErrors !== undefined ? errors.slice(0, options.maxErrors) : errors,
    errorCount: job.errorCount + (job.status === 'failed' && job.message ? 1 : 0),
    ...(downloadUrl ? { downloadUrl } : {}),
    ...(job.fileName ? { fileName: job.fileName } : {}),
    ...(job.summary ? { summary: job.summary } : {}),
    ...(job.message ? { message: job.message } : {}),
    ...(typeof params.listId === 'string' ? { listId: params.listId } : {}),
    ...(typeof params.tagId === 'string' ? { tagId: params.tagId } : {}),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
    ...(job.createdBy ? { createdBy: job.createdBy } : {}),
  };
}

export async function getJobView(id: string, options: { downloads: boolean }): Promise<JobView> {
  const job = await getJob(id);
  if (!job) throw new NotFoundError('job');
  return jobView(job, options);
}

/**
 * Recent jobs, newest first; each carries at most 20 of its errors
 * (`errorCount` has them all). The catalog's own fan-outs (renames,
 * deletes) are left out unless `internal` is asked for.
 */
export async function listJobViews(query: { limit: number; cursor?: string; internal?: boolean; downloads: boolean }) {
  const page = await jobsPage(query, query.internal ? undefined : CLIENT_JOB_TYPES);
  return { items: await Promise.all(page.items.map((job) => jobView(job, { maxErrors: 20, downloads: query.downloads }))), cursor: page.cursor };
}

/** What `GET /v1/jobs/{id}/download` answers: a redirect to a presigned URL (S3), or the file itself (local). */
export async function jobDownload(id: string): Promise<{ redirect: string } | { body: string; fileName: string; contentType: string }> {
  const job = await getJob(id);
  if (!job) throw new NotFoundError('job');
  if (job.status !== 'succeeded' || !job.output) throw new ConflictError('The job has no file to download yet.');
  const store = blobStore();
  const url = await store.signedUrl(job.output.key, { fileName: job.output.fileName, expiresInSeconds: DOWNLOAD_URL_SECONDS });
  if (url) return { redirect: url };
  const blob = await store.get(job.output.key);
  if (!blob) throw new NotFoundError('file (exports are kept for 7 days)');
  return { body: blob.toString('utf8'), fileName: job.output.fileName, contentType: job.output.contentType };
}

/** How long `POST /v1/jobs/{id}/cancel` waits for a step in flight to finish, so the answer has the final counts. */
export const CANCEL_WAIT_MS = 8_000;

/**
 * `POST /v1/jobs/{id}/cancel`: by the role that may start the job's type
 * (and selection); the catalog's own fan-outs run to the end. What the job
 * did stays done; the step in flight finishes its writes first.
 */
export async function cancelJob(id: string, principal: Principal, options: { downloads: boolean }): Promise<JobView> {
  const job = await getJob(id, true);
  if (!job) throw new NotFoundError('job');
  const type = job.jobType as ClientJobType;
  if (!CLIENT_JOB_TYPES.includes(type)) throw new ConflictError('This job completes a catalog change and cannot be cancelled.');
  const selection = (job.params as { selection?: { kind?: string; count?: number } }).selection;
  if (!can(principal.role, permissionToStart(type, { broad: selection?.kind === 'filter', count: selection?.count }))) throw new ForbiddenError('Only a role that may start this job may cancel it.');
  if (!(await requestCancel(id))) throw new ConflictError(`The job has already finished (${(await getJob(id, true))?.status ?? job.status}).`);
  const deadline = Date.now() + CANCEL_WAIT_MS;
  let latest = (await getJob(id, true)) ?? job;
  while ((latest.status === 'queued' || latest.status === 'running') && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    latest = (await getJob(id, true)) ?? latest;
  }
  return jobView(latest, options);
}
