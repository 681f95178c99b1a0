import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnElement, Duration, RemovalPolicy, type SecretValue, Stack, Token, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  RecursiveLoop,
  Runtime,
  SystemLogLevel,
} from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { METRICS_SERVICE } from '../../functions/lib/metric-names.js';
import type { PortName } from '../../functions/lib/runtime.js';
import { portsOf } from './runtime-ports.js';

/** Repository root: entries, package-lock.json and tsconfig.json are resolved from here. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The newest Lambda Node.js runtime: satisfies cdk-nag AwsSolutions-L1 and the
 * project's Node >= 22 requirement. Bundles target the same Node version.
 */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;
export const ESBUILD_TARGET = 'node24';

/**
 * Left out of every bundle and loaded from the SDK v3 that the Lambda Node.js
 * runtime ships: bundled, the SDK made each handler 0.6-1.6 MB (issue 7 asks
 * for <= 300 KB).
 *
 * The trade-off: in AWS the code runs against the runtime's SDK version, which
 * Lambda updates on its own schedule, not the one package-lock.json pins and
 * the tests use. Acceptable here because the code only calls long-stable client
 * APIs: DynamoDB (client-dynamodb, lib-dynamodb, util-dynamodb), EventBridge
 * PutEvents, Lambda Invoke, Comprehend BatchDetectSentiment, S3 Get/Put/Delete
 * and s3-request-presigner's getSignedUrl. The runtime's /var/runtime/node_modules
 * holds the SDK monorepo's packages, not only the client-* ones (lib-dynamodb
 * and util-dynamodb; its error traces show presigner packages beside them):
 * test/infra/bundling.test.ts lists the packages the bundles may leave to it.
 * A package the runtime does not ship must stay bundled: exclude it from these
 * patterns. The functions import no @smithy package themselves; those are the
 * SDK's own dependencies and resolve beside it. Pinning the SDK again is
 * `bundleAwsSDK: true` with no externals.
 */
export const AWS_SDK_EXTERNALS = ['@aws-sdk/*', '@smithy/*'];

/**
 * How every function is bundled; bench/measures/bundles.ts builds with exactly
 * these options to measure what would be deployed.
 *
 * CommonJS, not ESM: the runtime require()s a CommonJS index.js, and the SDK it
 * ships is CommonJS too. From an ESM bundle every SDK module would go through
 * Node's ESM-to-CommonJS interop (format detection and cjs-module-lexer on each
 * file), which measured 30-50% of the import time of a handler that loads the
 * DynamoDB client (bench/measures/bundles.ts). The code uses neither top-level
 * await nor import.meta, the two things an ESM bundle would be needed for.
 */
export const LAMBDA_BUNDLING = {
  format: OutputFormat.CJS,
  target: ESBUILD_TARGET,
  // mainFields stays at esbuild's Node default (main before module): a CommonJS
  // package require()-ing a dual package must get its CommonJS build, or it
  // receives an ESM namespace (multilang-sentiment's `new Fuse()` threw so).
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  tsconfig: join(REPO_ROOT, 'tsconfig.json'),
  bundleAwsSDK: false,
  externalModules: AWS_SDK_EXTERNALS,
} satisfies BundlingOptions;

/** What every function of a tenant shares; passed down from the TenantStack. */
export interface FunctionDefaults {
  readonly tenant: string;
  /** IANA timezone for day buckets and heatmaps. */
  readonly timezone: string;
  /** Default region for phone numbers without a country code. */
  readonly phoneRegion: string;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * The key that signs pagination cursors (functions/lib/cursor.ts), one per
   * stack: every function that lists, or runs jobs that page, must share it.
   */
  readonly cursorSecret: SecretValue;
  /**
   * The key of the suppression list's hashes (functions/privacy/suppression-check.ts),
   * one per stack: every function that checks or writes suppressions must share it.
   */
  readonly suppressionSecret: SecretValue;
  /** Days a deleted contact stays in the recycle bin (RECYCLE_DAYS, issue 17). @default - unset: the functions' own default */
  readonly recycleDays?: number;
  /** Whether activity states are written packed (ANALYTICS_STATE_PACKING `on`/`off`). @default - unset: the functions' own default, on */
  readonly analyticsStatePacking?: boolean;
}

export interface LambdaFunctionProps {
  /** Entry file relative to the repository root, e.g. `functions/http/contacts.ts`; it exports `handler`. */
  readonly entry: string;
  readonly defaults: FunctionDefaults;
  /** @default - none */
  readonly description?: string;
  /** @default Duration.seconds(29): just under the 30 s API Gateway HTTP API integration limit */
  readonly timeout?: Duration;
  /** @default 1024 */
  readonly memorySize?: number;
  /** Extra environment on top of the common variables. @default - none */
  readonly environment?: Record<string, string>;
  /** Physical name, for functions whose ARN must be known without a reference. @default - generated by CloudFormation */
  readonly functionName?: string;
  /** Retries of asynchronous invocations. @default 2 (the Lambda default) */
  readonly retryAttempts?: number;
  /** @default RecursiveLoop.TERMINATE */
  readonly recursiveLoop?: RecursiveLoop;
}

export type TableAccess = 'read' | 'readWrite';

export interface BindTableOptions {
  readonly table: ITable;
  readonly access: TableAccess;
}

/**
 * The one Lambda shape of the project: Node.js 24 on arm64, a CommonJS bundle
 * made by esbuild, JSON logs to an explicit log group with retention, and a
 * role that holds only what is granted to it.
 *
 * X-Ray tracing is off rather than half on: Lambda's active tracing alone
 * records the invocation but none of the DynamoDB calls in it, and tracing
 * those takes the X-Ray SDK (Powertools Tracer): about 120 KB more in every
 * bundle (the largest is about 250 KB of issue 7's 300 KB) and its work on
 * each of the stream function's requests. Business metrics
 * (functions/lib/metrics.ts), alarms and a dashboard (./monitoring.ts) and
 * the JSON logs watch the functions instead.
 */
export class LambdaFunction extends NodejsFunction {
  /**
   * The runtime ports its code can reach (./runtime-ports.ts): the stack
   * gives it each one's variables and permissions, and nothing else.
   */
  public readonly ports: ReadonlySet<PortName>;
  /** The entry file, relative to the repository root. */
  public readonly entryFile: string;

  constructor(scope: Construct, id: string, props: LambdaFunctionProps) {
    const entry = join(REPO_ROOT, props.entry);
    if (!existsSync(entry)) throw new Error(`Lambda entry ${props.entry} does not exist`);

    // Created beside the function because a subclass cannot add children before super().
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.defaults.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An explicit role instead of the default one, so no AWSLambdaBasicExecutionRole
    // (logs:CreateLogGroup on *): the log group exists, the function only writes to it.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.entry}`,
    });
    role.addToPolicy(
      new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
    );

    super(scope, id, {
      entry,
      handler: 'handler',
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(29),
      description: props.description,
      functionName: props.functionName,
      retryAttempts: props.retryAttempts,
      recursiveLoop: props.recursiveLoop,
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      environment: {
        // The AWS composition of functions/lib/runtime.ts: missing variables fail the cold start.
        RUNTIME: 'aws',
        TENANT: props.defaults.tenant,
        TENANT_TIMEZONE: props.defaults.timezone,
        DEFAULT_PHONE_REGION: props.defaults.phoneRegion,
        POWERTOOLS_SERVICE_NAME: METRICS_SERVICE,
        SENTIMENT_PROVIDER: 'comprehend',
        NODE_OPTIONS: '--enable-source-maps',
        // A dynamic reference, resolved by CloudFormation at deploy time: the template holds no secret.
        CURSOR_SECRET: props.defaults.cursorSecret.unsafeUnwrap(),
        SUPPRESSION_SECRET: props.defaults.suppressionSecret.unsafeUnwrap(),
        ...(props.defaults.recycleDays !== undefined ? { RECYCLE_DAYS: String(props.defaults.recycleDays) } : {}),
        ...(props.defaults.analyticsStatePacking !== undefined ? { ANALYTICS_STATE_PACKING: props.defaults.analyticsStatePacking ? 'on' : 'off' } : {}),
        ...props.environment,
      },
      bundling: LAMBDA_BUNDLING,
    });
    this.entryFile = props.entry;
    this.ports = portsOf(props.entry);
  }

  /**
   * Allows Amazon Comprehend sentiment detection (SENTIMENT_PROVIDER=comprehend),
   * in a policy of its own so the Resource "*" acknowledgement covers only it.
   */
  public grantSentimentDetection(): this {
    const policy = new Policy(this, 'SentimentPolicy', {
      statements: [
        new PolicyStatement({
          actions: ['comprehend:DetectSentiment', 'comprehend:BatchDetectSentiment'],
          resources: ['*'],
        }),
      ],
    });
    this.role!.attachInlinePolicy(policy);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'comprehend:DetectSentiment and BatchDetectSentiment have no resource-level permissions; Comprehend only accepts Resource "*".',
    });
    return this;
  }

  /** Sets TABLE_NAME and grants exactly the requested access to the table and its indexes. */
  public bindTable({ table, access }: BindTableOptions): this {
    this.addEnvironment('TABLE_NAME', table.tableName);
    if (access === 'read') table.grantReadData(this);
    else table.grantReadWriteData(this);
    // The grant names the table's indexes as "<table ARN>/index/*", as cdk-nag reports it: a reference to
    // the stack's own table, or the ARN an imported (restored) table is known by.
    const cfnTable = table.node.defaultChild;
    const stack = Stack.of(this);
    const known = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
    const indexes =
      cfnTable instanceof CfnElement
        ? `<${Stack.of(table).getLogicalId(cfnTable)}.Arn>/index/*`
        : `arn:<AWS::Partition>:dynamodb:${known(stack.region, 'AWS::Region')}:${known(stack.account, 'AWS::AccountId')}:table/${table.tableName}/index/*`;
    Validations.of(this.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${indexes}]`,
      reason: 'Queries go through the table\'s global secondary indexes (the single-table access patterns); the grant is scoped to this table\'s indexes.',
    });
    return this;
  }
}
