import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { RecursiveLoop } from 'aws-cdk-lib/aws-lambda';
import { BlockPublicAccess, Bucket, type CfnBucket, BucketEncryption, type IBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { JOB_WORKER } from '../../functions/scheduled/schedules.js';
import { type FunctionDefaults, LambdaFunction } from './lambda-function.js';

/** Key prefixes of the blob bucket; everything under them is transient. */
export const BLOB_PREFIXES = ['imports/', 'exports/'] as const;

export interface JobsProps {
  readonly table: ITable;
  readonly defaults: FunctionDefaults;
  /** Bucket receiving the blob bucket's server access logs. */
  readonly accessLogsBucket: IBucket;
  /** How long imports and exports are kept. @default Duration.days(7) */
  readonly blobExpiration?: Duration;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Background jobs (imports, exports, bulk deletes): the `JOB_WORKER` function,
 * which processes a job in chunks and re-invokes itself, and the private bucket
 * holding uploaded CSVs and generated exports.
 */
export class Jobs extends Construct {
  public readonly bucket: Bucket;
  public readonly worker: LambdaFunction;
  /** The worker's physical name (its ARN is built from it, avoiding a self-reference). */
  public readonly workerFunctionName: string;
  public readonly workerFunctionArn: string;

  constructor(scope: Construct, id: string, props: JobsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const expiration = props.blobExpiration ?? Duration.days(7);

    // Not versioned: imports and exports are short-lived copies (the table is the
    // record), expired after a week; versions would only keep them longer.
    this.bucket = new Bucket(this, 'Blobs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'blobs/',
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      lifecycleRules: [
        ...BLOB_PREFIXES.map((prefix) => ({ id: `expire-${prefix.slice(0, -1)}`, prefix, expiration })),
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    this.workerFunctionName = `${stack.stackName}-job-worker`;
    this.workerFunctionArn = stack.formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: this.workerFunctionName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    this.worker = new LambdaFunction(this, 'Worker', {
      entry: JOB_WORKER.entry,
      defaults: props.defaults,
      functionName: this.workerFunctionName,
      description: `Background jobs: imports, exports, bulk deletes (${props.defaults.tenant})`,
      timeout: Duration.minutes(15),
      memorySize: 1024,
      // The resume-jobs schedule restarts a stopped job from its saved progress;
      // Lambda's own async retries would race it and run a chunk twice.
      retryAttempts: 0,
      // The worker re-invokes itself once per chunk on purpose; each invocation
      // advances the job, so the chain ends when the job does.
      recursiveLoop: RecursiveLoop.ALLOW,
    });
    // Its blobs and the right to re-invoke itself come with its ports, as for every function (TenantStack).
    this.worker.bindTable({ table: props.table, access: 'readWrite' });
  }

  /** Sets BLOB_BUCKET and allows reading, writing and deleting imports and exports. */
  public bindBlobs(fn: LambdaFunction): void {
    fn.addEnvironment('BLOB_BUCKET', this.bucket.bucketName);
    // Without ListBucket, S3 answers a missing key with 403 instead of NoSuchKey,
    // and the blob store could not tell "gone" (expired) from "forbidden".
    fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: BLOB_PREFIXES.map((prefix) => this.bucket.arnForObjects(`${prefix}*`)),
      }),
    );
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket);
    for (const prefix of BLOB_PREFIXES) {
      Validations.of(fn.role!).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
        reason: `Object keys under ${prefix} are generated per job; access is limited to that prefix of the tenant's own blob bucket.`,
      });
    }
  }

  /** Sets JOB_WORKER_FUNCTION and allows invoking the worker (asynchronously, to start, hand over or continue a job). */
  public bindStarter(fn: LambdaFunction): void {
    fn.addEnvironment('JOB_WORKER_FUNCTION', this.workerFunctionName);
    fn.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.workerFunctionArn] }));
  }
}
