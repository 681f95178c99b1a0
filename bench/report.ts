import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { US_EAST_1_PRICES } from './lib/cost.js';

/** results.json: nested objects of numbers only (`profileRead.p99Ms` is `results.profileRead.p99Ms`). */
export type Results = { [key: string]: number | Results };

/** results.meta.json: when and where the run happened, and why a figure is absent. */
export interface RunMeta {
  date: string;
  machine: string;
  node: string;
  durationS?: number;
  /** key prefix -> reason, e.g. `{"import": "feature missing"}`. */
  missing: Record<string, string>;
  /** key prefix -> error message of a measurement that failed. */
  failed: Record<string, string>;
}

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const RESULTS_FILE = join(BENCH_DIR, 'results.json');
export const META_FILE = join(BENCH_DIR, 'results.meta.json');

export function get(results: Results, path: string): number | undefined {
  let node: number | Results | undefined = results;
  for (const part of path.split('.')) {
    if (node === undefined || typeof node === 'number') return undefined;
    node = node[part];
  }
  return typeof node === 'number' ? node : undefined;
}

export function set(results: Results, path: string, value: number): void {
  const parts = path.split('.');
  let node = results;
  for (const part of parts.slice(0, -1)) {
    const child = node[part];
    if (child === undefined || typeof child === 'number') node[part] = {};
    node = node[part] as Results;
  }
  node[parts.at(-1)!] = value;
}

/** Copies every number of `from` into `into`, keeping what `into` already has elsewhere. */
export function merge(into: Results, from: Results, prefix = ''): void {
  for (const [key, value] of Object.entries(from)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'number') {
      if (Number.isFinite(value)) set(into, path, value);
    } else merge(into, value, path);
  }
}

type Getter = (path: string) => number | undefined;

interface Row {
  what: string;
  goal: string;
  /** The keys the row needs; absent ones make it "n/a". */
  keys: string[];
  show: (v: Getter) => string;
  pass?: (v: Getter) => boolean;
}

const n = (value: number | undefined, digits = 0) =>
  value === undefined ? '?' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (value: number | undefined) => `${n(value, 1)} ms`;
const kb = (value: number | undefined) => `${n(value === undefined ? undefined : value / 1024, 1)} KB`;

/** Where the end-to-end write units go (stream.writeUnitsPerEventBy, bench/measures/stream.ts), the largest first. */
const WRITE_UNIT_KINDS: [string, string][] = [
  ['PutBand', 'band snapshots'],
  ['DeleteBand', 'band snapshots cleared'],
  ['PutActivityState', 'analytics activity states'],
  ['UpdateContact', 'band snapshot on the profile (before issue 19)'],
  ['TransactWriteLane', 'analytics states and lane (before issue 19)'],
  ['PutMessage', 'message states'],
  ['TransactWriteConversation', 'conversation messages with their markers'],
  ['PutConversation', 'conversation states'],
  ['UpdateEngagementDay', 'day counters'],
  ['BatchWriteActiveDay', 'active-day index'],
  ['UpdateAggregate', 'analytics aggregates'],
  ['UpdateEngagementSummary', 'ticket counters'],
];
function writeUnitsByKind(v: Getter): string {
  const parts = WRITE_UNIT_KINDS.map(([key, label]) => ({ label, units: v(`stream.writeUnitsPerEventBy.${key}`) }))
    .filter((p): p is { label: string; units: number } => p.units !== undefined && p.units > 0)
    .sort((a, b) => b.units - a.units);
  return parts.length > 0 ? `; writes by item: ${parts.map((p) => `${p.label} ${n(p.units, 2)}`).join(', ')}` : '';
}

/** The benchmark table: one row per goal of issue 7 (and the figures issues 3 and 4 ask for). */
export const ROWS: Row[] = [
  {
    what: 'DynamoDB requests per profile read',
    goal: '1',
    keys: ['profileRead.ddbRequests'],
    show: (v) => n(v('profileRead.ddbRequests'), 2),
    pass: (v) => v('profileRead.ddbRequests')! <= 1,
  },
  {
    what: 'Profile read p99 over HTTP (20 clients) vs raw Query p99',
    goal: 'ratio <= 1.5',
    keys: ['profileRead.p99Ms', 'rawQuery.p99Ms', 'profileRead.ratio'],
    show: (v) =>
      `${ms(v('profileRead.p99Ms'))} vs ${ms(v('rawQuery.p99Ms'))} = ${n(v('profileRead.ratio'), 2)}x (medians ${ms(v('profileRead.medianMs'))} / ${ms(v('rawQuery.medianMs'))})`,
    pass: (v) => v('profileRead.ratio')! <= 1.5,
  },
  {
    what: 'DynamoDB requests per contact base page',
    goal: '1',
    keys: ['contactPage.ddbRequests'],
    show: (v) =>
      `${n(v('contactPage.ddbRequests'), 2)} (phone lookup ${n(v('contactPage.phoneLookupDdbRequests'), 2)}, email lookup ${n(v('contactPage.emailLookupDdbRequests'), 2)})`,
    pass: (v) => v('contactPage.ddbRequests')! <= 1 && (v('contactPage.phoneLookupDdbRequests') ?? 1) <= 1 && (v('contactPage.emailLookupDdbRequests') ?? 1) <= 1,
  },
  {
    what: 'Events from POST /v1/events to counters',
    goal: '>= 1,000 events/s',
    keys: ['stream.eventsPerSecond'],
    show: (v) =>
      `${n(v('stream.eventsPerSecond'))} events/s, median of ${n(v('stream.rounds') ?? 1)} rounds of ${n(v('stream.events'))} events` +
      (v('stream.eventsPerSecondMin') !== undefined ? ` (${n(v('stream.eventsPerSecondMin'))}-${n(v('stream.eventsPerSecondMax'))})` : '') +
      (v('stream.ingestAloneEventsPerSecond') !== undefined ? `; ingestion alone ${n(v('stream.ingestAloneEventsPerSecond'))}/s` : ''),
    pass: (v) => v('stream.eventsPerSecond')! >= 1000,
  },
  {
    what: 'Ceiling of that rate from DynamoDB Local alone on this machine',
    goal: 'context: the rate cannot pass it',
    keys: ['stream.ceiling.pipeline.eventsPerSecond', 'stream.ceiling.minimal.eventsPerSecond'],
    show: (v) =>
      `${n(v('stream.ceiling.pipeline.eventsPerSecond'))} events/s for the pipeline's ${n(v('stream.ceiling.requestsPerEvent'), 2)} requests per event ` +
      `(${ms(v('stream.ceiling.pipeline.msPerEvent'))} of raw DynamoDB Local time each); ${n(v('stream.ceiling.minimal.eventsPerSecond'))} events/s for a lean design (each event written and read once, batched; one update per counter item)`,
  },
  {
    what: 'End to end vs the lean ceiling of the same run (issue 19)',
    goal: '>= 0.6',
    keys: ['stream.eventsPerSecond', 'stream.ceiling.minimal.eventsPerSecond'],
    show: (v) =>
      `${n(v('stream.eventsPerSecond')! / v('stream.ceiling.minimal.eventsPerSecond')!, 2)} (${n(v('stream.eventsPerSecond'))} / ${n(v('stream.ceiling.minimal.eventsPerSecond'))} events/s)` +
      (v('stream.lean.eventsPerSecond') !== undefined
        ? `; the lean design itself, built end to end here, ${n(v('stream.lean.ratioToOwnCeiling'), 2)} of its own ceiling (${n(v('stream.lean.eventsPerSecond'))} / ${n(v('stream.lean.ceiling.eventsPerSecond'))} events/s)`
        : '') +
      (v('stream.cpuMsPerEvent.endToEnd.node') !== undefined
        ? `; CPU per event end to end ${n(v('stream.cpuMsPerEvent.endToEnd.dynamoLocal'), 2)} ms DynamoDB Local + ${n(v('stream.cpuMsPerEvent.endToEnd.node'), 2)} ms Node` +
          (v('stream.lean.cpuMsPerEvent.node') !== undefined ? ` (lean: ${n(v('stream.lean.cpuMsPerEvent.dynamoLocal'), 2)} + ${n(v('stream.lean.cpuMsPerEvent.node'), 2)})` : '')
        : ''),
    pass: (v) => v('stream.eventsPerSecond')! >= 0.6 * v('stream.ceiling.minimal.eventsPerSecond')!,
  },
  {
    what: 'DynamoDB request units per event, end to end (issue 19)',
    goal: 'writes <= 2.0',
    keys: ['stream.writeUnitsPerEvent', 'stream.readUnitsPerEvent'],
    show: (v) => {
      const [write, read] = [v('stream.writeUnitsPerEvent')!, v('stream.readUnitsPerEvent')!];
      const price = write * US_EAST_1_PRICES.dynamoWritePerMillion + read * US_EAST_1_PRICES.dynamoReadPerMillion;
      return (
        `${n(write, 2)} write, ${n(read, 2)} read = $${n(price, 2)} per million events ` +
        `(${US_EAST_1_PRICES.region} on demand, $${US_EAST_1_PRICES.dynamoWritePerMillion} per million write and $${US_EAST_1_PRICES.dynamoReadPerMillion} per million read units, ${US_EAST_1_PRICES.asOf})` +
        (v('stream.ingestWriteUnitsPerEvent') !== undefined
          ? `; apart, ingestion ${n(v('stream.ingestWriteUnitsPerEvent'), 2)} / ${n(v('stream.ingestReadUnitsPerEvent'), 2)}, processors on a backlog ${n(v('stream.processorWriteUnitsPerEvent'), 2)} / ${n(v('stream.processorReadUnitsPerEvent'), 2)}`
          : '') +
        writeUnitsByKind(v)
      );
    },
    pass: (v) => v('stream.writeUnitsPerEvent')! <= 2,
  },
  {
    what: 'Stream processor alone on a backlog (issue 4)',
    goal: '>= 500 events/s',
    keys: ['stream.processorAloneEventsPerSecond'],
    show: (v) =>
      `${n(v('stream.processorAloneEventsPerSecond'))} events/s, median` +
      (v('stream.processorAloneEventsPerSecondMin') !== undefined ? ` (${n(v('stream.processorAloneEventsPerSecondMin'))}-${n(v('stream.processorAloneEventsPerSecondMax'))})` : ''),
    pass: (v) => v('stream.processorAloneEventsPerSecond')! >= 500,
  },
  {
    what: 'Stream counter writes per batch vs distinct counter items per batch',
    goal: 'writes <= distinct keys',
    keys: ['stream.writesPerBatch', 'stream.distinctKeysPerBatch'],
    show: (v) =>
      `${n(v('stream.writesPerBatch'), 1)} vs ${n(v('stream.distinctKeysPerBatch'), 1)} (worst batch: ${n(v('stream.maxExcessWrites'))} extra; all item writes ${n(v('stream.allWritesPerBatch'), 1)} vs ${n(v('stream.allDistinctKeysPerBatch'), 1)} distinct)`,
    pass: (v) => v('stream.maxExcessWrites')! <= 0,
  },
  {
    what: 'Event visible on the profile (p95)',
    goal: '<= 5 s',
    keys: ['eventVisible.p95Ms'],
    show: (v) => `${ms(v('eventVisible.p95Ms'))} (median ${ms(v('eventVisible.medianMs'))})`,
    pass: (v) => v('eventVisible.p95Ms')! <= 5000,
  },
  {
    what: 'Largest handler bundle (minified) and its import time',
    goal: '<= 300 KB, <= 150 ms',
    keys: ['bundles.maxBytes', 'bundles.maxInitMs'],
    show: (v) => `${kb(v('bundles.maxBytes'))}, ${ms(v('bundles.maxInitMs'))} (slowest import)`,
    pass: (v) => v('bundles.maxBytes')! <= 300 * 1024 && v('bundles.maxInitMs')! <= 150,
  },
  {
    what: '100,000-row CSV import vs raw BatchWriteItem loop',
    goal: 'import >= 70% of raw',
    keys: ['import.rowsPerSecond', 'rawBatchWrite.itemsPerSecond'],
    show: (v) =>
      `${n(v('import.rowsPerSecond'))} rows/s vs ${n(v('rawBatchWrite.itemsPerSecond'))} items/s = ${n((v('import.rowsPerSecond')! / v('rawBatchWrite.itemsPerSecond')!) * 100)}%`,
    pass: (v) => v('import.rowsPerSecond')! >= 0.7 * v('rawBatchWrite.itemsPerSecond')!,
  },
  {
    what: 'Bulk delete of 100,000 contacts (job)',
    goal: 'finishes; counts exact',
    keys: ['bulkDelete.rowsPerSecond'],
    show: (v) => `${n(v('bulkDelete.rowsPerSecond'))} rows/s (${n(v('bulkDelete.rows'))} rows; raw BatchWriteItem delete ${n(v('rawBatchDelete.itemsPerSecond'))} items/s)`,
    pass: (v) => v('bulkDelete.countsExact') === 1,
  },
  {
    what: 'Restore 10,000 contacts from the recycle bin vs delete them (jobs)',
    goal: 'restore >= 50% of delete; counts exact',
    keys: ['restore.rowsPerSecond', 'delete.rowsPerSecond'],
    show: (v) => `${n(v('restore.rowsPerSecond'))} vs ${n(v('delete.rowsPerSecond'))} rows/s = ${n((v('restore.rowsPerSecond')! / v('delete.rowsPerSecond')!) * 100)}%`,
    pass: (v) => v('restore.rowsPerSecond')! >= 0.5 * v('delete.rowsPerSecond')! && v('restore.countsExact') === 1,
  },
  {
    what: 'Analytics panel: DynamoDB requests at 10k / 100k contacts',
    goal: 'equal, <= 10',
    keys: ['analytics.ddbRequests.at10k', 'analytics.ddbRequests.at100k'],
    show: (v) => `${n(v('analytics.ddbRequests.at10k'), 2)} / ${n(v('analytics.ddbRequests.at100k'), 2)}`,
    pass: (v) => v('analytics.ddbRequests.at10k') === v('analytics.ddbRequests.at100k') && v('analytics.ddbRequests.at100k')! <= 10,
  },
  {
    what: 'Analytics panel p99',
    goal: '<= 100 ms',
    keys: ['analytics.p99Ms'],
    show: (v) =>
      `${ms(v('analytics.p99Ms'))} (10k: median ${ms(v('analytics.at10k.medianMs'))}, p99 ${ms(v('analytics.at10k.p99Ms'))}; 100k: median ${ms(v('analytics.at100k.medianMs'))}, p99 ${ms(v('analytics.at100k.p99Ms'))})`,
    pass: (v) => v('analytics.p99Ms')! <= 100,
  },
  {
    what: 'SPA JavaScript before the first screen (gzip)',
    goal: '<= 100 KB',
    keys: ['web.initialJsGzipBytes'],
    show: (v) => `${kb(v('web.initialJsGzipBytes'))} (${n(v('web.initialJsFiles'))} files)`,
    pass: (v) => v('web.initialJsGzipBytes')! <= 100 * 1024,
  },
  {
    what: 'Soak: 60 s of mixed traffic',
    goal: '0 errors, stable memory, every event counted',
    keys: ['soak.requests', 'soak.errors', 'soak.rssStartMb', 'soak.rssEndMb'],
    show: (v) =>
      `${n(v('soak.requests'))} requests, ${n(v('soak.errors'))} errors, p99 ${ms(v('soak.p99Ms'))}, RSS ${n(v('soak.rssStartMb'))} -> ${n(v('soak.rssEndMb'))} MB, ` +
      (v('soak.eventsSent') === undefined ? 'events n/a (feature missing)' : `events counted ${n(v('soak.eventsCounted'))}/${n(v('soak.eventsSent'))}`),
    pass: (v) =>
      v('soak.errors') === 0 &&
      v('soak.rssEndMb')! <= v('soak.rssStartMb')! * 1.25 &&
      (v('soak.eventsSent') === undefined || v('soak.eventsCounted') === v('soak.eventsSent')),
  },
];

export interface RenderedRow {
  what: string;
  goal: string;
  measured: string;
  verdict: string;
}

export function renderRows(results: Results, meta?: Pick<RunMeta, 'missing' | 'failed'>): RenderedRow[] {
  const v: Getter = (path) => get(results, path);
  const reason = (keys: string[], from: Record<string, string> | undefined) =>
    keys.map((key) => Object.entries(from ?? {}).find(([prefix]) => key === prefix || key.startsWith(`${prefix}.`))?.[1]).find(Boolean);
  return ROWS.map((row) => {
    const absent = row.keys.filter((key) => v(key) === undefined);
    if (absent.length > 0) {
      const failed = reason(absent, meta?.failed);
      const why = reason(absent, meta?.missing) ?? 'feature missing';
      // A missing feature reads exactly "n/a (feature missing)"; which one is in the run's log and results.meta.json.
      const measured = failed ? `error: ${failed.split('\n')[0]}` : why.startsWith('feature missing') ? 'n/a (feature missing)' : `n/a (${why})`;
      return { what: row.what, goal: row.goal, measured, verdict: '-' };
    }
    return { what: row.what, goal: row.goal, measured: row.show(v), verdict: row.pass ? (row.pass(v) ? 'pass' : 'FAIL') : '-' };
  });
}

/** The table for the project README: paste the output under "Benchmarks". */
export function renderMarkdown(results: Results, meta: RunMeta): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  const lines = [
    `Measured ${meta.date} on ${meta.machine}, Node ${meta.node}, DynamoDB Local in memory (\`npm run bench\`).`,
    '',
    '| what | goal | measured | verdict |',
    '|---|---|---|---|',
    ...renderRows(results, meta).map((r) => `| ${escape(r.what)} | ${escape(r.goal)} | ${escape(r.measured)} | ${r.verdict} |`),
  ];
  return `${lines.join('\n')}\n`;
}

/** A plain-text table for the terminal. */
export function renderText(results: Results, meta?: Pick<RunMeta, 'missing' | 'failed'>): string {
  const rows = renderRows(results, meta);
  const header = { what: 'what', goal: 'goal', measured: 'measured', verdict: 'verdict' };
  const width = (k: keyof RenderedRow) => Math.max(...[header, ...rows].map((r) => r[k].length));
  const line = (r: RenderedRow) => (['what', 'goal', 'measured', 'verdict'] as const).map((k) => r[k].padEnd(width(k))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function readResults(): { results: Results; meta: RunMeta } | undefined {
  if (!existsSync(RESULTS_FILE) || !existsSync(META_FILE)) return undefined;
  return { results: JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Results, meta: JSON.parse(readFileSync(META_FILE, 'utf8')) as RunMeta };
}

// `tsx bench/report.ts` prints the README table of the last run.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const last = readResults();
  if (!last) {
    console.error('No bench/results.json yet: run `npm run bench` first.');
    process.exit(1);
  }
  process.stdout.write(renderMarkdown(last.results, last.meta));
}
