import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { encodeTime } from 'ulid';
import { ddb, tableName } from '../lib/dynamo.js';
import { cancellationCodes, isConditionFailure } from '../lib/errors.js';
import { transact, tryUpdate } from '../lib/dynamo-batch.js';
import { gsi, jobKey } from './keys.js';
import { queryAll, queryIndexPage, type Item, type Page } from './query.js';

/**
 * A background job (functions/jobs): `JOB#<id>` / `#META`, type `job`, in
 * byType under `JOB`, newest first (ids are ULIDs). The item carries the
 * progress, the lease and the heartbeat; the updates below are the lease
 * protocol of functions/jobs/job-runner.ts and scheduled/resume-jobs.ts.
 */
export const JOB_TYPE = 'job';
const JOB_PARTITION = 'JOB';
export { jobKey };

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface JobError {
  /** Spreadsheet row number (the header is row 1) for imports. */
  row?: number;
  message: string;
  fields?: Record<string, string>;
}

/** A file the job produced (exports), kept in the blob store. */
export interface JobOutput {
  key: string;
  fileName: string;
  contentType: string;
}

/**
 * A background job as stored on its item. `state` is the handler's own
 * progress (cursor, offsets, a planned chunk); `step` counts committed
 * steps so that only the lease holder, and only once, commits each step.
 */
export interface JobRecord {
  id: string;
  jobType: string;
  status: JobStatus;
  total: number | null;
  processed: number;
  failed: number;
  errors: JobError[];
  /** Every error, including those beyond the ones kept in `errors`. */
  errorCount: number;
  params: Record<string, unknown>;
  state?: Record<string, unknown>;
  step: number;
  summary?: Record<string, number>;
  output?: JobOutput;
  /** Why the job failed, when it did. */
  message?: string;
  leaseOwner?: string;
  /** Epoch ms; a running job whose lease ran out is resumed by the resume-jobs schedule. */
  leaseUntil?: number;
  heartbeatAt?: string;
  resumes: number;
  stalls: number;
  resumeStep?: number;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  createdBy?: string;
  fileName?: string;
  /** Epoch ms a cancel was asked for (`POST /v1/jobs/{id}/cancel`); the lease holder ends the job after its step. */
  cancelRequested?: number;
}

/** At most this many errors are kept on the item (its size is capped at 400 KB); `errorCount` has them all. */
export const MAX_STORED_ERRORS = 500;
/** Finished jobs expire (DynamoDB TTL) after this long. */
const FINISHED_JOB_TTL_DAYS = 30;
/** Jobs older than this are never resumed (and no longer looked at by resume-jobs). */
const ACTIVE_WINDOW_MS = 7 * 86_400_000;

const ITEM_ONLY = ['pk', 'sk', 'type', 'gsi1pk', 'gsi1sk', 'expiresAt'];

export const toJobItem = (job: JobRecord): Item => ({ ...jobKey(job.id), type: JOB_TYPE, ...job, ...gsi.byType(JOB_PARTITION, job.id) });

export function fromJobItem(item: Item): JobRecord {
  const record: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) if (!ITEM_ONLY.includes(key)) record[key] = value;
  return record as unknown as JobRecord;
}

export async function putNewJob(job: JobRecord): Promise<void> {
  await ddb().send(new PutCommand({ TableName: tableName(), Item: toJobItem(job), ConditionExpression: 'attribute_not_exists(pk)' }));
}

export async function getJob(id: string, consistent = false): Promise<JobRecord | undefined> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: jobKey(id), ConsistentRead: consistent }));
  return Item && Item.type === JOB_TYPE ? fromJobItem(Item) : undefined;
}

/** Recent jobs, newest first; `onlyTypes` keeps those job types (a filter, so a page may hold fewer than `limit`). */
export async function jobsPage(page: { limit: number; cursor?: string }, onlyTypes?: readonly string[]): Promise<Page<JobRecord>> {
  const filter = onlyTypes && {
    FilterExpression: `jobType IN (${onlyTypes.map((_, i) => `:j${i}`).join(', ')})`,
    ExpressionAttributeValues: Object.fromEntries(onlyTypes.map((t, i) => [`:j${i}`, t])),
  };
  const result = await queryIndexPage({ index: 'byType', partition: JOB_PARTITION, limit: page.limit, cursor: page.cursor, filter });
  return { items: result.items.map(fromJobItem), cursor: result.cursor };
}

/**
 * Queued and running jobs of the last week. Job ids are ULIDs, so the
 * byType index's sort key bounds the read to recent jobs: the cost follows
 * the number of recent jobs, never the whole history.
 */
export async function activeJobs(now = Date.now()): Promise<JobRecord[]> {
  const since = `${encodeTime(now - ACTIVE_WINDOW_MS, 10)}${'0'.repeat(16)}`;
  const items = await queryAll({
    index: 'byType',
    partition: JOB_PARTITION,
    // Every ULID from `since` on sorts below '~'.
    sortBetween: [since, '~'],
    newestFirst: false,
    filter: {
      FilterExpression: '#status IN (:queued, :running)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':queued': 'queued', ':running': 'running' },
    },
  });
  return items.map(fromJobItem);
}

/**
 * Takes the job's lease: only when the job is unfinished and nobody holds a
 * live lease, or when the caller brings the token it was started with.
 * Returns the job as it was before (its `leaseOwner` tells whether the last
 * worker stopped without handing over).
 */
export async function acquireLease(id: string, owner: string, leaseMs: number, token?: string, now = Date.now()): Promise<JobRecord | undefined> {
  const iso = new Date(now).toISOString();
  try {
    const out = await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: jobKey(id),
        UpdateExpression: 'SET #leaseOwner = :me, #leaseUntil = :until, #heartbeatAt = :iso, #updatedAt = :iso, #status = :running, #startedAt = if_not_exists(#startedAt, :iso)',
        ConditionExpression:
          'attribute_exists(pk) AND #status IN (:queued, :running) AND (attribute_not_exists(#leaseOwner) OR #leaseUntil < :now' + (token ? ' OR #leaseOwner = :token)' : ')'),
        ExpressionAttributeNames: {
          '#status': 'status',
          '#leaseOwner': 'leaseOwner',
          '#leaseUntil': 'leaseUntil',
          '#heartbeatAt': 'heartbeatAt',
          '#updatedAt': 'updatedAt',
          '#startedAt': 'startedAt',
        },
        ExpressionAttributeValues: {
          ':me': owner,
          ':until': now + leaseMs,
          ':iso': iso,
          ':running': 'running',
          ':queued': 'queued',
          ':now': now,
          ...(token ? { ':token': token } : {}),
        },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return out.Attributes ? fromJobItem(out.Attributes) : undefined;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/**
 * Hands the lease to a placeholder owner (the token the next worker will
 * bring) for `graceMs`: the next worker takes it at once, and if the
 * invocation never comes, resume-jobs takes over when the grace ends.
 */
export function handOverLease(id: string, owner: string, token: string, graceMs: number, now = Date.now()): Promise<boolean> {
  return tryUpdate({
    Key: jobKey(id),
    UpdateExpression: 'SET #leaseOwner = :token, #leaseUntil = :until',
    ConditionExpression: '#leaseOwner = :me',
    ExpressionAttributeNames: { '#leaseOwner': 'leaseOwner', '#leaseUntil': 'leaseUntil' },
    ExpressionAttributeValues: { ':token': token, ':until': now + graceMs, ':me': owner },
  });
}

export interface CounterUpdate {
  key: { pk: string; sk: string };
  attribute: string;
  delta: number;
}

/**
 * Commits one step: the job's new progress, and any counter changes that
 * belong to the step, in one transaction. The condition on the lease owner
 * and the step number makes each step count exactly once even if a stalled
 * worker wakes up after another took over. Returns false when the lease is lost.
 */
export async function commitStep(job: JobRecord, owner: string, next: JobRecord, counters: CounterUpdate[] = [], leaseMs: number, now = Date.now()): Promise<boolean> {
  const iso = new Date(now).toISOString();
  const finished = next.status === 'succeeded' || next.status === 'failed';
  // Every attribute goes through a name placeholder: several (status, state, total...) are reserved words.
  const names: Record<string, string> = { '#step': 'step', '#leaseOwner': 'leaseOwner' };
  const values: Record<string, unknown> = { ':me': owner, ':step': job.step, ':nextStep': job.step + 1 };
  const set: string[] = ['#step = :nextStep'];
  const assign = (attribute: string, value: unknown) => {
    names[`#${attribute}`] = attribute;
    values[`:${attribute}`] = value;
    set.push(`#${attribute} = :${attribute}`);
  };
  assign('status', next.status);
  assign('state', next.state ?? {});
  assign('total', next.total);
  assign('processed', next.processed);
  assign('failed', next.failed);
  assign('errors', next.errors);
  assign('errorCount', next.errorCount);
  assign('updatedAt', iso);
  assign('heartbeatAt', iso);
  for (const optional of ['summary', 'output', 'message'] as const) if (next[optional] !== undefined) assign(optional, next[optional]);
  let remove = '';
  if (finished) {
    assign('finishedAt', iso);
    assign('expiresAt', Math.floor(now / 1000) + FINISHED_JOB_TTL_DAYS * 86_400);
    names['#leaseUntil'] = 'leaseUntil';
    remove = ' REMOVE #leaseOwner, #leaseUntil';
  } else {
    assign('leaseUntil', now + leaseMs);
  }
  const update = {
    TableName: tableName(),
    Key: jobKey(job.id),
    UpdateExpression: `SET ${set.join(', ')}${remove}`,
    ConditionExpression: '#leaseOwner = :me AND #step = :step',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
  try {
    if (counters.length === 0) await ddb().send(new UpdateCommand(update));
    else
      await transact([
        { Update: update },
        ...counters.map((c) => ({
          Update: {
            TableName: tableName(),
            Key: c.key,
            UpdateExpression: 'ADD #c :d',
            // A counter on an entity deleted meanwhile is not recreated as a bare item.
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#c': c.attribute },
            ExpressionAttributeValues: { ':d': c.delta },
          },
        })),
      ]);
    return true;
  } catch (error) {
    const codes = cancellationCodes(error);
    if (codes.length > 0 && codes[0] !== 'ConditionalCheckFailed' && codes.slice(1).includes('ConditionalCheckFailed')) {
      // Only a counted entity is gone: commit the progress alone.
      return commitStep(job, owner, next, [], leaseMs, now);
    }
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Updates a job only while it is stopped: unfinished, no live lease, and
 * still at the step the caller saw (so overlapping resume-jobs runs act once).
 */
function updateStoppedJob(job: JobRecord, now: number, update: { set: string; names: Record<string, string>; values: Record<string, unknown> }): Promise<boolean> {
  return tryUpdate({
    Key: jobKey(job.id),
    UpdateExpression: update.set,
    ConditionExpression: '#status IN (:queued, :running) AND #step = :step AND (attribute_not_exists(#leaseUntil) OR #leaseUntil < :now)',
    ExpressionAttributeNames: { '#status': 'status', '#step': 'step', '#leaseOwner': 'leaseOwner', '#leaseUntil': 'leaseUntil', ...update.names },
    ExpressionAttributeValues: { ':step': job.step, ':now': now, ':queued': 'queued', ':running': 'running', ...update.values },
  });
}

/**
 * resume-jobs' claim on a stopped job: puts a resume token in the lease so
 * a single resume run starts it, and counts stalls (resumes without a step
 * committed in between). Returns false when someone else got there first.
 */
export function claimForResume(job: JobRecord, token: string, graceMs: number, now = Date.now()): Promise<boolean> {
  return updateStoppedJob(job, now, {
    set: 'SET #leaseOwner = :token, #leaseUntil = :until, #resumes = #resumes + :one, #stalls = :stalls, #resumeStep = :step',
    names: { '#resumes': 'resumes', '#stalls': 'stalls', '#resumeStep': 'resumeStep' },
    values: { ':token': token, ':until': now + graceMs, ':one': 1, ':stalls': job.resumeStep === job.step ? (job.stalls ?? 0) + 1 : 0 },
  });
}

/** Ends a stopped job as failed (resume-jobs gives up on a job that keeps stalling). */
export function failStoppedJob(job: JobRecord, message: string, now = Date.now()): Promise<boolean> {
  return updateStoppedJob(job, now, {
    set: 'SET #status = :failed, #message = :message, #finishedAt = :iso, #updatedAt = :iso, #expiresAt = :expires REMOVE #leaseOwner, #leaseUntil',
    names: { '#message': 'message', '#finishedAt': 'finishedAt', '#updatedAt': 'updatedAt', '#expiresAt': 'expiresAt' },
    values: { ':failed': 'failed', ':message': message, ':iso': new Date(now).toISOString(), ':expires': Math.floor(now / 1000) + FINISHED_JOB_TTL_DAYS * 86_400 },
  });
}

const finishedValues = (now: number) => ({ ':iso': new Date(now).toISOString(), ':expires': Math.floor(now / 1000) + FINISHED_JOB_TTL_DAYS * 86_400, ':cancelled': 'cancelled' });
const FINISH_CANCELLED = 'SET #status = :cancelled, #finishedAt = :iso, #updatedAt = :iso, #expiresAt = :expires REMOVE #leaseOwner, #leaseUntil';
const FINISH_NAMES = { '#status': 'status', '#finishedAt': 'finishedAt', '#updatedAt': 'updatedAt', '#expiresAt': 'expiresAt', '#leaseOwner': 'leaseOwner', '#leaseUntil': 'leaseUntil' };

/**
 * Asks an unfinished job to stop (marks `cancelRequested`), then ends it at
 * once when no worker is inside a step (queued, handed over, or stopped).
 * Returns false when the job is already finished (or does not exist).
 */
export async function requestCancel(id: string, now = Date.now()): Promise<boolean> {
  const asked = await tryUpdate({
    Key: jobKey(id),
    UpdateExpression: 'SET #cancelRequested = if_not_exists(#cancelRequested, :now), #updatedAt = :iso',
    ConditionExpression: 'attribute_exists(pk) AND #status IN (:queued, :running)',
    ExpressionAttributeNames: { '#status': 'status', '#cancelRequested': 'cancelRequested', '#updatedAt': 'updatedAt' },
    ExpressionAttributeValues: { ':now': now, ':iso': new Date(now).toISOString(), ':queued': 'queued', ':running': 'running' },
  });
  if (!asked) return false;
  // A "start:"/"handover:"/"resume:" token means the next worker has not taken the job yet; it will find it finished.
  await tryUpdate({
    Key: jobKey(id),
    UpdateExpression: FINISH_CANCELLED,
    ConditionExpression:
      "#status IN (:queued, :running) AND (attribute_not_exists(#leaseOwner) OR #leaseUntil < :now OR begins_with(#leaseOwner, :start) OR begins_with(#leaseOwner, :handover) OR begins_with(#leaseOwner, :resume))",
    ExpressionAttributeNames: FINISH_NAMES,
    ExpressionAttributeValues: { ...finishedValues(now), ':now': now, ':queued': 'queued', ':running': 'running', ':start': 'start:', ':handover': 'handover:', ':resume': 'resume:' },
  });
  return true;
}

/** The lease holder ends its job as cancelled (after the step it was in committed). */
export function finishCancelled(id: string, owner: string, now = Date.now()): Promise<boolean> {
  return tryUpdate({
    Key: jobKey(id),
    UpdateExpression: FINISH_CANCELLED,
    ConditionExpression: '#leaseOwner = :me',
    ExpressionAttributeNames: FINISH_NAMES,
    ExpressionAttributeValues: { ...finishedValues(now), ':me': owner },
  });
}
