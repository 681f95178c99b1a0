import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BROAD_DELETE_ACCESS, NAMED_DELETE_LIMIT } from '../../shared/api-routes.js';
import { can, type Permission } from '../../shared/roles.js';
import { listContacts } from '../contacts/contact-search.js';
import { findOrCreateTag, getList, getTag, listCustomFieldDefinitions } from '../data/catalog-entity.js';
import { ForbiddenError, TooLargeError, ValidationError } from '../lib/errors.js';
import { idFieldErrors, type Principal } from '../lib/http.js';
import { INLINE_IDS, type ContactFilter, type Selection } from './contact-selection.js';
import { CSV_LIMITS, planColumns, readCsvHead } from './csv-import.js';
import type { ImportParams, OnDuplicate } from './types/import-contacts.js';

/**
 * What `POST /v1/jobs` asks for, checked per job type: the selection of a
 * bulk job, the file and mapping of an import. A valid request becomes the
 * job's params and the blobs to store; nothing is written before that.
 */

/** Job types a client can start with `POST /v1/jobs`; the catalog starts its own fan-outs. */
export const CLIENT_JOB_TYPES = ['delete-contacts', 'restore-contacts', 'import-contacts', 'export-contacts', 'tag-contacts', 'add-to-list'] as const;
export type ClientJobType = (typeof CLIENT_JOB_TYPES)[number];

/**
 * The permission (shared/roles.ts) starting a job needs: the route asks for
 * `work`, and deleting a broad selection (every contact, every contact of
 * a filter, or more than NAMED_DELETE_LIMIT named ones) asks for
 * `administer` (API.md, Roles and Jobs). Restoring from the recycle bin is
 * an admin's, like the bin's restore route.
 */
export function permissionToStart(type: ClientJobType, selection: { broad: boolean; count?: number }): Permission {
  if (type === 'restore-contacts') return 'administer';
  return type === 'delete-contacts' && (selection.broad || (selection.count ?? 0) > NAMED_DELETE_LIMIT) ? BROAD_DELETE_ACCESS : 'work';
}

const MAX_CONTACT_IDS = 100_000;
export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

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

export interface Prepared {
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

/** A restore from the recycle bin: the ids named (`contactIds`) or every contact in the bin (`all: true`); admins only. */
async function prepareRestore(id: string, body: Record<string, unknown>, principal: Principal, errors: Record<string, string>): Promise<Prepared | undefined> {
  if (!can(principal.role, permissionToStart('restore-contacts', { broad: true }))) throw new ForbiddenError('Restoring contacts from the recycle bin is for admins.');
  checkKeys(body, ['type', 'contactIds', 'all'], errors);
  if (Object.keys(errors).length > 0) return undefined;
  if (body.contactIds === undefined && body.all === undefined) {
    errors.contactIds = 'give contactIds or all: true';
    return undefined;
  }
  const picked = await parseSelection(body, errors);
  if (Object.keys(errors).length > 0 || !picked.selection) return undefined;
  const selection = picked.selection.kind === 'ids' ? picked.selection : { kind: 'bin' as const };
  return { params: { selection }, total: selection.kind === 'ids' ? selection.count : null, blobs: selectionBlobs(id, picked) };
}

async function prepareBulk(type: ClientJobType, id: string, body: Record<string, unknown>, principal: Principal, errors: Record<string, string>): Promise<Prepared | undefined> {
  const extra = type === 'tag-contacts' ? ['tagName', 'tagId'] : type === 'add-to-list' ? ['listId'] : [];
  checkKeys(body, ['type', 'contactIds', 'filter', 'all', ...extra], errors);
  const picked = await parseSelection(body, errors, { defaultAll: type === 'export-contacts' });
  if (!can(principal.role, permissionToStart(type, { broad: picked.broad, count: picked.ids?.length }))) {
    throw new ForbiddenError(`Deleting every contact, every contact of a filter, or more than ${NAMED_DELETE_LIMIT} named contacts is for admins.`);
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
  // Who deleted them, as the recycle bin shows it.
  if (type === 'delete-contacts') params.deletedBy = { sub: principal.sub, name: principal.name };
  const blobs = selectionBlobs(id, picked);
  return { params, total: picked.selection.kind === 'ids' ? picked.selection.count : null, blobs };
}

/** Checks a request for a job of `type` (errors by field); undefined when it is not valid. */
export function prepareJob(type: ClientJobType, id: string, body: Record<string, unknown>, principal: Principal, errors: Record<string, string>, createdMs: number): Promise<Prepared | undefined> {
  if (type === 'import-contacts') return prepareImport(id, body, errors, createdMs);
  if (type === 'restore-contacts') return prepareRestore(id, body, principal, errors);
  return prepareBulk(type, id, body, principal, errors);
}
