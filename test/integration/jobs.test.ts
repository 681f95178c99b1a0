import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { ddb, setDdbClient, tableName } from '../../functions/lib/dynamo.js';
import { jobKey } from '../../functions/data/keys.js';
import { createJob } from '../../functions/jobs/job-service.js';
import { getJob } from '../../functions/data/job.js';
import { jobTuning } from '../../functions/jobs/job-runner.js';
import { handler as worker } from '../../functions/jobs/run-job-worker.js';
import { lambdaContext } from '../../infra/local/http-host.js';
import { useLocalStack, usersOf } from '../support/api-suite.js';
import { createContacts, expectFieldErrors } from '../support/factories.js';
import { useJobTuning } from '../support/job-tuning.js';

const stack = useLocalStack();
const { operator, agent, admin } = usersOf(stack);
useJobTuning();
afterEach(() => {
  setDdbClient(undefined);
});

/** `n` new contacts with a phone and no email, as the jobs here need no more. */
const contacts = (n: number, fields: Record<string, unknown> = {}) => createContacts(operator(), n, { email: undefined, ...fields });

async function finished(id: string) {
  await stack.idleJobs();
  const job = await agent().get(`/v1/jobs/${id}`);
  expect(job.status).toBe(200);
  return job.body;
}

const listOf = async (name: string) => (await operator().post('/v1/lists', { name })).body as { id: string };
const addAll = (ids: string[], listId: string) => Promise.all(ids.map((id) => operator().put(`/v1/contacts/${id}/lists/${listId}`)));
const count = async (kind: 'lists' | 'tags', id: string) => {
  const r = await agent().get(`/v1/${kind}/${id}`);
  return kind === 'lists' ? r.body.memberCount : r.body.contactCount;
};

describe('POST /v1/jobs', () => {
  it('validates the request per type and writes nothing on rejection', async () => {
    const before = (await agent().get('/v1/jobs?limit=100')).body.items.length;
    const cases: [unknown, Record<string, string>][] = [
      [{ type: 'nope' }, { type: 'must be one of delete-contacts, restore-contacts, import-contacts, export-contacts, tag-contacts, add-to-list' }],
      [[], { body: 'must be a JSON object' }],
      [{ type: 'delete-contacts' }, { contactIds: 'give contactIds, a filter, or all: true' }],
      [{ type: 'delete-contacts', contactIds: [] }, { contactIds: 'must be a non-empty array of contact ids' }],
      [{ type: 'delete-contacts', contactIds: ['a'], all: true }, { all: 'give one of contactIds, filter or all' }],
      [{ type: 'export-contacts', filter: { band: 'huge' } }, { 'filter.band': 'must be one of none, low, high, very_high' }],
      [{ type: 'export-contacts', filter: { colour: 'red' } }, { 'filter.colour': 'unknown field' }],
      [{ type: 'tag-contacts', contactIds: ['a'] }, { tagName: 'give tagName or tagId' }],
      [{ type: 'tag-contacts', contactIds: ['a'], tagId: 'missing' }, { tagId: 'no tag has this id' }],
      [{ type: 'add-to-list', contactIds: ['a'], listId: 'missing' }, { listId: 'no list has this id' }],
      [{ type: 'import-contacts', csv: 'phone\n1' }, { fileName: 'is required' }],
      [
        { type: 'import-contacts', fileName: 'a.csv', csv: 'phone,"name\n1,2' },
        { csv: 'The file is not valid CSV (near line 2): Quote Not Closed: the parsing is finished with an opening quote at line 2' },
      ],
      [{ type: 'import-contacts', fileName: 'a.csv', csv: 'phone,name\n' }, { csv: 'has no rows under the header' }],
      [{ type: 'import-contacts', fileName: 'a.csv', csv: 'phone\n1', onDuplicate: 'merge' }, { onDuplicate: 'must be update, skip or create' }],
      [{ type: 'import-contacts', fileName: 'a.csv', csv: 'phone\n1', mapping: { Celular: 'phone' } }, { 'mapping.Celular': 'no column has this header' }],
      [
        { type: 'import-contacts', fileName: 'a.csv', csv: 'cel\n1', mapping: { cel: 'telephone' } },
        { 'mapping.cel': 'must be a contact field (firstName, lastName, phone, email, country, language, company, companyId, department, departmentId), "customFields.<key>" or "ignore"' },
      ],
    ];
    for (const [body, fields] of cases) expectFieldErrors(await operator().post('/v1/jobs', body), fields);
    expect((await agent().get('/v1/jobs?limit=100')).body.items.length).toBe(before);
    expect((await agent().get('/v1/tags?q=zzz-never')).body.items).toEqual([]);
  });

  it('lets agents read jobs but not start them; delete-all and filter deletes are admin only', async () => {
    expect((await agent().post('/v1/jobs', { type: 'export-contacts' })).status).toBe(403);
    expect((await operator().post('/v1/jobs', { type: 'delete-contacts', all: true })).status).toBe(403);
    expect((await operator().post('/v1/jobs', { type: 'delete-contacts', filter: { blocked: true } })).status).toBe(403);
    expect((await stack.api.call('GET', '/v1/jobs')).status).toBe(401);
    expect((await agent().get('/v1/jobs/nope')).status).toBe(404);
  });
});

describe('bulk delete', () => {
  it('deletes selected contacts in chunks; list and tag counts drop exactly', async () => {
    jobTuning.deleteChunk = 3;
    const list = await listOf('Bulk delete');
    const ids = await contacts(8);
    const doomed = ids.slice(0, 5);
    await addAll(ids, list.id);
    const tag = (await operator().post(`/v1/contacts/${ids[3]}/tags`, { name: 'BulkTag' })).body;
    await Promise.all(ids.slice(4, 7).map((id) => operator().post(`/v1/contacts/${id}/tags`, { name: 'BulkTag' })));
    expect(await count('lists', list.id)).toBe(8);
    expect(await count('tags', tag.id)).toBe(4);

    const created = await operator().post('/v1/jobs', { type: 'delete-contacts', contactIds: [...doomed, doomed[0], 'never-existed'] });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ id: expect.any(String), type: 'delete-contacts', status: 'queued', total: 6, processed: 0, failed: 0, errors: [] });
    const job = await finished(created.body.id);
    expect(job).toMatchObject({ status: 'succeeded', total: 6, processed: 6, failed: 0, errors: [] });
    expect(await count('lists', list.id)).toBe(3);
    expect(await count('tags', tag.id)).toBe(2);
    for (const id of doomed) expect((await agent().get(`/v1/contacts/${id}`)).status).toBe(404);
    for (const id of ids.slice(5)) expect((await agent().get(`/v1/contacts/${id}`)).status).toBe(200);
    const recent = await agent().get('/v1/jobs?limit=5');
    expect(recent.body.items[0].id).toBe(created.body.id);
  });

  it('deletes every contact (admin), with exact counts and an empty base afterwards', async () => {
    jobTuning.deleteChunk = 7;
    const list = await listOf('Delete all');
    const ids = await contacts(12);
    await addAll(ids.slice(0, 5), list.id);
    const total = (await agent().get('/v1/contacts?limit=100')).body.items.length;
    const created = await admin().post('/v1/jobs', { type: 'delete-contacts', all: true });
    expect(created.status).toBe(202);
    const job = await finished(created.body.id);
    expect(job).toMatchObject({ status: 'succeeded', processed: total, total, failed: 0 });
    expect((await agent().get('/v1/contacts?limit=100')).body.items).toEqual([]);
    expect(await count('lists', list.id)).toBe(0);
  });

  it('plans a chunk over several pages of a filter and deletes exactly its contacts', async () => {
    jobTuning.selectionPage = 4;
    jobTuning.deleteChunk = 10;
    const list = await listOf('Paged delete');
    const ids = await contacts(13);
    const kept = await contacts(2);
    await addAll(ids, list.id);
    const job = await finished((await admin().post('/v1/jobs', { type: 'delete-contacts', filter: { list: list.id } })).body.id);
    expect(job).toMatchObject({ status: 'succeeded', total: 13, processed: 13, failed: 0 });
    expect(await count('lists', list.id)).toBe(0);
    for (const id of ids) expect((await agent().get(`/v1/contacts/${id}`)).status).toBe(404);
    for (const id of kept) expect((await agent().get(`/v1/contacts/${id}`)).status).toBe(200);
  });
});

describe('import steps', () => {
  it('end at their time budget, and the next step takes the rows from there with exact counts', async () => {
    jobTuning.importStepMs = 0;
    jobTuning.importSlice = 4;
    const list = await listOf('Stepped import');
    const rows = Array.from({ length: 10 }, (_, i) => `Step${i},step.${i}@jobs.example`);
    const created = await operator().post('/v1/jobs', { type: 'import-contacts', fileName: 'stepped.csv', csv: ['firstName,email', ...rows].join('\n'), listId: list.id });
    expect(created.status).toBe(202);
    const job = await finished(created.body.id);
    expect(job).toMatchObject({ status: 'succeeded', total: 10, processed: 10, failed: 0, summary: { created: 10, updated: 0, skipped: 0 } });
    // One slice per step once the budget is spent: 4, 4 and 2 rows.
    expect((await getJob(created.body.id))?.step).toBe(3);
    expect(await count('lists', list.id)).toBe(10);
    for (const i of [0, 4, 9]) expect((await agent().get(`/v1/contacts?q=step.${i}@jobs.example`)).body.items).toHaveLength(1);
  });
});

describe('bulk tag and list', () => {
  it('tags a filter and adds selected contacts to a list, creating the tag by name', async () => {
    const list = await listOf('Selected');
    const blocked = await contacts(3);
    await Promise.all(blocked.map((id) => operator().post(`/v1/contacts/${id}/block`)));
    const others = await contacts(2);
    const tagged = await operator().post('/v1/jobs', { type: 'tag-contacts', tagName: 'Bloqueados', filter: { blocked: true } });
    expect(tagged.status).toBe(202);
    const tagJob = await finished(tagged.body.id);
    expect(tagJob).toMatchObject({ status: 'succeeded', processed: 3, failed: 0 });
    expect(await count('tags', tagJob.tagId)).toBe(3);
    const again = await finished((await operator().post('/v1/jobs', { type: 'tag-contacts', tagId: tagJob.tagId, contactIds: [...blocked, others[0]] })).body.id);
    expect(again.processed).toBe(4);
    expect(await count('tags', tagJob.tagId)).toBe(4);

    const added = await finished((await operator().post('/v1/jobs', { type: 'add-to-list', listId: list.id, contactIds: [...others, 'gone'] })).body.id);
    expect(added).toMatchObject({ status: 'succeeded', processed: 2, failed: 1, total: 3 });
    expect(added.errors[0].message).toMatch(/gone/);
    expect(await count('lists', list.id)).toBe(2);
  });
});

describe('export', () => {
  it('exports a filter to CSV, downloadable when ready', async () => {
    const list = await listOf('Export me');
    const ids = await contacts(3, { lastName: 'Exportado', customFields: { plano: 'Pro' } });
    await operator().patch(`/v1/contacts/${ids[0]}`, { firstName: '=HYPERLINK("x")' });
    await addAll(ids, list.id);
    await contacts(2);
    const created = await operator().post('/v1/jobs', { type: 'export-contacts', filter: { list: list.id } });
    expect(created.status).toBe(202);
    await finished(created.body.id);
    const job = (await operator().get(`/v1/jobs/${created.body.id}`)).body;
    expect(job).toMatchObject({ status: 'succeeded', total: 3, processed: 3 });
    expect(job.downloadUrl).toBe(`/v1/jobs/${job.id}/download`);
    const file = await operator().get(job.downloadUrl);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toMatch(/text\/csv/);
    expect(file.headers.get('content-disposition')).toMatch(/attachment; filename="contacts-\d{4}-\d\d-\d\d\.csv"/);
    const lines = String(file.body).trim().split('\n');
    expect(lines[0]).toBe('id,firstName,lastName,phone,email,country,language,company,department,assignee,originType,originLabel,blocked,band,createdAt,updatedAt,plano');
    expect(lines).toHaveLength(4);
    expect(lines.slice(1).map((l) => l.split(',')[0]).sort()).toEqual([...ids].sort());
    expect(lines.every((l, i) => i === 0 || (l.includes('Exportado') && l.endsWith(',Pro')))).toBe(true);
    expect(file.body).toContain(`"'=HYPERLINK(""x"")"`);
  });

  it('answers 409 for the download of a job without a file', async () => {
    const ids = await contacts(1);
    const job = await finished((await operator().post('/v1/jobs', { type: 'delete-contacts', contactIds: ids })).body.id);
    expect((await operator().get(`/v1/jobs/${job.id}/download`)).status).toBe(409);
  });

  it('gives the file only to roles that may export: agents get no downloadUrl and a 403 for the download', async () => {
    const created = await operator().post('/v1/jobs', { type: 'export-contacts' });
    await finished(created.body.id);
    const asAgent = (await agent().get(`/v1/jobs/${created.body.id}`)).body;
    expect(asAgent.status).toBe('succeeded');
    expect(asAgent).not.toHaveProperty('downloadUrl');
    const listed = (await agent().get('/v1/jobs?limit=100')).body.items.find((j: { id: string }) => j.id === created.body.id);
    expect(listed).toBeDefined();
    expect(listed).not.toHaveProperty('downloadUrl');
    const refused = await agent().get(`/v1/jobs/${created.body.id}/download`);
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).not.toContain('firstName');
    for (const role of ['operator', 'admin'] as const) {
      const view = (await stack.api.as(role).get(`/v1/jobs/${created.body.id}`)).body;
      expect(view.downloadUrl, role).toBe(`/v1/jobs/${created.body.id}/download`);
      expect((await stack.api.as(role).get(view.downloadUrl)).status, role).toBe(200);
    }
  });
});

describe('a worker that dies midway', () => {
  /** A Lambda context whose clock "kills" the worker after `steps` steps, leaving its lease behind. */
  const dyingContext = (steps: number) => {
    const context = lambdaContext('dying-worker', 15 * 60_000);
    let calls = 0;
    context.getRemainingTimeInMillis = () => {
      if (calls++ >= steps) throw new Error('worker killed');
      return 15 * 60_000;
    };
    return context;
  };
  /** Fault injection DynamoDB Local cannot produce: the worker dies when it commits a step of this job and `when()` says so. */
  const failCommits = (jobId: string, when: () => boolean) => {
    const real = ddb();
    setDdbClient(
      new Proxy(real, {
        get(target, prop, receiver) {
          if (prop !== 'send') return Reflect.get(target, prop, receiver);
          return async (command: { input?: { Key?: { pk?: string }; UpdateExpression?: string } }) => {
            const input = command.input;
            if (input?.Key?.pk === `JOB#${jobId}` && input.UpdateExpression?.includes('#state = :state') && when()) throw new Error('worker killed before commit');
            return target.send(command as never);
          };
        },
      }),
    );
  };
  const expireLease = (id: string) =>
    ddb().send(new UpdateCommand({ TableName: tableName(), Key: jobKey(id), UpdateExpression: 'SET leaseUntil = :past', ExpressionAttributeValues: { ':past': 0 } }));

  it('is resumed by resume-jobs from its saved progress, and every count stays exact', async () => {
    jobTuning.deleteChunk = 3;
    const list = await listOf('Crash');
    const ids = await contacts(11);
    await addAll(ids, list.id);
    const job = await createJob({ type: 'delete-contacts', contactIds: ids }, { sub: 'ana', name: 'ana', role: 'admin' }, { start: false });
    // Plans chunk 1, deletes it and plans chunk 2, then dies.
    await expect(worker({ jobId: job.id, token: job.leaseOwner }, dyingContext(2))).rejects.toThrow('worker killed');
    const midway = (await agent().get(`/v1/jobs/${job.id}`)).body;
    expect(midway).toMatchObject({ status: 'running', processed: 3 });
    expect(await count('lists', list.id)).toBe(8);

    // While the dead worker's lease is live, nobody else may take the job.
    expect((await stack.runSchedule('resume-jobs')) as { resumed: number }).toMatchObject({ resumed: 0 });
    expect(await worker({ jobId: job.id }, lambdaContext('intruder', 60_000))).toMatchObject({ result: 'busy' });

    await expireLease(job.id);
    expect(await stack.runSchedule('resume-jobs')).toMatchObject({ resumed: 1 });
    const done = await finished(job.id);
    expect(done).toMatchObject({ status: 'succeeded', processed: 11, total: 11, failed: 0 });
    expect(await count('lists', list.id)).toBe(0);
    for (const id of ids) expect((await agent().get(`/v1/contacts/${id}`)).status).toBe(404);
  });

  it('redoes a step whose commit was lost without counting anything twice', async () => {
    jobTuning.deleteChunk = 4;
    const list = await listOf('Lost commit');
    const ids = await contacts(10);
    await addAll(ids, list.id);
    const job = await createJob({ type: 'delete-contacts', contactIds: ids }, { sub: 'ana', name: 'ana', role: 'admin' }, { start: false });
    // The worker deletes chunk 1 and dies right before committing the step that records it.
    let commits = 0;
    failCommits(job.id, () => ++commits === 2);
    await expect(worker({ jobId: job.id, token: job.leaseOwner }, lambdaContext('doomed', 15 * 60_000))).rejects.toThrow('killed before commit');
    setDdbClient(undefined);
    expect((await agent().get(`/v1/jobs/${job.id}`)).body.processed).toBe(0);
    expect(await count('lists', list.id)).toBe(6);

    await expireLease(job.id);
    await stack.runSchedule('resume-jobs');
    const done = await finished(job.id);
    expect(done).toMatchObject({ status: 'succeeded', processed: 10, total: 10 });
    expect(await count('lists', list.id)).toBe(0);
  });

  it('gives a job up when its worker keeps dying without progress', async () => {
    const ids = await contacts(1);
    const job = await createJob({ type: 'delete-contacts', contactIds: ids }, { sub: 'ana', name: 'ana', role: 'admin' }, { start: false });
    failCommits(job.id, () => true);
    for (let run = 0; run < 6; run++) {
      await expireLease(job.id);
      await stack.runSchedule('resume-jobs');
      await stack.idleJobs();
    }
    setDdbClient(undefined);
    const failed = (await agent().get(`/v1/jobs/${job.id}`)).body;
    expect(failed.status).toBe('failed');
    expect(failed.errors.at(-1).message).toMatch(/stopped making progress/);
    expect((await agent().get(`/v1/contacts/${ids[0]}`)).status).toBe(200);
  });
});
