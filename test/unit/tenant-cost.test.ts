import { describe, expect, it } from 'vitest';
import { tenantMonthlyCost, US_EAST_1_PRICES, type Measured, type StackShape, type Workload } from '../../bench/lib/cost.js';

/** Round figures, so every line below can be checked by hand. */
const measured: Measured = {
  event: { readUnits: 2, writeUnits: 4 },
  contactCreate: { readUnits: 1, writeUnits: 10 },
  profileRead: { readUnits: 2.5, writeUnits: 0 },
  contactPage: { readUnits: 5, writeUnits: 0 },
  analyticsPanel: { readUnits: 3, writeUnits: 0 },
  importRow: { readUnits: 1, writeUnits: 6 },
  deletedContact: { readUnits: 2, writeUnits: 8 },
  ingestMsPerEvent: 2,
  streamMsPerEvent: 3,
  importMsPerRow: 0.5,
  deleteMsPerRow: 2,
  staffRequestMs: 20,
};
const workload: Workload = {
  contacts: 100_000,
  eventsPerDay: 10_000,
  eventsPerCall: 25,
  contactMessageShare: 0.1,
  staff: 10,
  staffRequestsPerDay: 100,
  workingDays: 20,
  contactsCreated: 1_000,
  importedRows: 5_000,
  deletedContacts: 1_000,
  // 100,000 contacts x 10.48576 KB = exactly 1 GB (2^20 KB).
  kbPerContact: 10.48576,
  reconcileReadUnitsPerContact: 1,
  logKbPerRequest: 1,
  logKbPerInvocation: 0.5,
  spaMbPerStaffDay: 1.024,
};
const shape: StackShape = { functions: 14, customMetrics: 10, alarmMetrics: 30, scheduleInvocations: 100_000, scheduleMs: 100, memoryGb: 1 };

describe('tenantMonthlyCost', () => {
  const cost = tenantMonthlyCost(measured, workload, shape, US_EAST_1_PRICES);
  const line = (service: string) => {
    const found = cost.lines.find((l) => l.service.startsWith(service));
    expect(found, service).toBeDefined();
    return found!.usd;
  };

  it('prices DynamoDB request units: every operation times its units, plus the nightly reconciliation reads', () => {
    // 300,000 events; staff 20,000 requests = 10,000 profiles, 8,000 pages, 2,000 panels.
    // writes: 300,000x4 + 1,000x10 + 5,000x6 + 1,000x8 = 1,248,000
    // reads: 300,000x2 + 1,000x1 + 10,000x2.5 + 8,000x5 + 2,000x3 + 5,000x1 + 1,000x2 + 100,000x1x30 = 3,679,000
    expect(line('DynamoDB requests')).toBeCloseTo(1.248 * 0.625 + 3.679 * 0.125, 9);
  });

  it('prices storage and point-in-time recovery per GB', () => {
    expect(line('DynamoDB storage')).toBeCloseTo(1 * (0.25 + 0.2), 9);
  });

  it('prices Lambda by GB-second and invocation', () => {
    // invocations: 12,000 event calls + 20,000 staff requests + 12,000 stream batches + 100,000 schedule ticks = 144,000
    // ms: 300,000x(2+3) + 20,000x20 + 5,000x0.5 + 1,000x2 + 100,000x100 = 11,904,500 -> 11,904.5 GB-s at 1 GB
    expect(line('Lambda')).toBeCloseTo(11_904.5 * 0.0000133334 + 0.144 * 0.2, 9);
  });

  it('prices API requests: event calls and staff requests', () => {
    expect(line('API Gateway')).toBeCloseTo(0.032 * 1.0, 9);
  });

  it('prices CloudWatch: logs, custom metrics, alarm metrics and the dashboard', () => {
    // logs: 32,000 requests x 1 KB + 112,000 other invocations x 0.5 KB = 88,000 KB
    expect(line('CloudWatch')).toBeCloseTo((88_000 / 1_048_576) * (0.5 + 0.03) + 10 * 0.3 + 30 * 0.1 + 3, 9);
  });

  it('prices Comprehend at 3 units per contact message', () => {
    expect(line('Comprehend')).toBeCloseTo(300_000 * 0.1 * 3 * 0.0001, 9);
  });

  it('prices Cognito per staff member, and the key, the secret and the SPA delivery', () => {
    expect(line('Cognito')).toBeCloseTo(10 * 0.02, 9);
    // SPA: 10 staff x 20 days x 1.024 MB = 0.2 GB; 4,000 requests
    expect(line('KMS')).toBeCloseTo(1 + 0.4 + 0.2 * 0.085 + 0.4 * 0.01, 9);
  });

  it('adds the lines up', () => {
    expect(cost.total).toBeCloseTo(21.574881830, 8);
    expect(cost.total).toBeCloseTo(cost.lines.reduce((sum, l) => sum + l.usd, 0), 9);
  });
});
