import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE } from '../../functions/lib/metric-names.js';
import { functionLabel, functionsIn } from '../../infra/constructs/monitoring.js';
import type { TenantStack } from '../../infra/tenant-stack.js';
import { aTenantApp, SYNTH_TIMEOUT } from './support.js';

type Resource = { Properties: Record<string, any> };
let stack: TenantStack;
let template: Template;
const logicalId = (construct: IConstruct) => Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
const alarms = () => Object.entries(template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>);
const alarmNamed = (suffix: string): Record<string, any> => {
  const found = alarms().find(([, alarm]) => alarm.Properties.AlarmName === `contacts-acme-${suffix}`);
  expect(found, suffix).toBeDefined();
  return found![1].Properties;
};
/** The metrics an alarm reads, whether it has one metric or metric math. */
const metricsOf = (alarm: Record<string, any>): { namespace: string; name: string; dimensions: Record<string, unknown>; stat?: string }[] => {
  const dims = (list: { Name: string; Value: unknown }[] = []) => Object.fromEntries(list.map((d) => [d.Name, d.Value]));
  if (alarm.MetricName) return [{ namespace: alarm.Namespace, name: alarm.MetricName, dimensions: dims(alarm.Dimensions), stat: alarm.Statistic ?? alarm.ExtendedStatistic }];
  return (alarm.Metrics as any[])
    .filter((m) => m.MetricStat)
    .map((m) => ({ namespace: m.MetricStat.Metric.Namespace, name: m.MetricStat.Metric.MetricName, dimensions: dims(m.MetricStat.Metric.Dimensions), stat: m.MetricStat.Stat }));
};
/** The dashboard body with every token replaced by a placeholder: enough to read titles and metric names. */
const dashboardBody = () => {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard') as Record<string, Resource>);
  const body = dashboard.Properties.DashboardBody;
  const text = typeof body === 'string' ? body : (body['Fn::Join'][1] as unknown[]).map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return JSON.parse(text) as { widgets: { type: string; properties: { title?: string; metrics?: unknown[][]; alarms?: unknown[] } }[] };
};

beforeAll(() => {
  stack = aTenantApp({ context: { alarmEmail: 'oncall@acme.example, cto@acme.example' } }).stack;
  template = Template.fromStack(stack);
}, SYNTH_TIMEOUT);

describe('alarm topic', () => {
  it('is encrypted with a rotating key of its own, which CloudWatch may use', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack.monitoring.topicKey), 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        ]),
      },
    });
  });

  it('refuses plain HTTP and lets this account\'s CloudWatch alarms publish', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
          }),
        ]),
      },
    });
  });

  it('emails each of the tenant\'s alarm addresses, and nobody when none is given', () => {
    const endpoints = Object.values(template.findResources('AWS::SNS::Subscription') as Record<string, Resource>).map((s) => [s.Properties.Protocol, s.Properties.Endpoint]);
    expect(endpoints).toEqual([
      ['email', 'oncall@acme.example'],
      ['email', 'cto@acme.example'],
    ]);
    const bare = Template.fromStack(aTenantApp().stack);
    bare.resourceCountIs('AWS::SNS::Subscription', 0);
    bare.resourceCountIs('AWS::SNS::Topic', 1);
  }, SYNTH_TIMEOUT);
});

describe('alarms', () => {
  it('every alarm notifies the topic on ALARM and on OK', () => {
    const topic = { Ref: logicalId(stack.monitoring.topic) };
    expect(alarms().length).toBeGreaterThan(8);
    for (const [id, alarm] of alarms()) {
      expect(alarm.Properties.AlarmActions, id).toEqual([topic]);
      expect(alarm.Properties.OKActions, id).toEqual([topic]);
      expect(alarm.Properties.ActionsEnabled ?? true, id).toBe(true);
    }
  });

  it('the on-failure queue not empty', () => {
    const [, alarm] = alarms().find(([id]) => id === logicalId(stack.streamProcessor.onFailureAlarm))!;
    expect(metricsOf(alarm.Properties)[0]).toMatchObject({ namespace: 'AWS/SQS', name: 'ApproximateNumberOfMessagesVisible' });
  });

  it('stream iterator age over 5 minutes', () => {
    const alarm = alarmNamed('stream-iterator-age');
    expect(metricsOf(alarm)).toEqual([
      { namespace: 'AWS/Lambda', name: 'IteratorAge', dimensions: { FunctionName: { Ref: logicalId(stack.streamProcessor.handler) } }, stat: 'Maximum' },
    ]);
    expect(alarm).toMatchObject({ Threshold: 300_000, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  });

  it('errors of every function, each alarm naming its function', () => {
    const functions = functionsIn(stack);
    const inTemplate = Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) => !id.startsWith('CustomCDKBucketDeployment'));
    expect(functions.map(logicalId).sort()).toEqual(inTemplate.sort());
    for (const fn of functions) {
      const alarm = alarmNamed(`errors-${functionLabel(fn)}`);
      expect(metricsOf(alarm)).toEqual([{ namespace: 'AWS/Lambda', name: 'Errors', dimensions: { FunctionName: { Ref: logicalId(fn) } }, stat: 'Sum' }]);
      expect(alarm.Threshold).toBe(1);
    }
  });

  it('API 5xx rate, from 5xx and request counts', () => {
    const alarm = alarmNamed('api-5xx-rate');
    expect(metricsOf(alarm).map((m) => m.name).sort()).toEqual(['5xx', 'Count']);
    expect(metricsOf(alarm).every((m) => m.namespace === 'AWS/ApiGateway' && m.dimensions.ApiId !== undefined)).toBe(true);
    expect(alarm.Metrics.find((m: { Expression?: string }) => m.Expression).Expression).toMatch(/100 \* FILL\(errors, 0\) \/ FILL\(requests, 1\)/);
    expect(alarm.Threshold).toBe(5);
  });

  it('API p99 latency', () => {
    expect(metricsOf(alarmNamed('api-p99-latency'))).toEqual([expect.objectContaining({ namespace: 'AWS/ApiGateway', name: 'Latency', stat: 'p99' })]);
  });

  it('DynamoDB throttled requests of the operations the functions send (at most 10 metrics per alarm)', () => {
    const metrics = metricsOf(alarmNamed('table-throttles'));
    expect(metrics.length).toBeLessThanOrEqual(10);
    for (const operation of ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'BatchWriteItem', 'TransactWriteItems']) {
      expect(metrics).toContainEqual({ namespace: 'AWS/DynamoDB', name: 'ThrottledRequests', dimensions: { TableName: { Ref: logicalId(stack.data.table) }, Operation: operation }, stat: 'Sum' });
    }
  });

  it('failed jobs and reconciliation repairs, from the business metrics the functions emit', () => {
    const business = { namespace: METRICS_NAMESPACE, dimensions: { service: METRICS_SERVICE, tenant: 'acme' }, stat: 'Sum' };
    expect(metricsOf(alarmNamed('jobs-failed'))).toEqual([{ ...business, name: METRIC.jobsFailed }]);
    expect(metricsOf(alarmNamed('reconcile-repairs'))).toEqual([{ ...business, name: METRIC.reconcileRepairs }]);
  });

  it('treat missing data as fine (no traffic, no records, no jobs)', () => {
    for (const [id, alarm] of alarms().filter(([id]) => id !== logicalId(stack.streamProcessor.onFailureAlarm))) {
      expect(alarm.Properties.TreatMissingData, id).toBe('notBreaching');
      expect(alarm.Properties.AlarmDescription, id).toMatch(/^Tenant acme: /);
    }
  });
});

describe('dashboard', () => {
  it('is named after the tenant; the stack outputs its URL and the alarm topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'contacts-acme' });
    template.hasOutput('DashboardUrl', { Value: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('#dashboards/dashboard/contacts-acme$')])] } });
    template.hasOutput('AlarmTopicArn', { Value: { Ref: logicalId(stack.monitoring.topic) } });
  });

  it('shows every alarm at the top', () => {
    const status = dashboardBody().widgets.find((widget) => widget.type === 'alarm');
    expect(status?.properties.alarms).toHaveLength(alarms().length);
  });

  it('has the widgets an on-call engineer reads', () => {
    const widgets = dashboardBody().widgets.filter((widget) => widget.type === 'metric');
    const names = (title: string) => {
      const widget = widgets.find((w) => w.properties.title === title);
      expect(widget, title).toBeDefined();
      return JSON.stringify(widget!.properties.metrics);
    };
    expect(names('API requests, 4xx and 5xx')).toMatch(/"Count".*"4xx".*"5xx"/);
    expect(names('API latency p50 / p99 (ms)')).toMatch(/"Latency".*"stat":"p50".*"Latency".*"stat":"p99"/);
    const events = names('Events accepted, duplicates, rejected');
    for (const name of [METRIC.eventsAccepted, METRIC.eventsDuplicate, METRIC.eventsRejected]) expect(events).toContain(`"${name}"`);
    expect(names('Stream iterator age (ms)')).toContain('"IteratorAge"');
    const records = names('Stream records processed / failed');
    for (const name of [METRIC.streamRecordsProcessed, METRIC.streamRecordsFailed]) expect(records).toContain(`"${name}"`);
    expect(names('Counter writes')).toContain(`"${METRIC.counterWrites}"`);
    const jobs = names('Jobs succeeded / failed');
    for (const name of [METRIC.jobsSucceeded, METRIC.jobsFailed]) expect(jobs).toContain(`"${name}"`);
    expect(names('Job rows per second')).toMatch(new RegExp(`"${METRIC.jobRows}".*PERIOD`));
    const capacity = names('DynamoDB consumed capacity (units/s)');
    for (const name of ['ConsumedReadCapacityUnits', 'ConsumedWriteCapacityUnits']) expect(capacity).toContain(`"${name}"`);
    const throttles = names('DynamoDB throttles');
    for (const name of ['ThrottledRequests', 'ReadThrottleEvents', 'WriteThrottleEvents']) expect(throttles).toContain(`"${name}"`);
    expect(names('Function errors').match(/"Errors"/g)).toHaveLength(functionsIn(stack).length);
  });
});

describe('tracing', () => {
  it('is off: no function traces, no role may write to X-Ray', () => {
    for (const [id, fn] of Object.entries(template.findResources('AWS::Lambda::Function') as Record<string, Resource>)) {
      expect(fn.Properties.TracingConfig, id).toBeUndefined();
    }
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('xray:');
  });
});
