import { CfnOutput, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { AccessLogs } from './constructs/access-logs.js';
import { Api } from './constructs/api.js';
import { Auth, loginDomainUrl } from './constructs/auth.js';
import { DataTable } from './constructs/data-table.js';
import { Jobs } from './constructs/jobs.js';
import type { FunctionDefaults, LambdaFunction } from './constructs/lambda-function.js';
import { Messaging } from './constructs/messaging.js';
import { functionsIn, Monitoring } from './constructs/monitoring.js';
import { Schedules } from './constructs/schedules.js';
import { StreamProcessor } from './constructs/stream-processor.js';
import { type TenantSettings, TenantSettingsError } from './constructs/tenant-settings.js';
import { WebHosting } from './constructs/web-hosting.js';
import type { PortName } from '../functions/lib/runtime.js';

export interface TenantStackProps extends StackProps, TenantSettings {
  /**
   * Let a developer's SPA (the local host, Vite) sign in against this
   * stack's user pool: its origins become OAuth callbacks, as does any
   * `http://localhost` URL in `callbackUrls`. Off, a stack sends sign-ins to
   * its own origins and https callbacks only.
   * @default - the `devCallbacks` context flag (`-c devCallbacks=true`), else false
   */
  readonly devCallbacks?: boolean;
  /**
   * Origins of a developer's SPA allowed as OAuth callbacks with `devCallbacks`.
   * @default ['http://localhost:3000', 'http://localhost:5173']
   */
  readonly devOrigins?: string[];
  /** Built SPA folder. @default `<repo>/web/dist` (a placeholder page is deployed when missing) */
  readonly siteDir?: string;
}

/** A boolean context flag: `-c name=true` on the command line, `true` in cdk.json. */
function contextFlag(scope: Construct, name: string): boolean {
  const value: unknown = scope.node.tryGetContext(name);
  if (value === undefined || value === null || value === false || value === 'false' || value === '') return false;
  if (value === true || value === 'true') return true;
  throw new TenantSettingsError(`context "${name}" must be true or false, got ${JSON.stringify(value)}`);
}

/**
 * Everything one tenant runs on: the contact table, staff sign-in, the HTTP
 * API, the stream processor, background jobs, schedules, outbound messaging
 * and the hosted SPA. It composes constructs and wires grants between them.
 */
export class TenantStack extends Stack {
  public readonly data: DataTable;
  public readonly accessLogs: AccessLogs;
  public readonly web: WebHosting;
  public readonly auth: Auth;
  public readonly messaging: Messaging;
  public readonly jobs: Jobs;
  public readonly api: Api;
  public readonly streamProcessor: StreamProcessor;
  public readonly schedules: Schedules;
  public readonly monitoring: Monitoring;
  /** Key of the pagination cursors' signatures, shared by every function. */
  public readonly cursorSecret: Secret;
  /** Key of the suppression list's hashes (erasure), shared by every function and kept as long as the table. */
  public readonly suppressionSecret: Secret;

  constructor(scope: Construct, id: string, props: TenantStackProps) {
    super(scope, id, {
      description: `Contact base and engagement monitor, tenant ${props.tenant}`,
      ...props,
    });
    this.cursorSecret = new Secret(this, 'CursorSecret', {
      description: `Signs the pagination cursors of the ${props.tenant} contact base API`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.cursorSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The secret only signs pagination cursors, which live minutes; the functions receive it at deploy time, and replacing it (a new stack, or a new secret) merely makes open cursors answer 400.',
    });
    this.suppressionSecret = new Secret(this, 'SuppressionSecret', {
      description: `Keys the hashes of the ${props.tenant} contact base's suppression list (erased phones and emails)`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      // The table is retained on stack delete, and its suppressions match only under this key.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.suppressionSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Rotating this key would make every stored suppression unmatchable (the list holds only HMACs under it, never the values), so erased phones and emails could come back; the functions receive it at deploy time.',
    });
    const defaults: FunctionDefaults = {
      tenant: props.tenant,
      timezone: props.timezone,
      phoneRegion: props.phoneRegion,
      cursorSecret: this.cursorSecret.secretValue,
      suppressionSecret: this.suppressionSecret.secretValue,
      recycleDays: props.recycleDays,
      analyticsStatePacking: props.analyticsStatePacking,
    };
    // Account-scoped so the prefix stays unique across AWS; known before the pool exists.
    const loginDomainPrefix = props.loginDomainPrefix ?? `${props.tenant}-contacts-${this.account}`;
    const loginUrl = loginDomainUrl(this, loginDomainPrefix);

    this.data = new DataTable(this, 'Data', {
      existing: props.tableName && props.tableStreamArn ? { tableName: props.tableName, tableStreamArn: props.tableStreamArn } : undefined,
    });
    this.accessLogs = new AccessLogs(this, 'AccessLogs');

    const cognitoApi = `https://cognito-idp.${this.region}.${this.urlSuffix}`;
    // The API's URL would make the distribution depend on the API, whose CORS
    // origin depends on the distribution: the header names the region's API
    // endpoints, and the deployed index.html pins this stack's API (deploySite).
    this.web = new WebHosting(this, 'Web', {
      tenant: props.tenant,
      accessLogsBucket: this.accessLogs.bucket,
      connectSources: [Api.endpointPattern(this), loginUrl, cognitoApi],
      domainName: props.domain,
      certificateArn: props.certificateArn,
    });
    const redirectUri = `${this.web.url}/`;

    const devCallbacks = props.devCallbacks ?? contextFlag(this, 'devCallbacks');
    const localCallbacks = props.callbackUrls.filter((url) => url.startsWith('http://'));
    if (localCallbacks.length > 0 && !devCallbacks) {
      throw new TenantSettingsError(`callback URL ${localCallbacks[0]} is for development: deploy with -c devCallbacks=true to allow http://localhost callbacks`);
    }
    this.auth = new Auth(this, 'Auth', {
      tenant: props.tenant,
      domainPrefix: loginDomainPrefix,
      callbackUrls: [
        ...this.web.origins.map((origin) => `${origin}/`),
        ...(devCallbacks ? (props.devOrigins ?? ['http://localhost:3000', 'http://localhost:5173']).map((origin) => `${origin}/`) : []),
        ...props.callbackUrls,
      ],
    });

    this.messaging = new Messaging(this, 'Messaging', { tenant: props.tenant });
    this.jobs = new Jobs(this, 'Jobs', { table: this.data.table, defaults, accessLogsBucket: this.accessLogs.bucket });

    this.api = new Api(this, 'Api', {
      table: this.data.table,
      defaults,
      jwtIssuer: this.auth.issuerUrl,
      jwtAudience: [this.auth.client.userPoolClientId],
      allowedOrigins: this.web.origins,
    });
    // Ingested conversation messages are scored as they arrive (functions/events/sentiment.ts).
    this.api.handlers.events.grantSentimentDetection();

    this.streamProcessor = new StreamProcessor(this, 'StreamProcessor', { table: this.data.table, defaults });

    this.schedules = new Schedules(this, 'Schedules', { table: this.data.table, defaults, settings: { reconcileSchedule: props.reconcileSchedule } });

    // The AWS composition (functions/lib/runtime.ts): every function gets the ports its code can
    // reach, found in its import graph. Whatever can hand a job over (the jobs and catalog APIs,
    // resume-jobs, the worker itself...) gets the worker's name and the right to invoke it.
    const bindPort: Record<PortName, (fn: LambdaFunction) => void> = {
      jobWorker: (fn) => this.jobs.bindStarter(fn),
      blobs: (fn) => this.jobs.bindBlobs(fn),
      dispatches: (fn) => this.messaging.bindPublisher(fn),
      userDirectory: (fn) => this.auth.bindDirectoryReader(fn),
    };
    for (const fn of functionsIn(this)) for (const port of fn.ports) bindPort[port](fn);

    // Last, so that every function of the stack gets its errors alarm.
    this.monitoring = new Monitoring(this, 'Monitoring', {
      tenant: props.tenant,
      alarmEmails: props.alarmEmails,
      table: this.data.table,
      httpApi: this.api.httpApi,
      streamProcessor: this.streamProcessor,
      functions: functionsIn(this),
    });

    this.web.deploySite({
      siteDir: props.siteDir,
      connectSources: [this.api.url, loginUrl, cognitoApi],
      runtimeConfig: {
        apiUrl: this.api.url,
        region: this.region,
        tenant: props.tenant,
        timezone: props.timezone,
        defaultPhoneRegion: props.phoneRegion,
        auth: {
          mode: 'cognito',
          userPoolId: this.auth.userPool.userPoolId,
          clientId: this.auth.client.userPoolClientId,
          domain: this.auth.loginUrl,
          redirectUri,
        },
      },
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'HTTP API base URL (routes start with /v1)' });
    new CfnOutput(this, 'WebUrl', { value: this.web.url, description: 'The SPA' });
    new CfnOutput(this, 'UserPoolId', { value: this.auth.userPool.userPoolId, description: 'Cognito user pool of the tenant staff' });
    new CfnOutput(this, 'UserPoolClientId', { value: this.auth.client.userPoolClientId, description: 'App client of the SPA' });
    new CfnOutput(this, 'LoginDomain', { value: this.auth.loginUrl, description: 'Managed login base URL' });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName, description: 'DynamoDB table (retained on stack delete)' });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.topic.topicArn,
      description: 'Every alarm of the tenant notifies this topic (on ALARM and on OK); subscribe paging to it',
    });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${this.monitoring.dashboardName}`,
      description: 'CloudWatch dashboard of the tenant',
    });
    new CfnOutput(this, 'OnFailureQueueUrl', {
      value: this.streamProcessor.onFailureQueue.queueUrl,
      description: 'Stream records that failed after retries',
    });
    new CfnOutput(this, 'StreamFunctionName', {
      value: this.streamProcessor.handler.functionName,
      description: 'The table stream function (npm run replay invokes it with failed records)',
    });
    new CfnOutput(this, 'ReconcileFunctionName', {
      value: this.schedules.handlerFor('reconcile').functionName,
      description: 'The nightly reconciliation; invoke it to run one now',
    });
  }
}
