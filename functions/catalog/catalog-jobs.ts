import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../lib/dynamo.js';
import { CATALOG_MEMBER_PREFIX, catalogMemberKey, contactKey } from '../data/keys.js';
import { INDEXES, type IndexName } from '../data/table-schema.js';
import { batchWriteAll, tryUpdate } from '../lib/dynamo-batch.js';
import { inParallel } from '../lib/concurrency.js';
import { jobTiming, jobTuning, type JobType } from '../jobs/job-runner.js';
import { getCatalogEntity, type CatalogKind } from './catalog-repository.js';

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
  cursor?: Record<string, unknown>;
  pass: number;
  changedInPass: number;
  nextPassAt?: number;
}

interface FanOut {
  name: string;
  /** Where the members are: a secondary index (eventually consistent, so a verification pass follows) or the entity's own collection. */
  source(params: FanOutParams): { index?: IndexName; partition: string; sortPrefix?: string };
  /** False when a newer change superseded this one (a second rename): the newer job does the work. */
  stillWanted?(params: FanOutParams): Promise<boolean>;
  /** Applies the change to a page of member items; returns how many actually changed. */
  apply(items: Record<string, unknown>[], params: FanOutParams): Promise<number>;
}

const KIND_FIELD: Partial<Record<CatalogKind, 'company' | 'department'>> = { company: 'company', department: 'department' };

async function countChanged(items: Record<string, unknown>[], change: (item: Record<string, unknown>) => Promise<boolean>): Promise<number> {
  let changed = 0;
  await inParallel(items, jobTuning.concurrency, async (item) => {
    if (await change(item)) changed++;
  });
  return changed;
}

async function nameIsCurrent(params: FanOutParams): Promise<boolean> {
  const entity = await getCatalogEntity(params.kind, params.id);
  return !!entity && entity.name === params.name;
}

const membershipSource = (params: FanOutParams) => ({ index: 'byMember' as const, partition: `${params.kind.toUpperCase()}#${params.id}` });
const catalogMemberSource = (params: FanOutParams) => ({
  partition: catalogMemberKey(KIND_FIELD[params.kind]!, params.id, '').pk,
  sortPrefix: CATALOG_MEMBER_PREFIX,
});
const contactIdOfMember = (item: Record<string, unknown>) => String(item.sk).slice(CATALOG_MEMBER_PREFIX.length);

const renameMemberships: FanOut = {
  name: 'rename-memberships',
  source: membershipSource,
  stillWanted: nameIsCurrent,
  apply: (items, params) =>
    countChanged(items, (item) =>
      tryUpdate({
        Key: { pk: item.pk, sk: item.sk },
        UpdateExpression: 'SET #n = :n',
        ConditionExpression: 'attribute_exists(pk) AND #n <> :n',
        ExpressionAttributeNames: { '#n': 'name' },
        ExpressionAttributeValues: { ':n': params.name },
      }),
    ),
};

const purgeMemberships: FanOut = {
  name: 'purge-memberships',
  source: membershipSource,
  async apply(items) {
    await batchWriteAll(items.map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } })), jobTuning.concurrency);
    return items.length;
  },
};

/** Contacts copy their company/department as `{id, name}`; `version` moves so a concurrent edit re-reads. */
const renameOnContacts: FanOut = {
  name: 'rename-on-contacts',
  source: catalogMemberSource,
  stillWanted: nameIsCurrent,
  apply: (items, params) =>
    countChanged(items, (item) =>
      tryUpdate({
        Key: contactKey(contactIdOfMember(item)),
        UpdateExpression: 'SET #c.#n = :n ADD version :one',
        ConditionExpression: '#c.id = :id AND #c.#n <> :n',
        ExpressionAttributeNames: { '#c': KIND_FIELD[params.kind]!, '#n': 'name' },
        ExpressionAttributeValues: { ':n': params.name, ':id': params.id, ':one': 1 },
      }),
    ),
};

const removeFromContacts: FanOut = {
  name: 'remove-from-contacts',
  source: catalogMemberSource,
  apply: (items, params) =>
    countChanged(items, async (item) => {
      const changed = await tryUpdate({
        Key: contactKey(contactIdOfMember(item)),
        UpdateExpression: 'REMOVE #c ADD version :one',
        ConditionExpression: '#c.id = :id',
        ExpressionAttributeNames: { '#c': KIND_FIELD[params.kind]! },
        ExpressionAttributeValues: { ':id': params.id, ':one': 1 },
      });
      await ddb().send(new DeleteCommand({ TableName: tableName(), Key: { pk: item.pk, sk: item.sk } }));
      return changed;
    }),
};

const unassign: FanOut = {
  name: 'unassign',
  source: (params) => ({ index: 'byAssignee', partition: `ASSIGNEE#${params.agentKind ?? 'agent'}#${params.id}` }),
  apply: (items, params) =>
    countChanged(items, (item) =>
      tryUpdate({
        Key: { pk: item.pk, sk: item.sk },
        UpdateExpression: 'REMOVE #a, gsi8pk, gsi8sk ADD version :one',
        ConditionExpression: '#a.id = :id',
        ExpressionAttributeNames: { '#a': 'assignee' },
        ExpressionAttributeValues: { ':id': params.id, ':one': 1 },
      }),
    ),
};

function fanOutJob(name: string, fanOut: FanOut): JobType {
  return {
    name,
    async step({ job }) {
      const params = job.params as unknown as FanOutParams;
      const state = (job.state as unknown as FanOutState | undefined) ?? { pass: 0, changedInPass: 0 };
      const handled = job.processed;
      if (fanOut.stillWanted && !(await fanOut.stillWanted(params))) return { state: { ...state }, total: handled, done: true };
      if (state.nextPassAt && state.nextPassAt > Date.now()) await new Promise((r) => setTimeout(r, state.nextPassAt! - Date.now()));
      const source = fanOut.source(params);
      const index = source.index ? INDEXES[source.index] : undefined;
      const partitionKey = index?.partitionKey ?? 'pk';
      const page = await ddb().send(
        new QueryCommand({
          TableName: tableName(),
          IndexName: index?.name,
          KeyConditionExpression: `${partitionKey} = :p${source.sortPrefix ? ' AND begins_with(sk, :s)' : ''}`,
          ExpressionAttributeValues: { ':p': source.partition, ...(source.sortPrefix ? { ':s': source.sortPrefix } : {}) },
          ConsistentRead: index ? undefined : true,
          Limit: jobTuning.fanoutChunk,
          ExclusiveStartKey: state.cursor,
        }),
      );
      const items = page.Items ?? [];
      const changed = items.length ? await fanOut.apply(items, params) : 0;
      const total = params.expected !== undefined && state.pass === 0 ? Math.max(params.expected, handled + changed) : undefined;
      if (page.LastEvaluatedKey) {
        return { state: { pass: state.pass, changedInPass: state.changedInPass + changed, cursor: page.LastEvaluatedKey }, processed: changed, total };
      }
      const passChanged = state.changedInPass + changed;
      // A pass over a secondary index that changed something is followed by one that finds nothing left.
      const again = !!index && passChanged > 0 && state.pass < 2;
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
