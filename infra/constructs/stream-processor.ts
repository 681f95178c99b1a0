import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { STREAM_PROCESSOR } from '../../functions/scheduled/schedules.js';
import { STREAM_FILTERS } from '../../functions/streams/filters.js';
import { type FunctionDefaults, LambdaFunction } from './lambda-function.js';

export interface StreamProcessorProps {
  /** The table whose stream drives counters, engagement and aggregates. */
  readonly table: ITable;
  readonly defaults: FunctionDefaults;
  /** @default 100 */
  readonly batchSize?: number;
  /** @default Duration.seconds(2) */
  readonly maxBatchingWindow?: Duration;
  /**
   * Retries of a failing batch (after bisecting) before its records go to the
   * on-failure queue. Bounded so one poison record cannot hold the shard for
   * the stream's 24 hours.
   * @default 5
   */
  readonly retryAttempts?: number;
  /** @default Duration.hours(6) */
  readonly maxRecordAge?: Duration;
  /** @default Duration.minutes(2) */
  readonly timeout?: Duration;
}

/**
 * The table stream's consumer (`STREAM_PROCESSOR`): batches with partial batch
 * failure reporting, bisect on error and bounded retries; what still fails is
 * described in an encrypted SQS queue with an alarm on its depth.
 */
export class StreamProcessor extends Construct {
  public readonly handler: LambdaFunction;
  public readonly onFailureQueue: Queue;
  public readonly eventSource: DynamoEventSource;
  public readonly onFailureAlarm: Alarm;

  constructor(scope: Construct, id: string, props: StreamProcessorProps) {
    super(scope, id);

    this.handler = new LambdaFunction(this, 'Handler', {
      entry: STREAM_PROCESSOR.entry,
      defaults: props.defaults,
      description: `Table stream: counters, engagement, aggregates (${props.defaults.tenant})`,
      timeout: props.timeout ?? Duration.minutes(2),
    });
    this.handler.bindTable({ table: props.table, access: 'readWrite' });
    this.handler.grantSentimentDetection();

    // Lambda writes a pointer to the failed records (shard, sequence numbers),
    // not the records themselves; 14 days is the longest SQS keeps a message.
    this.onFailureQueue = new Queue(this, 'OnFailureQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.onFailureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination of the table stream mapping; nothing consumes it automatically, an operator inspects and replays, so a further DLQ would never receive anything.',
    });

    this.eventSource = new DynamoEventSource(props.table, {
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize ?? STREAM_PROCESSOR.batchSize,
      maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(2),
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: props.retryAttempts ?? 5,
      maxRecordAge: props.maxRecordAge ?? Duration.hours(6),
      // One batch per shard at a time: records of one item stay in order, which
      // the counters' before/after images depend on.
      parallelizationFactor: 1,
      onFailure: new SqsDlq(this.onFailureQueue),
      // Only records some processor reads reach the function (functions/streams/filters.ts).
      filters: STREAM_FILTERS.map((pattern) => FilterCriteria.filter(pattern)),
    });
    this.handler.addEventSource(this.eventSource);

    Validations.of(this.handler.role!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'dynamodb:ListStreams, added by the DynamoDB event source, has no resource-level permissions; the other stream actions are scoped to this table\'s stream.',
    });

    this.onFailureAlarm = new Alarm(this, 'OnFailureAlarm', {
      alarmDescription: `Table stream records of tenant ${props.defaults.tenant} failed after retries; see the on-failure queue`,
      metric: this.onFailureQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
