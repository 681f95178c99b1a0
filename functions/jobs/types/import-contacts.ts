import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { encodeTime } from 'ulid';
import { DEFAULT_ORIGINS } from '../../../shared/contact-schema.js';
import { fold } from '../../../shared/text.js';
import { patchContact } from '../../contacts/contact-service.js';
import { addToList } from '../../contacts/memberships.js';
import { getContacts, toContactItem, type ContactRecord } from '../../data/contact.js';
import { allOfKind, getList, listCustomFieldDefinitions, putCatalogEntity, type CatalogItem } from '../../data/catalog-entity.js';
import { allContactValues } from '../../data/contact-bulk.js';
import { oldestHolders } from '../../data/engagement-state.js';
import { listKey } from '../../data/keys.js';
import { toMembershipItem } from '../../data/membership.js';
import { blobStore } from '../../lib/blob-store.js';
import { config } from '../../lib/config.js';
import { HttpError } from '../../lib/errors.js';
import { BatchWriter } from '../../lib/dynamo-batch.js';
import { inParallel } from '../../lib/concurrency.js';
import { CSV_LIMITS, CsvSyntaxError, importContactId, parseCsvText, planColumns, validateRow, type ParsedCsv, type RowContext, type ValidRow } from '../csv-import.js';
import { JobFailure, jobTuning, type JobType } from '../job-runner.js';
import type { JobError } from '../../data/job.js';
import { addMergedAliases, holderOf, withoutAliasedValues, type ValueHolders } from '../../merge/aliases.js';
import { suppressedAmong, suppressedFieldErrors, valuesOf } from '../../privacy/suppression-check.js';
import { activityItem } from '../../data/activity.js';
import { currentActor } from '../../lib/actor.js';

export type OnDuplicate = 'update' | 'skip' | 'create';

export interface ImportParams {
  csvKey: string;
  fileName: string;
  mapping?: Record<string, unknown>;
  onDuplicate: OnDuplicate;
  listId?: string;
  createdMs: number;
}

interface ImportState {
  /** Records imported so far (the next step starts at this record). */
  offset: number;
  listGone?: boolean;
  summary: { created: number; updated: number; skipped: number };
}

/**
 * Rows left at which the import reads every contact's phone and email once
 * (one paged Query of the base) instead of two index lookups per row.
 */
export const PRELOAD_MIN_ROWS = 2000;

/**
 * Phone/email -> contact id, kept for the job within one worker invocation.
 * A value held through a merged duplicate belongs to the contact it was
 * merged into (functions/merge/aliases.ts).
 */
interface DuplicateIndex extends ValueHolders {
  jobId: string;
  complete: boolean;
  phones: Map<string, string | null>;
  emails: Map<string, string | null>;
}

let parsedCache: { key: string; csv: ParsedCsv } | undefined;
let duplicates: DuplicateIndex | undefined;

/**
 * The whole file, parsed here in the worker rather than in the request
 * (which checked its header only): what is wrong further down fails the
 * job with the reason. A gzip upload is inflated here, within the limit
 * the request checked.
 */
async function loadCsv(key: string): Promise<ParsedCsv> {
  if (parsedCache?.key === key) return parsedCache.csv;
  const blob = await blobStore().get(key);
  if (!blob) throw new JobFailure('The uploaded file is no longer available.');
  let csv: ParsedCsv;
  try {
    csv = parseCsvText((key.endsWith('.gz') ? gunzipSync(blob, { maxOutputLength: CSV_LIMITS.maxBytes }) : blob).toString('utf8'));
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new JobFailure(error.message);
    throw error;
  }
  if (csv.records.length === 0) throw new JobFailure('The file has no rows under the header.');
  if (csv.records.length > CSV_LIMITS.maxRows) throw new JobFailure(`The file has more than ${CSV_LIMITS.maxRows.toLocaleString('en-US')} rows; split it.`);
  parsedCache = { key, csv };
  return csv;
}

function duplicateIndex(jobId: string): DuplicateIndex {
  if (duplicates?.jobId !== jobId) duplicates = { jobId, complete: false, phones: new Map(), emails: new Map(), aliased: new Set() };
  return duplicates;
}

/** Reads id, phone and email of every contact (oldest first, so the oldest holder of a value wins). */
async function preload(index: DuplicateIndex): Promise<void> {
  for (const item of await allContactValues()) {
    if (typeof item.phone === 'string' && !index.phones.get(item.phone)) index.phones.set(item.phone, String(item.id));
    if (typeof item.email === 'string' && !index.emails.get(item.email)) index.emails.set(item.email, String(item.id));
  }
  await addMergedAliases(index);
  index.complete = true;
}

async function lookup(index: DuplicateIndex, rows: ValidRow[]): Promise<void> {
  const wanted: { kind: 'phone' | 'email'; value: string }[] = [];
  for (const row of rows) {
    if (row.fields.phone && !index.phones.has(row.fields.phone)) wanted.push({ kind: 'phone', value: row.fields.phone });
    if (row.fields.email && !index.emails.has(row.fields.email)) wanted.push({ kind: 'email', value: row.fields.email });
  }
  const seen = new Set<string>();
  const unique = wanted.filter((w) => !seen.has(`${w.kind}:${w.value}`) && seen.add(`${w.kind}:${w.value}`));
  await inParallel(unique, jobTuning.concurrency * 2, async ({ kind, value }) => {
    const holder = await holderOf(await oldestHolders(kind === 'phone' ? { e164: value } : { email: value }));
    (kind === 'phone' ? index.phones : index.emails).set(value, holder?.id ?? null);
    if (holder?.viaAlias) index.aliased.add(`${kind}:${value}`);
  });
}

function byName(items: CatalogItem[]) {
  const byFolded = new Map<string, { id: string; name: string }>();
  // Oldest first, so that of two entities with the same name the oldest wins.
  for (const item of [...items].sort((a, b) => a.id.localeCompare(b.id))) if (!byFolded.has(fold(item.name))) byFolded.set(fold(item.name), { id: item.id, name: item.name });
  return byFolded;
}

const byId = (items: CatalogItem[]) => new Map(items.map((i) => [i.id, { id: i.id, name: i.name }]));

/** Deterministic id for a department the import creates, so a redone step puts the same one. */
function importDepartmentId(jobId: string, createdMs: number, name: string): string {
  const hash = createHash('sha256').update(`${jobId}:${fold(name)}`).digest('hex');
  const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let random = '';
  for (let i = 0; i < 16; i++) random += crockford[parseInt(hash.slice(i * 2, i * 2 + 2), 16) % 32];
  return `${encodeTime(createdMs, 10)}${random}`;
}

/** Departments named in the file that do not exist yet are created (the profile lets operators create them too). */
async function createDepartments(jobId: string, createdMs: number, valid: { row: ValidRow }[], departmentsByName: Map<string, { id: string; name: string }>): Promise<void> {
  for (const { row } of valid) {
    if (!row.newDepartment) continue;
    const folded = fold(row.newDepartment);
    if (!departmentsByName.has(folded)) {
      const department = { id: importDepartmentId(jobId, createdMs, row.newDepartment), name: row.newDepartment, createdAt: new Date().toISOString() };
      await putCatalogEntity('department', department, { idempotent: true });
      departmentsByName.set(folded, { id: department.id, name: department.name });
    }
    row.department = departmentsByName.get(folded);
  }
}

function newContactItem(id: string, row: ValidRow, options: { origin: ContactRecord['origin']; now: string; createdBy?: string }) {
  const record: ContactRecord = {
    id,
    firstName: row.fields.firstName ?? undefined,
    lastName: row.fields.lastName ?? undefined,
    phone: row.fields.phone ?? undefined,
    email: row.fields.email ?? undefined,
    country: row.fields.country ?? undefined,
    language: row.fields.language ?? undefined,
    origin: options.origin,
    company: row.company,
    department: row.department,
    customFields: row.fields.customFields ?? {},
    blocked: false,
    createdAt: options.now,
    updatedAt: options.now,
    createdBy: options.createdBy,
  };
  return { ...toContactItem(record), version: 1 };
}

/**
 * CSV import, a chunk of rows per step. New contacts are written with
 * BatchWriteItem (25 per call, several calls in flight) under ids derived
 * from the job and the row, so a redone step rewrites the same contacts
 * rather than adding copies; the list's member count for them is added in
 * the step's commit, exactly once. Duplicates (same phone, then same email)
 * are found in a per-job index (the whole base read once for big files, two
 * index lookups per row for small ones) that also holds the file's own new
 * contacts, so a repeated row updates or skips the contact made by the
 * first. Updates go through the contact service, one row at a time.
 */
export const importContactsJob: JobType = {
  name: 'import-contacts',
  async cleanup(job) {
    await blobStore().delete((job.params as unknown as ImportParams).csvKey);
  },
  async step({ job, maybeRedo }) {
    const params = job.params as unknown as ImportParams;
    const state: ImportState = (job.state as unknown as ImportState | undefined) ?? { offset: 0, summary: { created: 0, updated: 0, skipped: 0 } };
    const csv = await loadCsv(params.csvKey);
    const [definitions, companies, departments, list] = await Promise.all([
      listCustomFieldDefinitions(),
      allOfKind('company'),
      allOfKind('department'),
      params.listId && !state.listGone ? getList(params.listId) : Promise.resolve(undefined),
    ]);
    const errors: JobError[] = [];
    let listGone = state.listGone;
    if (params.listId && !list && !listGone) {
      listGone = true;
      errors.push({ message: 'The list was deleted during the import; the remaining rows were not added to it.' });
    }
    const departmentsByName = byName(departments);
    const context: RowContext = {
      defaultRegion: config().defaultPhoneRegion,
      definitions,
      companiesByName: byName(companies),
      companiesById: byId(companies),
      departmentsByName,
      departmentsById: byId(departments),
    };
    const { columns } = planColumns(csv.headers, params.mapping, definitions);
    const start = state.offset;
    const last = Math.min(csv.records.length, start + jobTuning.importChunk);
    const stepStarted = Date.now();
    let end = start;
    const index = duplicateIndex(job.id);
    const dedupe = params.onDuplicate !== 'create';
    if (dedupe && !index.complete && csv.records.length - start >= PRELOAD_MIN_ROWS) await preload(index);

    const now = new Date().toISOString();
    const origin = DEFAULT_ORIGINS.csv(params.fileName);
    const writer = new BatchWriter(jobTuning.importWriters);
    const updates: { id: string; row: ValidRow; rowNumber: number }[] = [];
    let created = 0;
    let skipped = 0;
    // Rows are validated a slice at a time while the previous slices' writes are in flight. The
    // step ends early when it has run long or gathered many updates (one request chain each), so
    // it commits well within its lease.
    while (end < last && (end === start || (Date.now() - stepStarted < jobTuning.importStepMs && updates.length < jobTuning.importUpdates))) {
      const from = end;
      end = Math.min(last, from + jobTuning.importSlice);
      const parsed: { index: number; row: ValidRow }[] = [];
      csv.records.slice(from, end).forEach((record, i) => {
        const result = validateRow(record, columns, context);
        if (result.ok) parsed.push({ index: from + i, row: result });
        else errors.push({ row: csv.rowNumbers[from + i], message: result.message, fields: result.fields });
      });
      // A row with a suppressed phone or email is a row error `suppressed` (API.md): one BatchGet per slice.
      const suppressed = await suppressedAmong(parsed.flatMap(({ row }) => valuesOf(row.fields)));
      const valid = parsed.filter(({ index, row }) => {
        const fields = suppressed.size > 0 ? suppressedFieldErrors(row.fields, suppressed) : {};
        if (Object.keys(fields).length === 0) return true;
        errors.push({ row: csv.rowNumbers[index], message: 'suppressed', fields });
        return false;
      });
      await createDepartments(job.id, params.createdMs, valid, departmentsByName);
      if (dedupe && !index.complete) await lookup(index, valid.map((v) => v.row));

      const creates: { id: string; row: ValidRow }[] = [];
      for (const { index: recordIndex, row } of valid) {
        const ownId = importContactId(job.id, params.createdMs, recordIndex);
        const existing = dedupe ? (row.fields.phone ? index.phones.get(row.fields.phone) : undefined) || (row.fields.email ? index.emails.get(row.fields.email) : undefined) : undefined;
        if (!existing || existing === ownId) {
          creates.push({ id: ownId, row });
          if (row.fields.phone && !index.phones.get(row.fields.phone)) index.phones.set(row.fields.phone, ownId);
          if (row.fields.email && !index.emails.get(row.fields.email)) index.emails.set(row.fields.email, ownId);
        } else if (params.onDuplicate === 'skip') skipped++;
        else updates.push({ id: existing, row, rowNumber: csv.rowNumbers[recordIndex] });
      }
      created += creates.length;

      // After a crash the step may have written some of its contacts already: keep those as they are.
      const already = new Map(maybeRedo ? (await getContacts(creates.map((c) => c.id))).map((c) => [c.id, c.createdAt]) : []);
      const requests: Record<string, unknown>[] = [];
      for (const { id, row } of creates) {
        if (!already.has(id)) requests.push({ PutRequest: { Item: newContactItem(id, row, { origin, now, createdBy: job.createdBy }) } });
        // Its `imported` entry, the same item again on a redo (the contact's own time and a fixed id): batch
        // writes are no transaction, so a redo that finds the contact written writes its entry anyway.
        requests.push({ PutRequest: { Item: activityItem(id, 'imported', {}, already.get(id) ?? now, currentActor(), `imp-${id}`) } });
        if (list && !listGone) {
          requests.push({ PutRequest: { Item: toMembershipItem(id, { kind: 'list', id: list.id, name: list.name }, now) } });
        }
      }
      await writer.add(requests);
      await new Promise((r) => setImmediate(r));
    }
    // Updates come after the new contacts are written: a later row may update a contact an earlier row created.
    await writer.flush();

    let updated = 0;
    await inParallel(updates, jobTuning.concurrency, async ({ id, row, rowNumber }) => {
      try {
        await patchContact(id, { ...withoutAliasedValues(index, row.fields), companyId: row.company?.id, departmentId: row.department?.id });
        if (list && !listGone) await addToList(id, list.id);
        updated++;
      } catch (error) {
        if (!(error instanceof HttpError) || error.status >= 500) throw error;
        errors.push({ row: rowNumber, message: `could not update the matching contact: ${error.message}`, fields: error.fields });
      }
    });
    errors.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));

    const offset = end;
    const summary = { created: state.summary.created + created, updated: state.summary.updated + updated, skipped: state.summary.skipped + skipped };
    const failed = errors.filter((e) => e.row !== undefined).length;
    return {
      state: { offset, listGone, summary },
      processed: end - start - failed,
      failed,
      errors,
      total: csv.records.length,
      summary,
      counters: list && !listGone && created > 0 ? [{ key: listKey(list.id), attribute: 'memberCount', delta: created }] : [],
      done: offset >= csv.records.length,
    };
  },
};
