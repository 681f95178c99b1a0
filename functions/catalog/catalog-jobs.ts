import { assignedContactsFrom, catalogMembersFrom, clearContactRef, contactIdOfMember, deleteCatalogMember, membershipsFrom, renameContactRef, renameMembership, unassignContact, type RefKind } from '../data/catalog-member.js';
import { getCatalogEntity, type CatalogKind } from '../data/catalog-entity.js';
import type { Item } from '../data/query.js';
import { sleep } from '../lib/backoff.js';
import { batchWriteAll } from '../lib/dynamo-batch.js';
import { inParallel } from '../lib/concurrency.js';
import { jobTiming, jobTuning, type JobType } from '../jobs/job-runner.js';

/**
 * Background fan-outs of catalog changes: a rename or a delete of a list,
 * tag, company, department or agent changes one item at once (the request
 * answers) and then every item that copies it (membership names, the
 * company/department on contacts, assignments). They run as jobs: chunked,
 * resumable, and each write conditioned so a redo or a late pass changes
 * nothing twice.
 */
export interface FanOutParams {
  kind: CatalogKind;
  id: string;
  name?: string;
  /** Members expected (the count on the entity), for the progress bar. */
  expected?: number;
  /** For agents: whether the directory entry was an agent or a group (assignments are keyed by both). */
  agentKind?: 'agent' | 'group';
}

interface FanOutState {
  cursor?: Item;
  pass: number;
  changedInPass: number;
  nextPassAt?: number;
}

interface FanOut {
  /** Reads a chunk of the items that copy the entity, from `start` on. */
  read(params: FanOutParams, start: Item | undefined, limit: number): Promise<{ items: Item[]; next: Item | undefined }>;
  /** True when `read` goes through a secondary index (eventually consistent, so a verification pass follows). */
  viaIndex: boolean;
  /** False when a newer change superseded this one (a second rename): the newer job does the work. */
  stillWanted?(params: FanOutParams): Promise<boolean>;
  /** Applies the change to a chunk of items; returns how many actually changed. */
  apply(items: Item[], params: FanOutParams): Promise<number>;
}

/** An `apply` that changes the items one at a time (several in flight) and counts those that changed. */
const each =
  (change: (item: Item, params: FanOutParams) => Promise<boolean>) =>
  async (items: Item[], params: FanOutParams): Promise<number> => {
    let changed = 0;
    await inParallel(items, jobTuning.concurrency, async (item) => {
      if (await change(item, params)) changed++;
    });
    return changed;
  };

const refKind = (params: FanOutParams) => params.kind as RefKind;

async function nameIsCurrent(params: FanOutParams): Promise<boolean> {
  const entity = await getCatalogEntity(params.kind, params.id);
  return !!entity && entity.name === params.name;
}

const memberships = { viaIndex: true, read: (params: FanOutParams, start: Item | undefined, limit: number) => membershipsFrom({ kind: params.kind as 'list' | 'tag', id: params.id }, start, limit) };
const catalogMembers = { viaIndex: false, read: (params: FanOutParams, start: Item | undefined, limit: number) => catalogMembersFrom(refKind(params), params.id, start, limit) };

const renameMemberships: FanOut = { ...memberships, stillWanted: nameIsCurrent, apply: each((item, params) => renameMembership(item, params.name!)) };

/** The list or tag is gone: its memberships go, without counts to keep. */
const purgeMemberships: FanOut = {
  ...memberships,
  async apply(items) {
    await batchWriteAll(items.map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } })), jobTuning.concurrency);
    return items.length;
  },
};

/** Contacts copy their company/department as `{id, name}`. */
const renameOnContacts: FanOut = {
  ...catalogMembers,
  stillWanted: nameIsCurrent,
  apply: each((item, params) => renameContactRef(contactIdOfMember(item), refKind(params), params.id, params.name!)),
};

const removeFromContacts: FanOut = {
  ...catalogMembers,
  apply: each(async (item, params) => {
    const changed = await clearContactRef(contactIdOfMember(item), refKind(params), params.id);
    await deleteCatalogMember(refKind(params), params.id, contactIdOfMember(item));
    return changed;
  }),
};

const unassign: FanOut = {
  viaIndex: true,
  read: (params, start, limit) => assignedContactsFrom({ type: params.agentKind ?? 'agent', id: params.id }, start, limit),
  apply: each((item, params) => unassignContact(item, params.id)),
};

function fanOutJob(name: string, fanOut: FanOut): JobType {
  return {
    name,
    async step({ job }) {
      const params = job.params as unknown as FanOutParams;
      const state = (job.state as unknown as FanOutState | undefined) ?? { pass: 0, changedInPass: 0 };
      const handled = job.processed;
      if (fanOut.stillWanted && !(await fanOut.stillWanted(params))) return { state: { ...state }, total: handled, done: true };
      if (state.nextPassAt && state.nextPassAt > Date.now()) await sleep(state.nextPassAt - Date.now());
      const page = await fanOut.read(params, state.cursor, jobTuning.fanoutChunk);
      const changed = page.items.length ? await fanOut.apply(page.items, params) : 0;
      const total = params.expected !== undefined && state.pass === 0 ? Math.max(params.expected, handled + changed) : undefined;
      if (page.next) return { state: { pass: state.pass, changedInPass: state.changedInPass + changed, cursor: page.next }, processed: changed, total };
      const passChanged = state.changedInPass + changed;
      // A pass over a secondary index that changed something is followed by one that finds nothing left.
      const again = fanOut.viaIndex && passChanged > 0 && state.pass < 2;
      if (!again) return { state: { pass: state.pass, changedInPass: passChanged }, processed: changed, total: handled + changed, done: true };
      return { state: { pass: state.pass + 1, changedInPass: 0, nextPassAt: Date.now() + jobTiming.settleMs }, processed: changed, total };
    },
  };
}

export const catalogJobTypes: JobType[] = [
  fanOutJob('rename-list', renameMemberships),
  fanOutJob('rename-tag', renameMemberships),
  fanOutJob('purge-list', purgeMemberships),
  fanOutJob('purge-tag', purgeMemberships),
  fanOutJob('rename-company', renameOnContacts),
  fanOutJob('rename-department', renameOnContacts),
  fanOutJob('remove-company', removeFromContacts),
  fanOutJob('remove-department', removeFromContacts),
  fanOutJob('unassign-agent', unassign),
];
