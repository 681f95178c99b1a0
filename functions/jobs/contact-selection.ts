import { listContacts } from '../contacts/contact-search.js';
import { contactSummary } from '../contacts/contact-view.js';
import { getContacts } from '../data/contact.js';
import { withBands } from '../data/contact-band.js';
import { getList, getTag } from '../data/catalog-entity.js';
import { countContacts } from '../data/contact-bulk.js';
import { blobStore } from '../lib/blob-store.js';
import { jobTuning } from './job-runner.js';

export type ContactSummary = ReturnType<typeof contactSummary>;

/** The contact-base filters a bulk job can target (the same as `GET /v1/contacts`). */
export interface ContactFilter {
  tag?: string;
  list?: string;
  blocked?: 'true' | 'false';
  band?: string;
  assignee?: string;
  q?: string;
}

/**
 * Which contacts a bulk job works on: explicit ids (selected rows, a page),
 * or every contact matching a filter (an empty filter is the whole base).
 * Large id lists live in the blob store, not on the job item.
 */
export type Selection = { kind: 'ids'; count: number; ids?: string[]; idsKey?: string } | { kind: 'filter'; filter: ContactFilter };

export interface SelectionState {
  offset?: number;
  cursor?: string | null;
}

/** Id lists up to this size stay on the job item (26 bytes per ULID). */
export const INLINE_IDS = 1000;

const idCache = new Map<string, string[]>();

async function loadIds(selection: Extract<Selection, { kind: 'ids' }>): Promise<string[]> {
  if (selection.ids) return selection.ids;
  const key = selection.idsKey!;
  const cached = idCache.get(key);
  if (cached) return cached;
  const blob = await blobStore().get(key);
  if (!blob) throw new Error(`job payload ${key} is missing`);
  const ids = JSON.parse(blob.toString('utf8')) as string[];
  idCache.clear();
  idCache.set(key, ids);
  return ids;
}

/**
 * The next page of the selection after `state`. Filter pages come from the
 * same queries as the contact base (one index Query per page), so the
 * opaque cursor is a safe resume point for a job.
 */
export async function nextPage(
  selection: Selection,
  state: SelectionState,
  size: number,
  options: { contacts?: boolean } = {},
): Promise<{ ids: string[]; contacts?: ContactSummary[]; state: SelectionState; exhausted: boolean }> {
  if (selection.kind === 'ids') {
    const ids = await loadIds(selection);
    const offset = state.offset ?? 0;
    const slice = ids.slice(offset, offset + size);
    const contacts = options.contacts ? (await withBands(await getContacts(slice))).map(contactSummary) : undefined;
    return { ids: slice, contacts, state: { offset: offset + slice.length }, exhausted: offset + slice.length >= ids.length };
  }
  let cursor = state.cursor;
  const contacts: ContactSummary[] = [];
  // Contact-base pages until `size`: a bulk job's chunk may span several.
  while (contacts.length < size && cursor !== null) {
    const page = await listContacts({ ...selection.filter, limit: Math.min(jobTuning.selectionPage, size - contacts.length), cursor });
    contacts.push(...page.items);
    cursor = page.cursor;
  }
  return { ids: contacts.map((c) => c.id), contacts, state: { cursor }, exhausted: cursor === null };
}

/**
 * How many contacts the selection holds, for the progress bar: exact from
 * the list or tag counter, or a COUNT over the one index that serves the
 * filter; null (unknown) for combined filters and name searches, or when
 * counting would take longer than `budgetMs`.
 */
export async function countSelection(selection: Selection, budgetMs = 20_000): Promise<number | null> {
  if (selection.kind === 'ids') return selection.count;
  const f = selection.filter;
  const used = (['tag', 'list', 'blocked', 'band', 'assignee', 'q'] as const).filter((k) => f[k] !== undefined);
  const deadline = Date.now() + budgetMs;
  if (used.length === 0) return countContacts({ by: 'all' }, deadline);
  if (used.length > 1) return null;
  if (f.tag) return (await getTag(f.tag))?.contactCount ?? 0;
  if (f.list) return (await getList(f.list))?.memberCount ?? 0;
  if (f.blocked === 'true') return countContacts({ by: 'blocked' }, deadline);
  if (f.band) return countContacts({ by: 'band', band: f.band }, deadline);
  if (f.assignee) {
    const [type, ...rest] = f.assignee.split(':');
    return countContacts({ by: 'assignee', type, id: rest.join(':') }, deadline);
  }
  return null;
}

/** Deletes the blob holding a large id list once its job has ended. */
export async function dropSelectionBlob(job: { params: Record<string, unknown> }): Promise<void> {
  const selection = job.params.selection as Selection | undefined;
  if (selection?.kind === 'ids' && selection.idsKey) await blobStore().delete(selection.idsKey);
}
