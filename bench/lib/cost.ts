/**
 * What one tenant's stack costs a month on AWS, from measured figures and
 * list prices. Pure: bench/cost.ts reads the figures and prints the table;
 * test/unit/tenant-cost.test.ts checks it against hand-computed numbers.
 */

/** Request units per operation (bench/capacity.json), each with the stream work it sets off. */
export interface UnitsPerOperation {
  readonly readUnits: number;
  readonly writeUnits: number;
}

export interface Measured {
  /** One integration event, posted in calls as a platform sends them, stream work included. */
  readonly event: UnitsPerOperation;
  readonly contactCreate: UnitsPerOperation;
  readonly profileRead: UnitsPerOperation;
  readonly contactPage: UnitsPerOperation;
  readonly analyticsPanel: UnitsPerOperation;
  readonly importRow: UnitsPerOperation;
  readonly deletedContact: UnitsPerOperation;
  /** Function time per event: ingestion and the stream processor (bench/results.json rates). */
  readonly ingestMsPerEvent: number;
  readonly streamMsPerEvent: number;
  /** Worker time per imported row and per deleted contact (bench/results.json rates). */
  readonly importMsPerRow: number;
  readonly deleteMsPerRow: number;
  /** Function time of a staff request (bench/results.json soak median). */
  readonly staffRequestMs: number;
}

/** List prices, USD. */
export interface Prices {
  readonly region: string;
  readonly asOf: string;
  readonly dynamoWritePerMillion: number;
  readonly dynamoReadPerMillion: number;
  readonly dynamoStoragePerGbMonth: number;
  readonly dynamoPitrPerGbMonth: number;
  /** arm64 */
  readonly lambdaPerGbSecond: number;
  readonly lambdaPerMillionRequests: number;
  readonly httpApiPerMillionRequests: number;
  readonly logsIngestionPerGb: number;
  readonly logsStoragePerGbMonth: number;
  readonly customMetricPerMonth: number;
  /** Standard resolution; metric-math alarms pay for each metric they read. */
  readonly alarmMetricPerMonth: number;
  readonly dashboardPerMonth: number;
  readonly kmsKeyPerMonth: number;
  readonly secretPerMonth: number;
  /** Cognito user pools, Plus tier (the stack turns on threat protection). */
  readonly cognitoPlusPerMau: number;
  /** Comprehend sentiment: per 100-character unit, 3 units at least per document. */
  readonly comprehendPerUnit: number;
  readonly cloudFrontPerGb: number;
  readonly cloudFrontPer10kRequests: number;
}

/**
 * us-east-1 on-demand list prices as published by AWS in 2025 (DynamoDB
 * after its November 2024 on-demand price cut), written down from memory:
 * this machine has no internet, so they were not checked against the live
 * pricing pages. Free tiers are left out.
 */
export const US_EAST_1_PRICES: Prices = {
  region: 'us-east-1',
  asOf: '2025 list prices (not re-checked online)',
  dynamoWritePerMillion: 0.625,
  dynamoReadPerMillion: 0.125,
  dynamoStoragePerGbMonth: 0.25,
  dynamoPitrPerGbMonth: 0.2,
  lambdaPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  httpApiPerMillionRequests: 1.0,
  logsIngestionPerGb: 0.5,
  logsStoragePerGbMonth: 0.03,
  customMetricPerMonth: 0.3,
  alarmMetricPerMonth: 0.1,
  dashboardPerMonth: 3.0,
  kmsKeyPerMonth: 1.0,
  secretPerMonth: 0.4,
  cognitoPlusPerMau: 0.02,
  comprehendPerUnit: 0.0001,
  cloudFrontPerGb: 0.085,
  cloudFrontPer10kRequests: 0.01,
};

/** What a tenant of a given size does in a month; every figure is an assumption, stated in the README. */
export interface Workload {
  readonly contacts: number;
  readonly eventsPerDay: number;
  /** Events per `POST /v1/events` call. */
  readonly eventsPerCall: number;
  /** Share of events that are a contact's own conversation message (scored by Comprehend). */
  readonly contactMessageShare: number;
  /** Staff who sign in during the month (Cognito MAU), and their API requests per working day each. */
  readonly staff: number;
  readonly staffRequestsPerDay: number;
  readonly workingDays: number;
  /** Contacts created one by one, imported and deleted per month. */
  readonly contactsCreated: number;
  readonly importedRows: number;
  readonly deletedContacts: number;
  /** Table size per contact, indexes included (profile, memberships, counters, a year of history). */
  readonly kbPerContact: number;
  /** The nightly reconciliation reads every contact's collection: read units per contact per run. */
  readonly reconcileReadUnitsPerContact: number;
  /** Log bytes per API request (access log, EMF line, application lines) and per other invocation. */
  readonly logKbPerRequest: number;
  readonly logKbPerInvocation: number;
  /** SPA bytes a staff member downloads per working day (assets mostly cached). */
  readonly spaMbPerStaffDay: number;
}

/** The stack's fixed monitoring and scheduling shape (infra/): the same for every size. */
export interface StackShape {
  readonly functions: number;
  /** Metrics the functions emit (functions/lib/metric-names.ts) and alarm metrics (metric math counted per metric). */
  readonly customMetrics: number;
  readonly alarmMetrics: number;
  /** Schedule invocations a month and their function time each (ms). */
  readonly scheduleInvocations: number;
  readonly scheduleMs: number;
  /** Function memory (GB): every function has 1,024 MB. */
  readonly memoryGb: number;
}

export interface CostLine {
  readonly service: string;
  readonly usd: number;
  readonly detail: string;
}

export interface TenantCost {
  readonly lines: CostLine[];
  readonly total: number;
}

const DAYS = 30;
const M = 1_000_000;
const KB_PER_GB = 1024 * 1024;

/** The monthly bill of one tenant: one line per service. */
export function tenantMonthlyCost(measured: Measured, workload: Workload, shape: StackShape, prices: Prices): TenantCost {
  const events = workload.eventsPerDay * DAYS;
  const eventCalls = events / workload.eventsPerCall;
  const staffRequests = workload.staff * workload.staffRequestsPerDay * workload.workingDays;
  // Staff traffic: half profile reads, 40% contact base pages, 10% the analytics panel.
  const profiles = staffRequests * 0.5;
  const pages = staffRequests * 0.4;
  const panels = staffRequests * 0.1;
  const reconcileReads = workload.contacts * workload.reconcileReadUnitsPerContact * DAYS;
  const operations: [number, UnitsPerOperation][] = [
    [events, measured.event],
    [workload.contactsCreated, measured.contactCreate],
    [profiles, measured.profileRead],
    [pages, measured.contactPage],
    [panels, measured.analyticsPanel],
    [workload.importedRows, measured.importRow],
    [workload.deletedContacts, measured.deletedContact],
  ];
  const writeUnits = operations.reduce((sum, [count, units]) => sum + count * units.writeUnits, 0);
  const readUnits = operations.reduce((sum, [count, units]) => sum + count * units.readUnits, 0) + reconcileReads;
  const tableGb = (workload.contacts * workload.kbPerContact) / KB_PER_GB;

  // Each event call's records reach the stream function in one batch or so: one invocation per call.
  const apiRequests = eventCalls + staffRequests;
  const invocations = apiRequests + eventCalls + shape.scheduleInvocations;
  const functionMs =
    events * (measured.ingestMsPerEvent + measured.streamMsPerEvent) +
    staffRequests * measured.staffRequestMs +
    workload.importedRows * measured.importMsPerRow +
    workload.deletedContacts * measured.deleteMsPerRow +
    shape.scheduleInvocations * shape.scheduleMs;
  const gbSeconds = (functionMs / 1000) * shape.memoryGb;
  const logGb = (apiRequests * workload.logKbPerRequest + (invocations - apiRequests) * workload.logKbPerInvocation) / KB_PER_GB;
  const comprehendUnits = events * workload.contactMessageShare * 3;
  const spaGb = (workload.staff * workload.workingDays * workload.spaMbPerStaffDay) / 1024;
  const spaRequests = workload.staff * workload.workingDays * 20;

  const fmt = (n: number) => (n >= M ? `${round(n / M, 2)}M` : n >= 1000 ? `${round(n / 1000, 1)}k` : `${round(n, 1)}`);
  const lines: CostLine[] = [
    {
      service: 'DynamoDB requests',
      usd: (writeUnits / M) * prices.dynamoWritePerMillion + (readUnits / M) * prices.dynamoReadPerMillion,
      detail: `${fmt(writeUnits)} write units, ${fmt(readUnits)} read units`,
    },
    {
      service: 'DynamoDB storage and PITR',
      usd: tableGb * (prices.dynamoStoragePerGbMonth + prices.dynamoPitrPerGbMonth),
      detail: `${round(tableGb, 2)} GB`,
    },
    {
      service: 'Lambda',
      usd: gbSeconds * prices.lambdaPerGbSecond + (invocations / M) * prices.lambdaPerMillionRequests,
      detail: `${fmt(invocations)} invocations, ${fmt(gbSeconds)} GB-s`,
    },
    { service: 'API Gateway (HTTP API)', usd: (apiRequests / M) * prices.httpApiPerMillionRequests, detail: `${fmt(apiRequests)} requests` },
    {
      service: 'CloudWatch (logs, metrics, alarms, dashboard)',
      usd:
        logGb * (prices.logsIngestionPerGb + prices.logsStoragePerGbMonth) +
        shape.customMetrics * prices.customMetricPerMonth +
        shape.alarmMetrics * prices.alarmMetricPerMonth +
        prices.dashboardPerMonth,
      detail: `${round(logGb, 2)} GB logs, ${shape.customMetrics} metrics, ${shape.alarmMetrics} alarm metrics, 1 dashboard`,
    },
    { service: 'Comprehend (sentiment)', usd: comprehendUnits * prices.comprehendPerUnit, detail: `${fmt(comprehendUnits / 3)} contact messages` },
    { service: 'Cognito (Plus)', usd: workload.staff * prices.cognitoPlusPerMau, detail: `${workload.staff} staff` },
    {
      service: 'KMS, Secrets Manager, CloudFront',
      usd: prices.kmsKeyPerMonth + prices.secretPerMonth + spaGb * prices.cloudFrontPerGb + (spaRequests / 10_000) * prices.cloudFrontPer10kRequests,
      detail: `1 key, 1 secret, ${round(spaGb, 2)} GB of SPA`,
    },
  ];
  return { lines, total: lines.reduce((sum, line) => sum + line.usd, 0) };
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
