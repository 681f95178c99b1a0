import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { METRIC } from '../functions/lib/metric-names.js';
import { buildTenantApp } from '../infra/bin/app.js';
import { planEvents } from '../test/support/events.js';
import { round, tenantMonthlyCost, US_EAST_1_PRICES, type Measured, type StackShape, type UnitsPerOperation, type Workload } from './lib/cost.js';
import { BENCH_DIR, get, RESULTS_FILE, type Results } from './report.js';

/**
 * `npm run cost`: the monthly AWS bill of one tenant at 10k, 100k and 1M
 * contacts, from the bench's measured figures (bench/capacity.json: request
 * units per operation; bench/results.json: function time per event, row and
 * request), the stack as synthesized (alarms, schedules, functions) and
 * us-east-1 list prices (bench/lib/cost.ts). `--markdown` prints the README
 * table.
 */
interface CapacityFile {
  date: string;
  contactCreate: UnitsPerOperation;
  event: { live: UnitsPerOperation; backlog: UnitsPerOperation };
  profileRead: UnitsPerOperation;
  contactPage: UnitsPerOperation;
  analyticsPanel: UnitsPerOperation;
  importRow: UnitsPerOperation;
  deletedContact: UnitsPerOperation;
}

const capacity = JSON.parse(readFileSync(join(BENCH_DIR, 'capacity.json'), 'utf8')) as CapacityFile;
const results = JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Results;
const figure = (path: string): number => {
  const value = get(results, path);
  if (value === undefined) throw new Error(`bench/results.json has no ${path}: run npm run bench`);
  return value;
};

const measured: Measured = {
  // Steady traffic: calls of 25 events, small stream batches (the dearer of the two measures).
  event: capacity.event.live,
  contactCreate: capacity.contactCreate,
  profileRead: capacity.profileRead,
  contactPage: capacity.contactPage,
  analyticsPanel: capacity.analyticsPanel,
  importRow: capacity.importRow,
  deletedContact: capacity.deletedContact,
  ingestMsPerEvent: 1000 / figure('stream.ingestAloneEventsPerSecond'),
  streamMsPerEvent: 1000 / figure('stream.processorAloneEventsPerSecond'),
  importMsPerRow: 1000 / figure('import.rowsPerSecond'),
  deleteMsPerRow: 1000 / figure('bulkDelete.rowsPerSecond'),
  staffRequestMs: figure('soak.medianMs'),
};

/** The stack as deployed: its functions, alarm metrics and schedule ticks, read from a synthesized tenant. */
function stackShape(): StackShape {
  const { stack } = buildTenantApp({ context: { tenant: 'cost', 'aws:cdk:bundling-stacks': [] } });
  const template = Template.fromStack(stack);
  const resources = (type: string) => Object.entries(template.findResources(type)).map(([id, r]) => ({ id, props: r.Properties as Record<string, any> }));
  const functions = resources('AWS::Lambda::Function').filter((f) => !f.id.startsWith('CustomCDKBucketDeployment')).length;
  const alarmMetrics = resources('AWS::CloudWatch::Alarm').reduce((sum, a) => sum + (a.props.Metrics ? a.props.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat).length : 1), 0);
  const ticks = resources('AWS::Events::Rule').reduce((sum, rule) => {
    const rate = /^rate\((\d+) minutes?\)$/.exec(rule.props.ScheduleExpression);
    return sum + (rate ? (30 * 24 * 60) / Number(rate[1]) : 30);
  }, 0);
  // Every metric name the functions emit is one custom metric per tenant (dimensions service and tenant).
  return { functions, customMetrics: Object.keys(METRIC).length, alarmMetrics, scheduleInvocations: ticks, scheduleMs: 100, memoryGb: 1 };
}

/** Events per message and the share that are a contact's own messages, from the event mix the bench posts. */
function eventMix() {
  const plan = planEvents(['c'], 10_000, { series: 'cost' });
  const contactMessages = plan.events.filter((e) => e.type === 'conversation.message' && e.from === 'contact').length;
  return { eventsPerMessage: plan.events.length / 10_000, contactMessageShare: contactMessages / plan.events.length };
}

const MESSAGES_PER_CONTACT_MONTH = 4;
const mix = eventMix();
const workload = (contacts: number, staff: number): Workload => ({
  contacts,
  eventsPerDay: Math.round((contacts * MESSAGES_PER_CONTACT_MONTH * mix.eventsPerMessage) / 30),
  eventsPerCall: 25,
  contactMessageShare: mix.contactMessageShare,
  staff,
  staffRequestsPerDay: 300,
  workingDays: 22,
  contactsCreated: contacts * 0.01,
  importedRows: contacts * 0.05,
  deletedContacts: contacts * 0.01,
  kbPerContact: 10,
  reconcileReadUnitsPerContact: 1,
  logKbPerRequest: 1,
  logKbPerInvocation: 0.5,
  spaMbPerStaffDay: 0.5,
});

const SIZES = [
  { label: '10k contacts', workload: workload(10_000, 5) },
  { label: '100k contacts', workload: workload(100_000, 20) },
  { label: '1M contacts', workload: workload(1_000_000, 100) },
];

const shape = stackShape();
const costs = SIZES.map((size) => ({ ...size, cost: tenantMonthlyCost(measured, size.workload, shape, US_EAST_1_PRICES) }));
const usd = (n: number) => `$${n < 10 ? n.toFixed(2) : n < 1000 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US')}`;

const header = `| per month, ${US_EAST_1_PRICES.region} | ${costs.map((c) => `${c.label} (${c.workload.eventsPerDay.toLocaleString('en-US')} events/day)`).join(' | ')} |`;
const rows = costs[0].cost.lines.map((line, i) => `| ${line.service} | ${costs.map((c) => `${usd(c.cost.lines[i].usd)} <sub>${c.cost.lines[i].detail}</sub>`).join(' | ')} |`);
const table = [header, `|---|${costs.map(() => '---:').join('|')}|`, ...rows, `| **total** | ${costs.map((c) => `**${usd(c.cost.total)}**`).join(' | ')} |`].join('\n');

if (process.argv.includes('--markdown')) {
  console.log(table);
} else {
  console.log(`Monthly cost of one tenant, ${US_EAST_1_PRICES.region}, ${US_EAST_1_PRICES.asOf}`);
  console.log(`capacity measured ${capacity.date}; ${round(mix.eventsPerMessage, 2)} events per message, ${round(mix.contactMessageShare * 100, 1)}% of events are contact messages`);
  console.log(`stack: ${shape.functions} functions, ${shape.customMetrics} custom metrics, ${shape.alarmMetrics} alarm metrics, ${Math.round(shape.scheduleInvocations).toLocaleString('en-US')} schedule ticks a month`);
  for (const c of costs) {
    console.log(`\n${c.label}: ${usd(c.cost.total)}`);
    for (const line of c.cost.lines) console.log(`  ${line.service.padEnd(48)} ${usd(line.usd).padStart(10)}  ${line.detail}`);
  }
}
