import { ulid } from 'ulid';
import { can } from '../../shared/roles.js';
import { MAX_DUPLICATES } from '../../shared/schemas/merge.js';
import { getContacts } from '../data/contact.js';
import { contactKey } from '../data/keys.js';
import { activeItem, getMergeRecord, mergeRecordsPage, newMergeRecord, toItem, type MergePhase, type MergeRecord } from '../data/merge-record.js';
import { getManyRaw, keyId, toRaw } from '../data/raw-item.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../lib/errors.js';
import type { Principal } from '../lib/http.js';
import { userNames } from '../lib/user-directory.js';
import { earlyDuplicates, switchCount } from './markers.js';
import { drive, newOwner } from './merge-engine.js';
import { MergeInvalid } from './merge-plan.js';
import { acquireLease, lockOps, mergeTiming } from './merge-record.js';
import { displayName } from './suggestions.js';
import { notExists, transact } from './transact.js';

/**
 * Duplicates one merge takes at most. API.md sets no limit; this one is
 * DynamoDB's: the merge record holds every duplicate's id and name at
 * merge time within one item (400 KB). Any number up to it switches at
 * once for readers (./markers.ts).
 */
export { MAX_DUPLICATES };

/** A merge request as the route's schema lets it through: a primary and distinct duplicates, none of them the primary. */
export interface MergeRequest {
  primaryId: string;
  duplicateIds: string[];
}

export type MergeStatus = 'running' | 'completed' | 'undoing' | 'undone' | 'failed';

const STATUS: Record<MergePhase, MergeStatus> = {
  preparing: 'running',
  moving: 'running',
  completed: 'completed',
  undoPreparing: 'undoing',
  undoing: 'undoing',
  undone: 'undone',
  failed: 'failed',
};

/**
 * The API shape of a merge. Who merged and who undid are named from the
 * user directory (`staff`: names by sub), never from the name a token
 * carried: users could edit that one. A sub the directory does not know
 * gets an empty name (the SPA shows the sub).
 */
export function mergeView(record: MergeRecord, staff: ReadonlyMap<string, string>, undoable?: boolean) {
  const named = (id: string) => ({ id, name: record.names?.[id] ?? '' });
  return {
    id: record.id,
    primaryId: record.primaryId,
    duplicateIds: record.duplicateIds,
    at: record.at,
    by: record.by,
    byName: staff.get(record.by) ?? '',
    status: STATUS[record.phase],
    primary: named(record.primaryId),
    duplicates: record.duplicateIds.map(named),
    filled: record.filled ?? [],
    movedItems: record.movedItems ?? 0,
    completedAt: record.completedAt ?? null,
    undoneAt: record.undoneAt ?? null,
    undoneBy: record.undoneBy ?? null,
    undoneByName: record.undoneBy ? (staff.get(record.undoneBy) ?? '') : null,
    ...(record.error ? { error: record.error } : {}),
    ...(undoable !== undefined ? { undoable } : {}),
  };
}

/** Time kept back from the function's own deadline: the step under way, then reading and answering. */
export const ANSWER_MARGIN_MS = 8_000;

/** Where an inline run stops: its budget, or earlier when the function would run out of time first. */
const inlineDeadline = (answerBy = Number.POSITIVE_INFINITY) => Math.min(Date.now() + mergeTiming.inlineBudgetMs, answerBy - ANSWER_MARGIN_MS);

/**
 * `POST /v1/merges`, its body checked by the route's schema
 * (shared/schemas/merge.ts). Checks that the ids name contacts, takes their locks and runs the
 * merge inline for up to `mergeTiming.inlineBudgetMs` (and never past the
 * request's own deadline, `answerBy`): every ordinary merge finishes within
 * the request; a very large history, or a machine too busy to finish in
 * time, answers `running` and resume-merges finishes it within a minute or two.
 */
export async function createMerge({ primaryId, duplicateIds }: MergeRequest, principal: Principal, answerBy?: number) {
  const contacts = await getContacts([primaryId, ...duplicateIds]);
  const found = new Map(contacts.map((c) => [c.id, c]));
  const errors: Record<string, string> = {};
  if (!found.has(primaryId)) errors.primaryId = 'no contact has this id';
  duplicateIds.forEach((id, i) => {
    if (!found.has(id)) errors[`duplicateIds.${i}`] = 'no contact has this id';
  });
  if (Object.keys(errors).length) throw new ValidationError(errors);
  // Blocks hold (API.md): merging a blocked contact away would unblock the person; only an admin may, and the result stays blocked.
  if (duplicateIds.some((id) => found.get(id)!.blocked) && !can(principal.role, 'administer')) {
    throw new ForbiddenError('A merge with a blocked contact among the duplicates is for admins.');
  }

  const owner = newOwner();
  const record = newMergeRecord({
    id: ulid(),
    primaryId,
    duplicateIds,
    names: Object.fromEntries(contacts.map((c) => [c.id, displayName(c as unknown as Record<string, unknown>) || c.phone || c.email || ''])),
    at: new Date().toISOString(),
    by: principal.sub,
    early: switchCount(duplicateIds.map((id) => found.get(id)! as unknown as Record<string, unknown>)),
    marked: 0,
    leaseOwner: owner,
    leaseUntil: Date.now() + mergeTiming.leaseMs,
  });
  const outcome = await transact([
    { kind: 'put', item: toRaw(toItem(record)), condition: notExists },
    { kind: 'put', item: toRaw(activeItem(record.id)) },
    // Late duplicates (beyond what one switch holds) are locked by the merge's first steps.
    ...lockOps(record.id, [primaryId, ...earlyDuplicates(record)]),
  ]);
  if (!outcome.ok) throw new ConflictError('One of these contacts is part of a merge or undo that is still running; try again in a moment.');
  try {
    await drive(record.id, owner, inlineDeadline(answerBy));
  } catch (error) {
    if (error instanceof MergeInvalid) throw new ConflictError(error.message);
    throw error;
  }
  return (await mergeViews([(await getMergeRecord(record.id))!]))[0];
}

/** Whether each merge can still be undone: completed, and its primary still a contact (not deleted, not merged away). */
async function undoability(records: MergeRecord[]): Promise<Map<string, boolean>> {
  const completed = records.filter((r) => r.phase === 'completed');
  const primaries = await getManyRaw(completed.map((r) => contactKey(r.primaryId)));
  return new Map(records.map((r) => [r.id, r.phase === 'completed' && primaries.get(keyId(contactKey(r.primaryId)))?.type?.S === 'contact']));
}

export async function undoMerge(id: string, principal: Principal, answerBy?: number) {
  const record = await getMergeRecord(id);
  if (!record) throw new NotFoundError('merge');
  if (record.phase === 'undone' || record.phase === 'undoing' || record.phase === 'undoPreparing') throw new ConflictError('This merge has already been undone.');
  if (record.phase !== 'completed') throw new ConflictError(record.phase === 'failed' ? 'This merge did not happen; there is nothing to undo.' : 'This merge is still running; undo it once it has completed.');
  if (!(await undoability([record])).get(id)) {
    throw new ConflictError('The primary contact was deleted or merged into another contact since; undo that merge first.');
  }
  const owner = newOwner();
  if (!(await acquireLease(id, owner, ['completed']))) throw new ConflictError('This merge is being undone right now.');
  try {
    await drive(id, owner, inlineDeadline(answerBy), { sub: principal.sub });
  } catch (error) {
    if (error instanceof MergeInvalid) throw new ConflictError(error.message);
    throw error;
  }
  return (await mergeViews([(await getMergeRecord(id))!], new Map([[id, false]])))[0];
}

/** Views of merges, with the staff who merged and undid them named by one directory lookup. */
async function mergeViews(records: MergeRecord[], undoable?: ReadonlyMap<string, boolean>) {
  const staff = await userNames(records.flatMap((r) => (r.undoneBy ? [r.by, r.undoneBy] : [r.by])));
  return records.map((r) => mergeView(r, staff, undoable?.get(r.id)));
}

export async function listMerges(query: { limit: number; cursor?: string }) {
  const page = await mergeRecordsPage(query);
  const undoable = await undoability(page.items);
  return { items: await mergeViews(page.items, new Map(page.items.map((r) => [r.id, undoable.get(r.id) ?? false]))), cursor: page.cursor };
}

/**
 * `GET /v1/merges/{id}`. Merge history is for admins (API.md roles); an
 * operator reads only a merge they started or undid, which is what the
 * SPA follows while one runs. Anyone else's is a 404, as an unknown id.
 */
export async function getMerge(id: string, principal: Principal) {
  const record = await getMergeRecord(id);
  const own = record && [record.by, record.undoBy, record.undoneBy].includes(principal.sub);
  if (!record || !(own || can(principal.role, 'administer'))) throw new NotFoundError('merge');
  return (await mergeViews([record], await undoability([record])))[0];
}
