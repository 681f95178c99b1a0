import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  AlarmStatusWidgetSortBy,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { type ITable, Operation } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE, type MetricName } from '../../functions/lib/metric-names.js';
import { LambdaFunction } from './lambda-function.js';
import type { StreamProcessor } from './stream-processor.js';

/** When the alarms go off; each default is what a person should be woken for. */
export interface AlarmThresholds {
  /** Oldest unprocessed stream record, three minutes running. @default Duration.minutes(5) */
  readonly iteratorAge: Duration;
  /** Share of API answers that are 5xx, over two 5-minute periods with at least 10 requests each. @default 5 (%) */
  readonly api5xxPercent: number;
  /** API p99 latency, three 5-minute periods running. @default Duration.millis(2500) */
  readonly apiP99Latency: Duration;
  /** DynamoDB requests throttled (after the SDK's own retries), in each of two 5-minute periods. @default 1 */
  readonly throttledRequests: number;
}

export const DEFAULT_THRESHOLDS: AlarmThresholds = {
  iteratorAge: Duration.minutes(5),
  api5xxPercent: 5,
  apiP99Latency: Duration.millis(2500),
  throttledRequests: 1,
};

/** The DynamoDB operations the functions send; an alarm's metric math takes at most 10 metrics. */
const TABLE_OPERATIONS = [
  Operation.GET_ITEM,
  Operation.BATCH_GET_ITEM,
  Operation.QUERY,
  Operation.SCAN,
  Operation.PUT_ITEM,
  Operation.UPDATE_ITEM,
  Operation.DELETE_ITEM,
  Operation.BATCH_WRITE_ITEM,
  Operation.TRANSACT_WRITE_ITEMS,
];

export interface MonitoringProps {
  readonly tenant: string;
  /** Addresses the alarm topic emails (each confirms the subscription once). @default - none: subscribe the topic yourself */
  readonly alarmEmails?: readonly string[];
  readonly table: ITable;
  readonly httpApi: HttpApi;
  readonly streamProcessor: StreamProcessor;
  /** Every function of the stack: each gets an errors alarm and a line on the dashboard. */
  readonly functions: readonly LambdaFunction[];
  /** @default DEFAULT_THRESHOLDS */
  readonly thresholds?: Partial<AlarmThresholds>;
}

/**
 * What reaches a person when a tenant is unwell: an encrypted SNS topic
 * (emailed to the tenant's alarm addresses), an alarm with alarm and OK
 * actions on each signal AWS recommends watching for Lambda, HTTP APIs,
 * DynamoDB and stream event sources plus the product's own (failed jobs,
 * reconciliation repairs), and one dashboard with the alarms on top.
 * Alarm names start with `contacts-<tenant>-`, so a notification names the
 * tenant and what broke.
 */
export class Monitoring extends Construct {
  public readonly topic: Topic;
  /** Encrypts the topic; CloudWatch may use it. */
  public readonly topicKey: Key;
  public readonly dashboard: Dashboard;
  /** `contacts-<tenant>`. */
  public readonly dashboardName: string;
  public readonly alarms: Alarm[] = [];
  private readonly tenant: string;
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const thresholds = { ...DEFAULT_THRESHOLDS, ...props.thresholds };
    this.tenant = props.tenant;

    // CloudWatch cannot publish to a topic under the AWS managed SNS key: the
    // topic needs a key of its own whose policy lets CloudWatch use it.
    this.topicKey = new Key(this, 'AlarmTopicKey', {
      description: `Encrypts the alarm notifications of tenant ${props.tenant}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.topicKey.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: `contacts ${props.tenant} alarms`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one, so CloudWatch is let in by name.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
    for (const email of props.alarmEmails ?? []) this.topic.addSubscription(new EmailSubscription(email));
    this.action = new SnsAction(this.topic);

    const fiveMinutes = Duration.minutes(5);
    const handler = props.streamProcessor.handler;

    // Stream
    this.watch(props.streamProcessor.onFailureAlarm);
    const iteratorAge = handler.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) });
    this.alarm('stream-iterator-age', {
      description: `The table stream is behind by more than ${thresholds.iteratorAge.toHumanString()}: counters, engagement and the panel are stale. Check the stream function's errors and duration, then the on-failure queue.`,
      metric: iteratorAge,
      threshold: thresholds.iteratorAge.toMilliseconds(),
      evaluationPeriods: 3,
    });

    // Functions: any error (crash, timeout, out of memory) of any function.
    for (const fn of props.functions) {
      this.alarm(`errors-${functionLabel(fn)}`, {
        description: `${functionLabel(fn)} failed (an unhandled error, a timeout or out of memory). Its log group has the stack trace.`,
        metric: fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
        threshold: 1,
      });
    }

    // API
    const requests = props.httpApi.metricCount({ period: fiveMinutes, statistic: 'Sum' });
    const clientErrors = props.httpApi.metricClientError({ period: fiveMinutes, statistic: 'Sum' });
    const serverErrors = props.httpApi.metricServerError({ period: fiveMinutes, statistic: 'Sum' });
    const serverErrorRate = new MathExpression({
      // A quiet period (fewer than 10 requests) counts as 0%: one failed call at night is not an outage.
      expression: 'IF(FILL(requests, 0) >= 10, 100 * FILL(errors, 0) / FILL(requests, 1), 0)',
      usingMetrics: { requests, errors: serverErrors },
      label: '5xx (% of requests)',
      period: fiveMinutes,
    });
    this.alarm('api-5xx-rate', {
      description: `More than ${thresholds.api5xxPercent}% of API requests answered 5xx for 10 minutes. The functions' error alarms and logs say which area.`,
      metric: serverErrorRate,
      threshold: thresholds.api5xxPercent,
      evaluationPeriods: 2,
      comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    const latency = (statistic: string) => props.httpApi.metricLatency({ period: fiveMinutes, statistic, label: `latency ${statistic}` });
    this.alarm('api-p99-latency', {
      description: `API p99 latency above ${thresholds.apiP99Latency.toMilliseconds()} ms for 15 minutes: check DynamoDB throttles and the functions' durations.`,
      metric: latency('p99'),
      threshold: thresholds.apiP99Latency.toMilliseconds(),
      evaluationPeriods: 3,
      comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    // DynamoDB
    const throttled = props.table.metricThrottledRequestsForOperations({ operations: TABLE_OPERATIONS, period: fiveMinutes, label: 'throttled requests' });
    this.alarm('table-throttles', {
      description: 'DynamoDB throttled requests in two 5-minute periods running, after the SDK retried them: a hot key or a burst over the on-demand limits. The dashboard shows which side (reads or writes).',
      metric: throttled,
      threshold: thresholds.throttledRequests,
      evaluationPeriods: 2,
    });

    // The product's own
    this.alarm('jobs-failed', {
      description: 'A background job (import, export, bulk action) ended as failed; its message is on the job (GET /v1/jobs/{id}) and in the worker log.',
      metric: this.businessMetric(METRIC.jobsFailed, fiveMinutes),
      threshold: 1,
    });
    this.alarm('reconcile-repairs', {
      description: 'The reconciliation found derived numbers (counters, states, aggregates) that differed from a recomputation and repaired them: something upstream miscounted. Its log lists what it repaired.',
      metric: this.businessMetric(METRIC.reconcileRepairs, Duration.hours(1)),
      threshold: 1,
    });

    // Ids must differ between the expressions of one graph.
    const perSecond = (id: string, metric: IMetric, label: string) =>
      new MathExpression({ expression: `${id} / PERIOD(${id})`, usingMetrics: { [id]: metric }, label, period: fiveMinutes });
    const graph = (title: string, left: IMetric[], right: IMetric[] = [], width = 8) => new GraphWidget({ title, left, right, width, height: 6 });

    this.dashboardName = `contacts-${props.tenant}`;
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: this.dashboardName,
      defaultInterval: Duration.hours(12),
      widgets: [
        [
          new TextWidget({
            markdown: `# contacts-${props.tenant}\nAlarms email the topic \`${this.topic.topicName}\`. Runbooks: the README's *Operations* section.`,
            width: 24,
            height: 2,
          }),
        ],
        [new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, sortBy: AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP, width: 24, height: 4 })],
        [
          graph('API requests, 4xx and 5xx', [requests.with({ label: 'requests' }), clientErrors.with({ label: '4xx' }), serverErrors.with({ label: '5xx' })]),
          graph('API latency p50 / p99 (ms)', [latency('p50'), latency('p99')]),
          graph('Events accepted, duplicates, rejected', [
            this.businessMetric(METRIC.eventsAccepted, fiveMinutes, 'accepted'),
            this.businessMetric(METRIC.eventsDuplicate, fiveMinutes, 'duplicates'),
            this.businessMetric(METRIC.eventsRejected, fiveMinutes, 'rejected'),
          ]),
        ],
        [
          graph('Stream iterator age (ms)', [iteratorAge.with({ label: 'iterator age (max)' })]),
          graph('Stream records processed / failed', [
            this.businessMetric(METRIC.streamRecordsProcessed, fiveMinutes, 'processed'),
            this.businessMetric(METRIC.streamRecordsFailed, fiveMinutes, 'failed'),
          ], [props.streamProcessor.onFailureQueue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, label: 'on-failure queue' })]),
          graph('Counter writes', [this.businessMetric(METRIC.counterWrites, fiveMinutes, 'counter writes')]),
        ],
        [
          graph('Jobs succeeded / failed', [
            this.businessMetric(METRIC.jobsSucceeded, fiveMinutes, 'succeeded'),
            this.businessMetric(METRIC.jobsFailed, fiveMinutes, 'failed'),
          ]),
          graph('Job rows per second', [
            perSecond('rows', this.businessMetric(METRIC.jobRows, fiveMinutes), 'rows/s'),
            perSecond('failed', this.businessMetric(METRIC.jobRowsFailed, fiveMinutes), 'failed rows/s'),
          ]),
          graph('Merges, undos, erasures, reconciliation repairs', [
            this.businessMetric(METRIC.merges, fiveMinutes, 'merges'),
            this.businessMetric(METRIC.mergesUndone, fiveMinutes, 'undos'),
            this.businessMetric(METRIC.erasures, fiveMinutes, 'erasures'),
            this.businessMetric(METRIC.reconcileRepairs, fiveMinutes, 'repairs'),
          ]),
        ],
        [
          graph('DynamoDB consumed capacity (units/s)', [
            perSecond('reads', props.table.metricConsumedReadCapacityUnits({ period: fiveMinutes, statistic: 'Sum' }), 'read units/s'),
            perSecond('writes', props.table.metricConsumedWriteCapacityUnits({ period: fiveMinutes, statistic: 'Sum' }), 'write units/s'),
          ]),
          graph('DynamoDB throttles', [
            throttled,
            props.table.metric('ReadThrottleEvents', { period: fiveMinutes, statistic: 'Sum', label: 'read throttle events' }),
            props.table.metric('WriteThrottleEvents', { period: fiveMinutes, statistic: 'Sum', label: 'write throttle events' }),
          ]),
          graph('Function errors', props.functions.map((fn) => fn.metricErrors({ period: fiveMinutes, statistic: 'Sum', label: functionLabel(fn) }))),
        ],
      ],
    });
  }

  /** A count the functions emit (functions/lib/metrics.ts), summed per period. */
  public businessMetric(name: MetricName, period: Duration, label?: string): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { service: METRICS_SERVICE, tenant: this.tenant },
      statistic: 'Sum',
      period,
      label,
    });
  }

  /** Sends an alarm made elsewhere to the topic, on ALARM and on OK. */
  public watch(alarm: Alarm): void {
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
  }

  private alarm(
    name: string,
    options: { description: string; metric: IMetric; threshold: number; evaluationPeriods?: number; comparison?: ComparisonOperator },
  ): Alarm {
    const alarm = new Alarm(this, name, {
      alarmName: `contacts-${this.tenant}-${name}`,
      alarmDescription: `Tenant ${this.tenant}: ${options.description}`,
      metric: options.metric,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      comparisonOperator: options.comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No traffic, no records, no jobs: nothing is wrong.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.watch(alarm);
    return alarm;
  }
}

/** A function's place in the stack (`Api-Http-contacts`, `Jobs-Worker`), which names it in alarms and graphs. */
export function functionLabel(fn: LambdaFunction): string {
  const stackPath = Stack.of(fn).node.path;
  return fn.node.path.slice(stackPath.length + 1).replace(/[^A-Za-z0-9-]+/g, '-');
}

/** Every LambdaFunction under `scope`, in construct order. */
export function functionsIn(scope: Construct): LambdaFunction[] {
  return scope.node.findAll().filter((construct): construct is LambdaFunction => construct instanceof LambdaFunction);
}
