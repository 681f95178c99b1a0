import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSync } from 'esbuild';
import { TABLE_DEFINITION } from '../../functions/data/table-schema.js';
import { AWS_CONFIG_ENV } from '../../functions/lib/config.js';
import { RUNTIME_PORTS, type PortName } from '../../functions/lib/runtime.js';
import { HTTP_AREAS, ROUTES, routeKey } from '../../functions/http/routes.js';
import { CONTINUE_EVENT, SCHEDULES, scheduleExpressionOf } from '../../functions/scheduled/schedules.js';
import { STREAM_FILTERS } from '../../functions/streams/filters.js';
import { REPO_ROOT, type LambdaFunction } from '../../infra/constructs/lambda-function.js';
import { functionsIn } from '../../infra/constructs/monitoring.js';
import type { TenantStack } from '../../infra/tenant-stack.js';
import { ROLES } from '../../shared/roles.js';
import { aTenantApp, logicalIdOf, synthesizedTenant, SYNTH_TIMEOUT } from './support.js';

let stack: TenantStack;
let template: Template;
let assemblyDir: string;
const logicalId = logicalIdOf;
const resourcesOf = (type: string) => template.findResources(type) as Record<string, { Properties: Record<string, any> }>;
/** Every function of the project (the BucketDeployment singleton belongs to aws-cdk-lib). */
const projectFunctions = () =>
  Object.entries(resourcesOf('AWS::Lambda::Function')).filter(([id]) => !id.startsWith('CustomCDKBucketDeployment'));
const envOf = (construct: IConstruct): Record<string, unknown> =>
  resourcesOf('AWS::Lambda::Function')[logicalId(construct)].Properties.Environment.Variables;

beforeAll(() => {
  ({ stack, template, assemblyDir } = synthesizedTenant());
}, SYNTH_TIMEOUT);

describe('the template as a whole', () => {
  it('has no dependency cycle between resources (CloudFormation would reject the deploy)', () => {
    // Template.fromStack refuses a template with a cycle unless told to skip the check.
    expect(() => Template.fromStack(stack, { skipCyclicalDependenciesCheck: false })).not.toThrow();
  });

  it('exports the outputs operators and the SPA need', () => {
    for (const name of ['ApiUrl', 'WebUrl', 'UserPoolId', 'UserPoolClientId', 'LoginDomain', 'TableName', 'OnFailureQueueUrl', 'StreamFunctionName', 'ReconcileFunctionName']) {
      template.hasOutput(name, {});
    }
  });
});

describe('data table', () => {
  const attributeNames = [
    TABLE_DEFINITION.partitionKey,
    TABLE_DEFINITION.sortKey,
    ...TABLE_DEFINITION.indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ];

  it('has the keys and indexes of TABLE_DEFINITION, all string-typed, every index projecting ALL', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    const [table] = Object.values(resourcesOf('AWS::DynamoDB::Table'));
    expect(table.Properties.KeySchema).toEqual([
      { AttributeName: TABLE_DEFINITION.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_DEFINITION.sortKey, KeyType: 'RANGE' },
    ]);
    expect(new Set(table.Properties.AttributeDefinitions)).toEqual(
      new Set([...new Set(attributeNames)].map((AttributeName) => ({ AttributeName, AttributeType: 'S' }))),
    );
    expect(table.Properties.GlobalSecondaryIndexes).toEqual(
      TABLE_DEFINITION.indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    );
  });

  it('is on-demand, streams new and old images, expires by TTL and is encrypted with a KMS key', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: TABLE_DEFINITION.streamViewType },
      TimeToLiveSpecification: { AttributeName: TABLE_DEFINITION.ttlAttribute, Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('is protected: point-in-time recovery, deletion protection, retained on stack delete', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });
});

describe('HTTP API', () => {
  it('has exactly one route per entry of ROUTES', () => {
    const keys = Object.values(resourcesOf('AWS::ApiGatewayV2::Route')).map((route) => route.Properties.RouteKey);
    expect(keys.sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  it('puts the Cognito JWT authorizer on every jwt route and none on the api-key route', () => {
    const routes = Object.values(resourcesOf('AWS::ApiGatewayV2::Route'));
    const authorizerId = logicalId(stack.api.node.findChild('HttpApi').node.findChild('CognitoJwt'));
    for (const route of ROUTES) {
      const resource = routes.find((candidate) => candidate.Properties.RouteKey === routeKey(route));
      if (route.auth === 'jwt') {
        expect(resource?.Properties, routeKey(route)).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
      } else {
        expect(resource?.Properties.AuthorizationType, routeKey(route)).toBe('NONE');
        expect(resource?.Properties.AuthorizerId, routeKey(route)).toBeUndefined();
      }
    }
    expect(ROUTES.filter((route) => route.auth === 'apiKey').map(routeKey)).toEqual(['POST /v1/events']);
  });

  it('routes each path to the function of its area (functions/http/<area>.ts)', () => {
    const integrations = resourcesOf('AWS::ApiGatewayV2::Integration');
    const routes = Object.values(resourcesOf('AWS::ApiGatewayV2::Route'));
    for (const route of ROUTES) {
      const target: string = routes.find((candidate) => candidate.Properties.RouteKey === routeKey(route))!.Properties.Target['Fn::Join'][1][1].Ref;
      expect(integrations[target].Properties.IntegrationUri, routeKey(route)).toEqual({
        'Fn::GetAtt': [logicalId(stack.api.handlers[route.area]), 'Arn'],
      });
      expect(integrations[target].Properties.PayloadFormatVersion).toBe('2.0');
    }
    expect(Object.keys(stack.api.handlers).sort()).toEqual([...HTTP_AREAS].sort());
  });

  it('validates JWTs issued by the tenant user pool for the SPA client', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: logicalId(stack.auth.client) }],
        Issuer: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([{ Ref: logicalId(stack.auth.userPool) }])]) }),
      },
    });
  });

  it('allows CORS only from the SPA origin', () => {
    const api = Object.values(resourcesOf('AWS::ApiGatewayV2::Api'))[0];
    expect(api.Properties.CorsConfiguration.AllowOrigins).toEqual([
      { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(stack.web.distribution), 'DomainName'] }]] },
    ]);
    expect(api.Properties.CorsConfiguration.AllowHeaders).toEqual(['authorization', 'content-type']);
  });

  it('throttles and access-logs the $default stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [logicalId(stack.api.accessLogs), 'Arn'] },
        Format: Match.stringLikeRegexp('\\$context.requestId'),
      },
    });
  });
});

describe('Lambda functions', () => {
  it('run nodejs24.x on arm64, JSON logs to their own log group, 1024 MB', () => {
    const functions = projectFunctions();
    expect(functions).toHaveLength(HTTP_AREAS.length + SCHEDULES.length + 2);
    for (const [id, fn] of functions) {
      expect(fn.Properties, id).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 1024,
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
      });
    }
  });

  it('give HTTP handlers 29 s (under the 30 s API Gateway limit) and the job worker 15 minutes', () => {
    for (const area of HTTP_AREAS) {
      expect(resourcesOf('AWS::Lambda::Function')[logicalId(stack.api.handlers[area])].Properties.Timeout).toBe(29);
    }
    expect(resourcesOf('AWS::Lambda::Function')[logicalId(stack.jobs.worker)].Properties.Timeout).toBe(900);
  });

  it('share the tenant environment and TABLE_NAME', () => {
    for (const [id, fn] of projectFunctions()) {
      expect(fn.Properties.Environment.Variables, id).toMatchObject({
        TABLE_NAME: { Ref: logicalId(stack.data.table) },
        TENANT: 'acme',
        TENANT_TIMEZONE: 'America/Sao_Paulo',
        DEFAULT_PHONE_REGION: 'BR',
        POWERTOOLS_SERVICE_NAME: expect.any(String),
        SENTIMENT_PROVIDER: 'comprehend',
      });
    }
  });

  it('share the analyticsStatePacking setting (on by default) as ANALYTICS_STATE_PACKING, the stream function included', () => {
    expect(envOf(stack.streamProcessor.handler).ANALYTICS_STATE_PACKING).toBe('on');
    for (const [id, fn] of projectFunctions()) expect(fn.Properties.Environment.Variables.ANALYTICS_STATE_PACKING, id).toBe('on');
  });

  it('share a generated cursor-signing secret and a suppression-hash secret, as deploy-time references (the template holds no secret)', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    template.allResourcesProperties('AWS::SecretsManager::Secret', { GenerateSecretString: Match.objectLike({ PasswordLength: 64 }) });
    const reference = (secret: Secret) => ({ 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: logicalId(secret) }, ':SecretString:::}}']] });
    for (const [id, fn] of projectFunctions()) {
      expect(fn.Properties.Environment.Variables.CURSOR_SECRET, id).toEqual(reference(stack.cursorSecret));
      expect(fn.Properties.Environment.Variables.SUPPRESSION_SECRET, id).toEqual(reference(stack.suppressionSecret));
    }
  });

  it('keep the suppression secret when the stack goes, as the table is kept: its suppressions match only under it', () => {
    expect(template.toJSON().Resources[logicalId(stack.suppressionSecret)]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('give the analytics area read-only table access', () => {
    const statements = new Capture();
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack.api.handlers.analytics.role!) }],
      PolicyDocument: { Statement: statements },
    });
    const actions = (statements.asArray() as { Action: string | string[] }[]).flatMap((statement) => statement.Action);
    expect(actions).toContain('dynamodb:Query');
    expect(actions).not.toContain('dynamodb:PutItem');
  });

  it('let the events API (which scores ingested messages) and the stream processor call Comprehend', () => {
    for (const fn of [stack.api.handlers.events, stack.streamProcessor.handler]) {
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: logicalId(fn.role!) }],
        PolicyDocument: {
          Statement: [Match.objectLike({ Action: ['comprehend:DetectSentiment', 'comprehend:BatchDetectSentiment'], Resource: '*' })],
        },
      });
    }
  });

  it('let blob users tell a missing object from a forbidden one (s3:ListBucket on the blob bucket only)', () => {
    const blobUsers = functionsIn(stack).filter((fn) => fn.ports.has('blobs'));
    expect(blobUsers).toEqual(expect.arrayContaining([stack.api.handlers.jobs, stack.jobs.worker]));
    for (const fn of blobUsers) {
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: logicalId(fn.role!) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [logicalId(stack.jobs.bucket), 'Arn'] } }),
          ]),
        },
      });
    }
  });
});

describe('the runtime composition (functions/lib/runtime.ts)', () => {
  /** The modules esbuild puts in a function's bundle, found here apart from the stack's own wiring. */
  const bundled = new Map<string, string[]>();
  const modulesOf = (fn: LambdaFunction): string[] => {
    if (!bundled.has(fn.entryFile)) {
      const { metafile } = buildSync({ entryPoints: [fn.entryFile], absWorkingDir: REPO_ROOT, bundle: true, packages: 'external', platform: 'node', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
      bundled.set(fn.entryFile, Object.keys(metafile!.inputs));
    }
    return bundled.get(fn.entryFile)!;
  };
  const reaches = (fn: LambdaFunction, port: PortName) => modulesOf(fn).includes(RUNTIME_PORTS[port].module);
  const statementsOf = (fn: LambdaFunction) =>
    Object.values(resourcesOf('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(JSON.stringify({ Ref: logicalId(fn.role!) })))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
  const invokesWorker = (fn: LambdaFunction) =>
    statementsOf(fn).some((statement) => statement.Action === 'lambda:InvokeFunction' && JSON.stringify(statement.Resource).includes(':function:contacts-acme-job-worker'));

  it('runs every function in the AWS composition (RUNTIME=aws), where a missing variable fails the cold start', () => {
    for (const [id, fn] of projectFunctions()) {
      const variables = fn.Properties.Environment.Variables;
      expect(variables.RUNTIME, id).toBe('aws');
      // AWS_REGION is Lambda's own; the stack gives the rest.
      for (const name of AWS_CONFIG_ENV.filter((name) => name !== 'AWS_REGION')) expect(variables[name], `${id} ${name}`).toBeDefined();
    }
  });

  it('gives every function that can hand a job over the worker\'s name and the right to invoke it, and no other function', () => {
    const functions = functionsIn(stack);
    const starters = functions.filter((fn) => reaches(fn, 'jobWorker'));
    // The catalog's fan-out jobs hand over like the jobs API's; resume-jobs restarts, the worker continues.
    expect(starters).toEqual(expect.arrayContaining([stack.api.handlers.catalog, stack.api.handlers.jobs, stack.schedules.handlerFor('resume-jobs'), stack.jobs.worker]));
    for (const fn of functions) {
      const can = starters.includes(fn);
      expect(envOf(fn).JOB_WORKER_FUNCTION, fn.entryFile).toEqual(can ? 'contacts-acme-job-worker' : undefined);
      expect(invokesWorker(fn), fn.entryFile).toBe(can);
    }
  });

  it('gives each function the variables of exactly the ports its code reaches, naming this stack\'s resources', () => {
    const values: Record<string, unknown> = {
      JOB_WORKER_FUNCTION: 'contacts-acme-job-worker',
      EVENT_BUS_NAME: { Ref: logicalId(stack.messaging.bus) },
      BLOB_BUCKET: { Ref: logicalId(stack.jobs.bucket) },
      USER_POOL_ID: { Ref: logicalId(stack.auth.userPool) },
    };
    expect(Object.values(RUNTIME_PORTS).flatMap((port) => port.env).sort()).toEqual(Object.keys(values).sort());
    for (const fn of functionsIn(stack)) {
      for (const port of Object.keys(RUNTIME_PORTS) as PortName[]) {
        for (const name of RUNTIME_PORTS[port].env) expect(envOf(fn)[name], `${fn.entryFile} ${name}`).toEqual(reaches(fn, port) ? values[name] : undefined);
      }
    }
    expect(reaches(stack.api.handlers.analytics, 'blobs')).toBe(false);
  });
});

describe('stream processor', () => {
  it('reads the table stream in batches with partial failures, bisect, bounded retries and an on-failure queue', () => {
    const mappings = Object.values(resourcesOf('AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(1);
    const [mapping] = mappings;
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.data.table), 'StreamArn'] },
      FunctionName: { Ref: logicalId(stack.streamProcessor.handler) },
      BatchSize: 5000,
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      ParallelizationFactor: 1,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack.streamProcessor.onFailureQueue), 'Arn'] } } },
    });
    expect(mapping.Properties.MaximumRetryAttempts).toBeGreaterThanOrEqual(1);
    expect(mapping.Properties.MaximumRetryAttempts).toBeLessThanOrEqual(10);
    expect(mapping.Properties.MaximumRecordAgeInSeconds).toBeGreaterThan(0);
    expect(mapping.Properties.MaximumBatchingWindowInSeconds).toBeGreaterThan(0);
    // Only records a processor reads reach the function: the same patterns the local poller applies.
    expect(mapping.Properties.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern))).toEqual(STREAM_FILTERS);
  });

  it('keeps failed records in an encrypted, TLS-only queue with an alarm on its depth', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack.streamProcessor.onFailureQueue), 'QueueName'] } }],
      Threshold: 1,
    });
  });
});

describe('schedules', () => {
  it('has one rule per entry of SCHEDULES, every everyMinutes minutes or on its expression, targeting its own function', () => {
    const rules = Object.values(resourcesOf('AWS::Events::Rule'));
    const continued = SCHEDULES.filter((s) => s.continueEveryMinutes !== undefined);
    expect(rules).toHaveLength(SCHEDULES.length + continued.length);
    for (const schedule of SCHEDULES) {
      const expression =
        schedule.everyMinutes !== undefined ? Schedule.rate(Duration.minutes(schedule.everyMinutes)).expressionString : scheduleExpressionOf(schedule, 'America/Sao_Paulo');
      const handlerId = logicalId(stack.schedules.handlers[schedule.name]);
      const mine = rules.filter((candidate) => candidate.Properties.Targets[0].Arn['Fn::GetAtt'][0] === handlerId);
      const rule = mine.find((candidate) => candidate.Properties.Targets[0].Input === undefined);
      expect(rule?.Properties.ScheduleExpression, schedule.name).toBe(expression);
      expect(rule?.Properties.State).toBe('ENABLED');
      if (schedule.continueEveryMinutes !== undefined) {
        const next = mine.find((candidate) => candidate.Properties.Targets[0].Input !== undefined);
        expect(next?.Properties.ScheduleExpression).toBe(Schedule.rate(Duration.minutes(schedule.continueEveryMinutes)).expressionString);
        expect(JSON.parse(next?.Properties.Targets[0].Input)).toEqual(CONTINUE_EVENT);
      }
    }
  });

  it('reconciles nightly at 03:00 in the tenant timezone unless the reconcileSchedule setting says otherwise', () => {
    expect(scheduleExpressionOf(SCHEDULES.find((s) => s.name === 'reconcile')!, 'America/Sao_Paulo')).toBe('cron(0 6 * * ? *)');
    const custom = Template.fromStack(aTenantApp({ context: { reconcileSchedule: 'cron(30 2 ? * SUN *)' } }).stack);
    expect(Object.values(custom.findResources('AWS::Events::Rule')).map((r) => r.Properties.ScheduleExpression)).toContain('cron(30 2 ? * SUN *)');
    expect(() => aTenantApp({ context: { reconcileSchedule: 'cron(0 3 * * * *)' } })).toThrow(/reconcileSchedule/);
  });
});

describe('auth', () => {
  it('has a user pool without self sign-up, with a strong password policy, MFA and threat protection', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true }) },
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
    template.hasResource('AWS::Cognito::UserPool', { DeletionPolicy: 'Retain' });
  });

  it('has one group per role: admin, operator, agent', () => {
    const groups = Object.values(resourcesOf('AWS::Cognito::UserPoolGroup')).map((group) => group.Properties.GroupName);
    expect(groups.sort()).toEqual([...ROLES].sort());
    expect(groups.sort()).toEqual(['admin', 'agent', 'operator']);
  });

  it('has a public SPA client using the authorization code flow, calling back to CloudFront only (localhost needs devCallbacks)', () => {
    const cloudFront = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(stack.web.distribution), 'DomainName'] }, '/']] };
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: Match.arrayWith(['openid']),
      CallbackURLs: [cloudFront],
      SupportedIdentityProviders: ['COGNITO'],
    });
  });

  it('has a managed login domain prefixed with the tenant name', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: { 'Fn::Join': ['', ['acme-contacts-', { Ref: 'AWS::AccountId' }]] },
      ManagedLoginVersion: 2,
    });
    template.resourceCountIs('AWS::Cognito::ManagedLoginBranding', 1);
  });
});

describe('web hosting', () => {
  it('serves a private, TLS-only bucket through CloudFront with origin access control', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        Origins: [Match.objectLike({ OriginAccessControlId: { 'Fn::GetAtt': [Match.anyValue(), 'Id'] } })],
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'redirect-to-https',
          ResponseHeadersPolicyId: { Ref: logicalId(stack.web.responseHeadersPolicy) },
        }),
        CustomErrorResponses: [
          { ErrorCode: 403, ResponseCode: 200, ResponsePagePath: '/index.html', ErrorCachingMinTTL: 10 },
          { ErrorCode: 404, ResponseCode: 200, ResponsePagePath: '/index.html', ErrorCachingMinTTL: 10 },
        ],
        Logging: Match.objectLike({ Bucket: Match.anyValue() }),
      }),
    });
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(stack.web.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject' }),
        ]),
      },
    });
  });

  it('sends security headers: HSTS, CSP naming the API and login origins, nosniff, DENY framing, referrer policy', () => {
    const policy = Object.values(resourcesOf('AWS::CloudFront::ResponseHeadersPolicy'))[0];
    const headers = policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(headers.StrictTransportSecurity).toMatchObject({ AccessControlMaxAgeSec: 63_072_000, IncludeSubdomains: true, Override: true });
    expect(headers.ContentTypeOptions).toEqual({ Override: true });
    expect(headers.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(headers.ReferrerPolicy).toEqual({ ReferrerPolicy: 'same-origin', Override: true });
    const csp = JSON.stringify(stack.resolve(headers.ContentSecurityPolicy.ContentSecurityPolicy));
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/connect-src 'self' https:\/\/\*\.execute-api\./);
    expect(csp).toContain('.amazoncognito.com');
  });

  it('deploys the SPA with a runtime config.json naming the API, user pool, client and login domain', () => {
    const deployments = Object.values(resourcesOf('Custom::CDKBucketDeployment'));
    expect(deployments).toHaveLength(1);
    const [deployment] = deployments;
    // The build without its index.html (when there is a build), index.html with its pinned CSP, config.json.
    expect(deployment.Properties.SourceObjectKeys).toHaveLength(existsSync(join('web', 'dist', 'index.html')) ? 3 : 2);
    expect(deployment.Properties.DistributionPaths).toEqual(['/*']);
    const markers: Record<string, unknown> = deployment.Properties.SourceMarkers.at(-1);
    const configDir = readdirSync(assemblyDir).find((name) => existsSync(join(assemblyDir, name, 'config.json')));
    const raw = readFileSync(join(assemblyDir, configDir!, 'config.json'), 'utf8');
    // Deploy-time values travel as markers the deployment replaces; show them as what they resolve to.
    const config = JSON.parse(raw.replace(/<<marker:0xbaba:\d+>>/g, (marker) => `{${JSON.stringify(markers[marker]).replace(/"/g, "'")}}`));
    expect(config).toEqual({
      apiUrl: `https://{{'Ref':'${logicalId(stack.api.httpApi)}'}}.execute-api.{{'Ref':'AWS::Region'}}.{{'Ref':'AWS::URLSuffix'}}`,
      region: "{{'Ref':'AWS::Region'}}",
      tenant: 'acme',
      timezone: 'America/Sao_Paulo',
      defaultPhoneRegion: 'BR',
      auth: {
        mode: 'cognito',
        userPoolId: `{{'Ref':'${logicalId(stack.auth.userPool)}'}}`,
        clientId: `{{'Ref':'${logicalId(stack.auth.client)}'}}`,
        domain: "https://acme-contacts-{{'Ref':'AWS::AccountId'}}.auth.{{'Ref':'AWS::Region'}}.amazoncognito.com",
        redirectUri: `https://{{'Fn::GetAtt':['${logicalId(stack.web.distribution)}','DomainName']}}/`,
      },
    });
  });
});

describe('jobs and messaging', () => {
  it('keeps imports and exports in a private, TLS-only bucket that expires them after 7 days and logs access', () => {
    const blobs = resourcesOf('AWS::S3::Bucket')[logicalId(stack.jobs.bucket)];
    expect(blobs.Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: 'imports/', ExpirationInDays: 7, Status: 'Enabled' }),
        expect.objectContaining({ Prefix: 'exports/', ExpirationInDays: 7, Status: 'Enabled' }),
      ]),
    );
    expect(blobs.Properties.LoggingConfiguration).toMatchObject({ DestinationBucketName: { Ref: logicalId(stack.accessLogs.bucket) } });
    expect(blobs.Properties.BucketEncryption).toBeDefined();
    template.hasResource('AWS::S3::Bucket', { Properties: Match.objectLike({ LifecycleConfiguration: Match.anyValue() }), DeletionPolicy: 'Retain' });
  });

  it('has an event bus the contacts function may put dispatches on', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack.api.handlers.contacts.role!) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [logicalId(stack.messaging.bus), 'Arn'] } }),
        ]),
      },
    });
  });
});
