import { csvRows, safeCell } from '../../../shared/csv-cell.js';
import { customFieldValue } from '../../../shared/custom-field-key.js';
import { blobStore } from '../../lib/blob-store.js';
import { countSelection, dropSelectionBlob, nextPage, type ContactSummary, type Selection, type SelectionState } from '../contact-selection.js';
import { jobTuning, type JobType } from '../job-runner.js';

interface ExportState {
  started?: boolean;
  sel?: SelectionState;
  parts: number;
  /** Custom field keys seen so far: the file gets one column per key. */
  keys: string[];
  exhausted?: boolean;
}

const MAX_CUSTOM_COLUMNS = 200;

/** Fixed columns, named so that the file imports back (export-only columns are ignored by the import). */
const COLUMNS = ['id', 'firstName', 'lastName', 'phone', 'email', 'country', 'language', 'company', 'department', 'assignee', 'originType', 'originLabel', 'blocked', 'band', 'createdAt', 'updatedAt'];

const partKey = (jobId: string, part: number) => `exports/${jobId}/part-${String(part).padStart(6, '0')}.ndjson`;
export const exportKey = (jobId: string) => `exports/${jobId}.csv`;

function row(contact: ContactSummary, keys: readonly string[]): string[] {
  const cells = [
    contact.id,
    contact.firstName ?? '',
    contact.lastName ?? '',
    contact.phone ?? '',
    contact.email ?? '',
    contact.country ?? '',
    contact.language ?? '',
    contact.company?.name ?? '',
    contact.department?.name ?? '',
    contact.assignee ? `${contact.assignee.type}:${contact.assignee.id}` : '',
    contact.origin?.type ?? '',
    contact.origin?.label ?? '',
    contact.blocked ? 'true' : 'false',
    contact.band ?? '',
    contact.createdAt,
    contact.updatedAt,
    ...keys.map((key) => {
      const value = customFieldValue(contact.customFields, key);
      return value === undefined || value === null ? '' : String(value);
    }),
  ];
  return cells.map(safeCell);
}

/**
 * CSV export of a filter. Each step reads a few pages of the filter (the
 * contact base's own queries) into a part in the blob store; the last step
 * joins the parts into one file with a column per custom field seen. A
 * redone step rewrites the same part, so the file never holds a row twice.
 */
export const exportContactsJob: JobType = {
  name: 'export-contacts',
  cleanup: dropSelectionBlob,
  async step({ job }) {
    const selection = (job.params as { selection: Selection }).selection;
    const state = (job.state as unknown as ExportState | undefined) ?? { parts: 0, keys: [] };
    const blobs = blobStore();
    if (state.exhausted) {
      const chunks: string[] = [csvRows([[...COLUMNS, ...state.keys].map(safeCell)])];
      for (let part = 0; part < state.parts; part++) {
        const text = (await blobs.get(partKey(job.id, part)))?.toString('utf8') ?? '';
        const contacts = text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as ContactSummary);
        if (contacts.length) chunks.push(csvRows(contacts.map((c) => row(c, state.keys))));
      }
      const fileName = `contacts-${job.createdAt.slice(0, 10)}.csv`;
      await blobs.put(exportKey(job.id), chunks.join(''), 'text/csv; charset=utf-8');
      for (let part = 0; part < state.parts; part++) await blobs.delete(partKey(job.id, part));
      return { state: { ...state }, done: true, total: job.processed, output: { key: exportKey(job.id), fileName, contentType: 'text/csv; charset=utf-8' } };
    }
    const total = state.started ? undefined : ((await countSelection(selection)) ?? undefined);
    const contacts: ContactSummary[] = [];
    let sel = state.sel ?? {};
    let exhausted = false;
    for (let page = 0; page < jobTuning.exportPages && !exhausted; page++) {
      const next = await nextPage(selection, sel, 100, { contacts: true });
      contacts.push(...(next.contacts ?? []));
      sel = next.state;
      exhausted = next.exhausted;
    }
    const keys = [...state.keys];
    for (const contact of contacts) {
      for (const key of Object.keys(contact.customFields ?? {})) if (!keys.includes(key) && keys.length < MAX_CUSTOM_COLUMNS) keys.push(key);
    }
    await blobs.put(partKey(job.id, state.parts), contacts.map((c) => JSON.stringify(c)).join('\n'), 'application/x-ndjson');
    return {
      state: { started: true, sel, parts: state.parts + 1, keys: keys.sort(), exhausted },
      processed: contacts.length,
      total,
    };
  },
};
