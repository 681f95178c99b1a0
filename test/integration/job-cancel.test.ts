import { describe, expect, it } from 'vitest';
import { createJob } from '../../functions/jobs/job-service.js';
import { jobTuning } from '../../functions/jobs/job-runner.js';
import { NAMED_DELETE_LIMIT } from '../../shared/api-routes.js';
import { useLocalStack, usersOf } from '../support/api-suite.js';
import { createContacts } from '../support/factories.js';
import { useJobTuning } from '../support/job-tuning.js';

/** API.md "Jobs": `POST /v1/jobs/{id}/cancel`, and the operator's limit on a delete job. */
const stack = useLocalStack();
const { operator, agent, admin } = usersOf(stack);
useJobTuning();

const listOf = async (name: string) => (await operator().post('/v1/lists', { name })).body as { id: string };
const count = async (kind: 'lists' | 'tags', id: string) => {
  const r = await agent().get(`/v1/${kind}/${id}`);
  return kind === 'lists' ? r.body.memberCount : r.body.contactCount;
};
/** Every contact of a list, through the API's pages. */
async function listMembers(listId: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; body: any } = await agent().get(`/v1/lists/${listId}/contacts?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(page.status).toBe(200);
    ids.push(...page.body.items.map((c: { id: string }) => c.id));
    cursor = page.body.cursor;
  } while (cursor);
  return ids;
}

/**
 * The job once it has ended. On a busy machine an inline run can pause and
 * hand over more than once, so this waits for the end itself (running the
 * resume schedule, as the timer would), not just for the worker to go idle.
 */
async function finished(id: string) {
  for (const until = Date.now() + 240_000; ; ) {
    await stack.idleJobs();
    const job = (await agent().get(`/v1/jobs/${id}`)).body;
    if ((job.status !== 'queued' && job.status !== 'running') || Date.now() > until) return job;
    await new Promise((resolve) => setTimeout(resolve, 250));
    await stack.runSchedule('resume-jobs');
  }
}

describe('POST /v1/jobs/{id}/cancel', () => {
  it('stops a delete job in the middle: what it deleted stays deleted, the rest remain, counts exact', async () => {
    const n = 3000;
    const list = await listOf('Cancel midway');
    const rows = Array.from({ length: n }, (_, i) => `Cancel${i},+55 21 9${String(5000_0000 + i).padStart(8, '0')}`);
    const imported = await operator().post('/v1/jobs', { type: 'import-contacts', fileName: 'cancel.csv', csv: ['firstName,phone', ...rows].join('\n'), listId: list.id, onDuplicate: 'create' });
    expect(imported.status).toBe(202);
    expect(await finished(imported.body.id)).toMatchObject({ status: 'succeeded', processed: n });
    // Every tenth contact carries a tag, so the tag's count is checked across the deleted and the kept part.
    const tagged = (await listMembers(list.id)).filter((_, i) => i % 10 === 0);
    const tag = (await operator().post('/v1/jobs', { type: 'tag-contacts', contactIds: tagged, tagName: 'CancelTag' })).body;
    expect(await finished(tag.id)).toMatchObject({ status: 'succeeded', processed: tagged.length });
    const tagId = (await agent().get(`/v1/jobs/${tag.id}`)).body.tagId as string;
    expect(await count('lists', list.id)).toBe(n);
    expect(await count('tags', tagId)).toBe(tagged.length);

    jobTuning.deleteChunk = 100;
    const started = await admin().post('/v1/jobs', { type: 'delete-contacts', filter: { list: list.id } });
    expect(started.status).toBe(202);
    const id = started.body.id as string;
    // Waits until the job is well under way, then cancels.
    for (const until = Date.now() + 120_000; Date.now() < until; ) {
      const job = (await agent().get(`/v1/jobs/${id}`)).body;
      if (job.processed >= 300) break;
      expect(job.status).not.toBe('succeeded');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // An operator may not cancel what only an admin may start.
    expect((await operator().post(`/v1/jobs/${id}/cancel`)).status).toBe(403);
    const cancelled = await admin().post(`/v1/jobs/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id, type: 'delete-contacts', status: 'cancelled' });

    const after = await finished(id);
    expect(after).toMatchObject({ status: 'cancelled', finishedAt: expect.any(String) });
    expect(after.processed).toBe(cancelled.body.processed);
    expect(after.processed).toBeGreaterThanOrEqual(300);
    expect(after.processed).toBeLessThan(n);
    // Nothing more happens later: the job stays as it stopped.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await stack.runSchedule('resume-jobs');
    await stack.idleJobs();
    expect((await agent().get(`/v1/jobs/${id}`)).body).toMatchObject({ status: 'cancelled', processed: after.processed });

    const remaining = await listMembers(list.id);
    expect(remaining.length).toBe(n - after.processed);
    expect(await count('lists', list.id)).toBe(remaining.length);
    const kept = new Set(remaining);
    expect(await count('tags', tagId)).toBe(tagged.filter((id) => kept.has(id)).length);
    expect(tagged.filter((id) => kept.has(id)).length).toBeLessThan(tagged.length);
    for (const gone of tagged.filter((id) => !kept.has(id)).slice(0, 20)) expect((await agent().get(`/v1/contacts/${gone}`)).status).toBe(404);
    for (const contactId of remaining.slice(0, 20)) expect((await agent().get(`/v1/contacts/${contactId}`)).status).toBe(200);

    // A finished job cannot be cancelled again.
    const again = await admin().post(`/v1/jobs/${id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  }, 600_000);

  it('ends a queued job at once; 404 for an unknown job, 409 for a finished one, 403 for agents', async () => {
    const ids = await createContacts(operator(), 3, { email: undefined });
    const job = await createJob({ type: 'delete-contacts', contactIds: ids }, { sub: 'otto', name: 'otto', role: 'operator' }, { start: false });
    expect((await agent().post(`/v1/jobs/${job.id}/cancel`)).status).toBe(403);
    const cancelled = await operator().post(`/v1/jobs/${job.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id: job.id, status: 'cancelled', processed: 0 });
    // The worker that was to start it finds it finished and does nothing.
    const { handler: worker } = await import('../../functions/jobs/run-job-worker.js');
    const { lambdaContext } = await import('../../infra/local/http-host.js');
    expect(await worker({ jobId: job.id, token: job.leaseOwner }, lambdaContext('late', 60_000))).toMatchObject({ result: 'busy' });
    for (const id of ids) expect((await agent().get(`/v1/contacts/${id}`)).status).toBe(200);

    expect((await operator().post('/v1/jobs/nope/cancel')).status).toBe(404);
    const done = await operator().post('/v1/jobs', { type: 'delete-contacts', contactIds: [ids[0]] });
    expect(await finished(done.body.id)).toMatchObject({ status: 'succeeded' });
    const late = await operator().post(`/v1/jobs/${done.body.id}/cancel`);
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('conflict');
  }, 300_000);
});

describe('an operator\'s delete job', () => {
  it(`names at most ${NAMED_DELETE_LIMIT} contacts; more, all or a filter is for admins`, async () => {
    await stack.idleJobs();
    const many = Array.from({ length: NAMED_DELETE_LIMIT + 1 }, (_, i) => `missing-${i}`);
    const before = (await agent().get('/v1/jobs?limit=100')).body.items.length;
    const refused = await operator().post('/v1/jobs', { type: 'delete-contacts', contactIds: many });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect((await operator().post('/v1/jobs', { type: 'delete-contacts', all: true })).status).toBe(403);
    expect((await operator().post('/v1/jobs', { type: 'delete-contacts', filter: { blocked: true } })).status).toBe(403);
    expect((await agent().get('/v1/jobs?limit=100')).body.items.length).toBe(before);

    const atLimit = await operator().post('/v1/jobs', { type: 'delete-contacts', contactIds: many.slice(0, NAMED_DELETE_LIMIT) });
    expect(atLimit.status).toBe(202);
    expect(await finished(atLimit.body.id)).toMatchObject({ status: 'succeeded', total: NAMED_DELETE_LIMIT });
    const byAdmin = await admin().post('/v1/jobs', { type: 'delete-contacts', contactIds: many });
    expect(byAdmin.status).toBe(202);
    await finished(byAdmin.body.id);
  }, 300_000);
});
