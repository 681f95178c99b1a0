import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ulid } from 'ulid';
import { can } from '../../shared/roles.js';
import { listContacts } from '../contacts/contact-service.js';
import { findOrCreateTag, getList, getTag, listCustomFieldDefinitions } from '../catalog/catalog-repository.js';
import { blobStore } from '../lib/blob-store.js';
import { ConflictError, ForbiddenError, NotFoundError, TooLargeError, ValidationError } from '../lib/errors.js';
import { idFieldErrors, type Principal } from '../lib/http.js';
import { invokeJobWorker } from '../lib/invoke.js';
import { logger } from '../lib/logger.js';
import { INLINE_IDS, type ContactFilter, type Selection } from './contact-selection.js';
import { CSV_LIMITS, planColumns, readCsvHead } from './csv-import.js';
import { getJob, listJobs, putNewJob, type JobRecord } from './job-repository.js';
import { jobTiming, runInline } from './job-runner.js';
import './job-types.js';
import type { ImportParams, OnDuplicate } from './types/import-contacts.js';

/** Job types a client can start with `POST /v1/jobs`; the catalog starts its own fan-outs. */
export const CLIENT_JOB_TYPES = ['delete-contacts', 'import-contacts', 'export-contacts', 'tag-contacts', 'add-to-list'] as const;
type ClientJobType = (typeof CLIENT_JOB_TYPES)[number];

const MAX_CONTACT_IDS = 100_000;
/** Presigned download URLs live this long; every `GET /v1/jobs/{id}` signs a fresh one. */
const DOWNLOAD_URL_SECONDS = 15 * 60;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function checkKeys(body: Record<string, unknown>, allowed: readonly string[], errors: Record<string, string>, prefix = ''): void {
  for (const key of Object.keys(body)) if (!allowed.includes(key)) errors[`${prefix}${key}`] = 'unknown field';
}

const FILTER_KEYS = ['tag', 'list', 'blocked', 'band', 'assignee', 'q'] as const;

/** Validates a contact-base filter the way `GET /v1/contacts` does; errors are keyed `filter.<name>`. */
async function parseFilter(value: unknown, errors: Record<string, string>): Promise<ContactFilter | undefined> {
  if (value === undefined) return {};
  if (!isObject(value)) {
    errors.filter = 'must be an object';
    return undefined;
  }
  const filter: ContactFilter = {};
  const before = Object.keys(errors).length;
  checkKeys(value, FILTER_KEYS, errors, 'filter.');
  for (const key of FILTER_KEYS) {
    const raw = value[key];
    if (raw === undefined || raw === null || raw === '') continue;
    if (key === 'blocked' && typeof raw === 'boolean') filter.blocked = raw ? 'true' : 'false';
    else if (typeof raw === 'string') (filter as Record<string, string>)[key] = raw;
    else errors[`filter.${key}`] = 'must be a string';
  }
  for (const [field, message] of Object.entries(idFieldErrors(filter as Record<string, unknown>))) errors[`filter.${field}`] = message;
  if (Object.keys(errors).length > before) return undefined;
  try {
    await listContacts({ ...filter, limit: 1 });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    for (const [field, message] of Object.entries(error.fields ?? {})) errors[`filter.${field}`] = message;
    return undefined;
  }
  return filter;
}

function parseIds(value: unknown, errors: Record<string, string>): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    errors.contactIds = 'must be a non-empty array of contact ids';
    return undefined;
  }
  if (value.length > MAX_CONTACT_IDS) {
    errors.contactIds = `at most ${MAX_CONTACT_IDS} ids; use a filter for more`;
    return undefined;
  }
  if (!value.every((id) => typeof id === 'string' && id.length > 0 && id.length <= 64)) {
    errors.contactIds = 'must hold contact ids (strings)';
    return undefined;
  }
  return [...new Set(value as string[])];
}

/** `contactIds`, `filter` or `all: true`: exactly one. */
async function parseSelection(body: Record<string, unknown>, errors: Record<string, string>, options: { defaultAll?: boolean } = {}): Promise<{ selection?: Selection; broad: boolean; ids?: string[] }> {
  const given = (['contactIds', 'filter', 'all'] as const).filter((k) => body[k] !== undefined);
  if (given.length > 1) {
    errors[given[1]] = `give one of contactIds, filter or all`;
    return { broad: false };
  }
  if (given.length === 0 && !options.defaultAll) {
    errors.contactIds = 'give contactIds, a filter, or all: true';
    return { broad: false };
  }
  if (body.contactIds !== undefined) {
    const ids = parseIds(body.contactIds, errors);
    return ids ? { selection: { kind: 'ids', count: ids.length, ...(ids.length <= INLINE_IDS ? { ids } : {}) }, ids, broad: false } : { broad: false };
  }
  if (body.all !== undefined && body.all !== true) {
    errors.all = 'must be true';
    return { broad: true };
  }
  const filter = body.all === true ? {} : await parseFilter(body.filter, errors);
  return filter ? { selection: { kind: 'filter', filter }, broad: true } : { broad: true };
}

/** An upload as the job will read it: the text as sent, or the gzip bytes as sent (the worker inflates them). */
type Upload = { blob: string | Buffer; contentType: string; compressed: boolean; head: string; complete: boolean };

/**
 * Inflates a gzip upload as a stream, keeping only its first bytes (for
 * the header) and counting the rest: a small upload that inflates to
 * gigabytes costs the request neither the memory nor the parse.
 */
async function inspectGzip(compressed: Buffer): Promise<{ head: string; complete: boolean } | 'too_large' | 'not_gzip'> {
  const head: Buffer[] = [];
  let kept = 0;
  let total = 0;
  const gunzip = createGunzip();
  try {
    for await (const chunk of Readable.from([compressed]).pipe(gunzip) as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > CSV_LIMITS.maxBytes) {
        gunzip.destroy();
        return 'too_large';
      }
      if (kept < CSV_LIMITS.headBytes) {
        head.push(chunk);
        kept += chunk.length;
      }
    }
  } catch {
    return 'not_gzip';
  }
  return { head: Buffer.concat(head).subarray(0, CSV_LIMITS.headBytes).toString('utf8'), complete: total <= CSV_LIMITS.headBytes };
}

const tooLarge = () => new TooLargeError(`The file is larger than ${CSV_LIMITS.maxBytes / 1024 / 1024} MB uncompressed; split it.`);

async function readUpload(body: Record<string, unknown>, errors: Record<string, string>): Promise<Upload | undefined> {
  if (body.csv !== undefined && body.csvGzipBase64 !== undefined) {
    errors.csv = 'give csv or csvGzipBase64, not both';
    return undefined;
  }
  if (body.csvGzipBase64 !== undefined) {
    if (typeof body.csvGzipBase64 !== 'string' || body.csvGzipBase64 === '') {
      errors.csvGzipBase64 = 'must be the gzip-compressed file in base64';
      return undefined;
    }
    const compressed = Buffer.from(body.csvGzipBase64, 'base64');
    const inspected = await inspectGzip(compressed);
    if (inspected === 'too_large') throw tooLarge();
    if (inspected === 'not_gzip') {
      errors.csvGzipBase64 = 'is not gzip data in base64';
      return undefined;
    }
    return { blob: compressed, contentType: 'application/gzip', compressed: true, ...inspected };
  }
  if (typeof body.csv !== 'string' || body.csv.trim() === '') {
    errors.csv = 'is required (the file text)';
    return undefined;
  }
  if (Buffer.byteLength(body.csv) > CSV_LIMITS.maxBytes) throw tooLarge();
  return { blob: body.csv, contentType: 'text/csv; charset=utf-8', compressed: false, head: body.csv.slice(0, CSV_LIMITS.headBytes), complete: body.csv.length <= CSV_LIMITS.headBytes };
}

interface Prepared {
  params: Record<string, unknown>;
  total: number | null;
  fileName?: string;
  blobs: { key: string; body: string | Buffer; contentType: string }[];
}

/**
 * Checks an import request from the start of its file (header, columns,
 * mapping) and stores the file as sent; the job worker parses all of it,
 * so a malformed row far down fails the job with the line it is on.
 */
async function prepareImport(id: string, body: Record<string, unknown>, errors: Record<string, string>, createdMs: number): Promise<Prepared | undefined> {
  checkKeys(body, ['type', 'fileName', 'csv', 'csvGzipBase64', 'mapping', 'onDuplicate', 'listId'], errors);
  const fileName = typeof body.fileName === 'string' ? body.fileName.trim() : '';
  if (!fileName) errors.fileName = 'is required';
  else if (fileName.length > 200) errors.fileName = 'must be at most 200 characters';
  const onDuplicate = (body.onDuplicate ?? 'update') as OnDuplicate;
  if (!['update', 'skip', 'create'].includes(onDuplicate)) errors.onDuplicate = 'must be update, skip or create';
  const mapping = isObject(body.mapping) ? body.mapping : undefined;
  if (body.mapping !== undefined && !mapping) errors.mapping = 'must be an object of column header -> field';
  else if (mapping && Object.keys(mapping).length > CSV_LIMITS.maxMappingEntries) errors.mapping = `must have at most ${CSV_LIMITS.maxMappingEntries} entries`;
  if (body.listId !== undefined && (typeof body.listId !== 'string' || !(await getList(body.listId)))) errors.listId = 'no list has this id';
  const upload = await readUpload(body, errors);
  if (upload === undefined) return undefined;
  const head = readCsvHead(upload.head, upload.complete);
  if ('error' in head) {
    errors[upload.compressed ? 'csvGzipBase64' : 'csv'] = head.error;
    return undefined;
  }
  if (errors.mapping) return undefined;
  const plan = planColumns(head.headers, mapping, await listCustomFieldDefinitions());
  Object.assign(errors, plan.errors);
  const key = `imports/${id}.csv${upload.compressed ? '.gz' : ''}`;
  const params: ImportParams = {
    csvKey: key,
    fileName,
    onDuplicate,
    createdMs,
    ...(mapping ? { mapping } : {}),
    ...(typeof body.listId === 'string' ? { listId: body.listId } : {}),
  };
  return { params: params as unknown as Record<string, unknown>, total: null, fileName, blobs: [{ key, body: upload.blob, contentType: upload.contentType }] };
}

function selectionBlobs(id: string, picked: { selection?: Selection; ids?: string[] }): Prepared['blobs'] {
  const selection = picked.selection;
  if (selection?.kind !== 'ids' || selection.ids) return [];
  const key = `imports/${id}-ids.json`;
  selection.idsKey = key;
  return [{ key, body: JSON.stringify(picked.ids), contentType: 'application/json' }];
}

async function prepareBulk(type: ClientJobType, id: string, body: Record<string, unknown>, principal: Principal, errors: Record<string, string>): Promise<Prepared | undefined> {
  const extra = type === 'tag-contacts' ? ['tagName', 'tagId'] : type === 'add-to-list' ? ['listId'] : [];
  checkKeys(body, ['type', 'contactIds', 'filter', 'all', ...extra], errors);
  const picked = await parseSelection(body, errors, { defaultAll: type === 'export-contacts' });
  if (type === 'delete-contacts' && picked.broad && !can(principal.role, 'administer')) {
    throw new ForbiddenError('Deleting every contact, or every contact of a filter, is for admins.');
  }
  const params: Record<string, unknown> = {};
  if (type === 'add-to-list') {
    if (typeof body.listId !== 'string' || !(await getList(body.listId))) errors.listId = 'no list has this id';
    else params.listId = body.listId;
  }
  if (type === 'tag-contacts') {
    if ((body.tagName === undefined) === (body.tagId === undefined)) errors.tagName = 'give tagName or tagId';
    else if (body.tagId !== undefined) {
      if (typeof body.tagId !== 'string' || !(await getTag(body.tagId))) errors.tagId = 'no tag has this id';
      else params.tagId = body.tagId;
    } else if (typeof body.tagName !== 'string' || body.tagName.trim() === '') errors.tagName = 'is required';
    else if (body.tagName.trim().length > 60) errors.tagName = 'must be at most 60 characters';
  }
  if (Object.keys(errors).length > 0 || !picked.selection) return undefined;
  // Created last, once everything else is valid: a rejected request writes nothing.
  if (type === 'tag-contacts' && params.tagId === undefined) params.tagId = (await findOrCreateTag(String(body.tagName))).id;
  params.selection = picked.selection;
  const blobs = selectionBlobs(id, picked);
  return { params, total: picked.selection.kind === 'ids' ? picked.selection.count : null, blobs };
}

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
  const prepared = type === 'import-contacts' ? await prepareImport(id, body, errors, now) : await prepareBulk(type, id, body, principal, errors);
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
    status: job.status,
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
  const page = await listJobs(query.limit, query.cursor, query.internal ? undefined : CLIENT_JOB_TYPES);
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
