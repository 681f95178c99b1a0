import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { METRIC, type MetricName } from '../../functions/lib/metric-names.js';
import { onMetrics, type MetricCounts } from '../../functions/lib/metrics.js';
import { createApiKey } from '../support/events.js';
import { useLocalStack, usersOf } from '../support/api-suite.js';
import { createContact } from '../support/factories.js';

/**
 * The business metrics the dashboard and alarms read, as the real handlers
 * emit them on the local stack (published only in Lambda; a listener sees
 * every emission here).
 */
const stack = useLocalStack();
const { operator } = usersOf(stack);
let emitted: MetricCounts[] = [];
let stopListening: () => void;

beforeAll(() => {
  stopListening = onMetrics((counts) => emitted.push(counts));
});
afterEach(() => {
  emitted = [];
});
afterAll(() => {
  stopListening?.();
});

const total = (name: MetricName) => emitted.reduce((sum, counts) => sum + (counts[name] ?? 0), 0);
const newContactId = async () => (await createContact(operator())).id;

describe('business metrics', () => {
  it('count the events a call accepted, found duplicate and rejected, in one emission', async () => {
    const apiKey = (await createApiKey(stack.api))!;
    const contactId = await newContactId();
    const sent = { type: 'message.status', contactId, messageId: 'metrics-m1', channel: 'sms', status: 'sent', at: new Date(Date.now() - 60_000).toISOString() };
    const events = [
      { ...sent, id: 'metrics-e1' },
      { ...sent, id: 'metrics-e2', status: 'delivered' },
      { ...sent, id: 'metrics-e1' },
      { ...sent, id: 'metrics-e3', channel: 'pigeon' },
    ];
    const response = await stack.api.call('POST', '/v1/events', { body: { events }, headers: { 'x-api-key': apiKey } });
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ accepted: 2, duplicates: 1 });
    expect(emitted).toContainEqual({ [METRIC.eventsAccepted]: 2, [METRIC.eventsDuplicate]: 1, [METRIC.eventsRejected]: 1 });

    await stack.drain();
    expect(total(METRIC.streamRecordsProcessed)).toBeGreaterThan(0);
    expect(total(METRIC.streamRecordsFailed)).toBe(0);
    expect(total(METRIC.counterWrites)).toBeGreaterThan(0);
  });

  it('count job rows and the job that succeeded', async () => {
    const ids = [await newContactId(), await newContactId(), await newContactId()];
    const created = await operator().post('/v1/jobs', { type: 'delete-contacts', contactIds: ids });
    expect(created.status).toBe(202);
    await stack.idleJobs();
    expect(total(METRIC.jobRows)).toBe(3);
    expect(total(METRIC.jobRowsFailed)).toBe(0);
    expect(total(METRIC.jobsSucceeded)).toBe(1);
    expect(total(METRIC.jobsFailed)).toBe(0);
  });

  it('count a merge with its duplicates, and its undo', async () => {
    const [primaryId, duplicateId] = [await newContactId(), await newContactId()];
    const merge = await operator().post('/v1/merges', { primaryId, duplicateIds: [duplicateId] });
    expect(merge.status).toBe(201);
    expect(emitted).toContainEqual({ [METRIC.merges]: 1, [METRIC.mergedDuplicates]: 1 });
    const undo = await operator().post(`/v1/merges/${merge.body.id}/undo`);
    expect(undo.status).toBeLessThan(300);
    expect(total(METRIC.mergesUndone)).toBe(1);
  });
});
