import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  CfnStage,
  HttpStage,
  LogGroupLogDestination,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HTTP_AREAS, ROUTES, routeKey, type HttpArea } from '../../functions/http/routes.js';
import { type FunctionDefaults, LambdaFunction, type TableAccess } from './lambda-function.js';

export interface ApiProps {
  readonly table: ITable;
  readonly defaults: FunctionDefaults;
  /** Issuer of the JWTs the API accepts (the user pool's provider URL). */
  readonly jwtIssuer: string;
  /** Accepted token audience / client_id: the SPA's app client. */
  readonly jwtAudience: string[];
  /** Browser origins allowed by CORS: the SPA's origin(s) only. */
  readonly allowedOrigins: string[];
  /**
   * Stage-wide throttling. A tenant's staff plus one integration pushing event
   * batches stay well below this; it caps the cost of a runaway client.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly throttle?: ThrottleSettings;
  /**
   * Throttling of the routes integrations call with an API key (`POST
   * /v1/events`), a bucket of their own: anyone may call them, so a flood of
   * bad keys is cut off here, before it reaches the function, and cannot
   * spend the staff routes' budget. One call carries up to 500 events, so
   * this is still 10,000 events a second.
   * @default { rateLimit: 20, burstLimit: 40 }
   */
  readonly apiKeyThrottle?: ThrottleSettings;
  /**
   * Table access per area. Everything writes except the analytics panel
   * and the audit log's reader; the OpenAPI document needs no table.
   * @default readWrite for every area but analytics and audit (read) and openapi (none)
   */
  readonly tableAccess?: Partial<Record<HttpArea, TableAccess | 'none'>>;
  /** @default RetentionDays.THREE_MONTHS */
  readonly accessLogRetention?: RetentionDays;
}

const DEFAULT_TABLE_ACCESS: Record<HttpArea, TableAccess | 'none'> = {
  contacts: 'readWrite',
  catalog: 'readWrite',
  jobs: 'readWrite',
  events: 'readWrite',
  integrations: 'readWrite',
  analytics: 'read',
  merge: 'readWrite',
  privacy: 'readWrite',
  audit: 'read',
  openapi: 'none',
};

/**
 * The HTTP API: one route per entry of ROUTES, one Lambda per area
 * (`functions/http/<area>.ts`), a Cognito JWT authorizer on every `jwt`
 * route, throttling and JSON access logs on the `$default` stage.
 */
export class Api extends Construct {
  public readonly httpApi: HttpApi;
  public readonly stage: HttpStage;
  public readonly authorizer: HttpJwtAuthorizer;
  public readonly handlers: Record<HttpArea, LambdaFunction>;
  public readonly accessLogs: LogGroup;
  /** Base URL, ending without a slash: `https://<id>.execute-api.<region>.amazonaws.com`. */
  public readonly url: string;

  /** Pattern matching any HTTP API endpoint of the stack's region (for CSP, where a reference would be circular). */
  public static endpointPattern(scope: Construct): string {
    return `https://*.execute-api.${Stack.of(scope).region}.${Stack.of(scope).urlSuffix}`;
  }

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);

    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `contacts-${props.defaults.tenant}`,
      description: `Contact base API of tenant ${props.defaults.tenant}`,
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: props.allowedOrigins,
        allowMethods: [
          CorsHttpMethod.GET,
          CorsHttpMethod.POST,
          CorsHttpMethod.PUT,
          CorsHttpMethod.PATCH,
          CorsHttpMethod.DELETE,
          CorsHttpMethod.OPTIONS,
        ],
        allowHeaders: ['authorization', 'content-type'],
        maxAge: Duration.hours(1),
      },
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latency: '$context.responseLatency',
            integrationLatency: '$context.integration.latency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            sub: '$context.authorizer.claims.sub',
            userAgent: '$context.identity.userAgent',
          }),
        ),
      },
    });
    this.url = `https://${this.httpApi.apiId}.execute-api.${Stack.of(this).region}.${Stack.of(this).urlSuffix}`;

    this.authorizer = new HttpJwtAuthorizer('CognitoJwt', props.jwtIssuer, {
      authorizerName: 'cognito-jwt',
      jwtAudience: props.jwtAudience,
      identitySource: ['$request.header.Authorization'],
    });

    const tableAccess = { ...DEFAULT_TABLE_ACCESS, ...props.tableAccess };
    this.handlers = Object.fromEntries(
      HTTP_AREAS.map((area) => {
        const fn = new LambdaFunction(this, `Http-${area}`, {
          entry: `functions/http/${area}.ts`,
          defaults: props.defaults,
          description: `HTTP API, ${area} routes (${props.defaults.tenant})`,
        });
        const access = tableAccess[area];
        // Every function shares the tenant environment (TABLE_NAME included); one that reads no table gets no grant.
        if (access === 'none') fn.addEnvironment('TABLE_NAME', props.table.tableName);
        else fn.bindTable({ table: props.table, access });
        return [area, fn];
      }),
    ) as Record<HttpArea, LambdaFunction>;

    // One API-scoped invoke permission per function instead of one per route
    // (every route): the API only carries the routes declared below.
    const integrations = Object.fromEntries(
      HTTP_AREAS.map((area) => [
        area,
        new HttpLambdaIntegration(`${area}-integration`, this.handlers[area], { scopePermissionToRoute: false }),
      ]),
    ) as Record<HttpArea, HttpLambdaIntegration>;

    const noAuthorizer = new HttpNoneAuthorizer();
    const apiKeyThrottle = props.apiKeyThrottle ?? { rateLimit: 20, burstLimit: 40 };
    // RouteSettings is plain JSON to the L1 construct: its keys go to CloudFormation as written.
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const route of ROUTES) {
      const [httpRoute] = this.httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: integrations[route.area],
        authorizer: route.auth === 'jwt' ? this.authorizer : noAuthorizer,
      });
      if (route.auth === 'none') {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${route.method} ${route.path} is public by contract (API.md "Machine-readable contract"): it answers the API's OpenAPI document, the same for every caller, reads no table and takes no input.`,
        });
      }
      if (route.auth === 'apiKey') {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${route.method} ${route.path} is called by the messaging platform, not by a signed-in user: the function authenticates the x-api-key header against the tenant's hashed API keys before reading the body.`,
        });
        routeSettings[routeKey(route)] = { ThrottlingRateLimit: apiKeyThrottle.rateLimit!, ThrottlingBurstLimit: apiKeyThrottle.burstLimit! };
        // API Gateway refuses settings for a route the API does not have yet.
        this.stage.node.addDependency(httpRoute);
      }
    }
    (this.stage.node.defaultChild as CfnStage).routeSettings = routeSettings;
  }
}
