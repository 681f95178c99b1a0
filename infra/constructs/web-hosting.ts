import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfnResource, DefaultStackSynthesizer, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  type GeoRestriction,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, type IBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, type ISource, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { REPO_ROOT } from './lambda-function.js';

export interface WebHostingProps {
  readonly tenant: string;
  /** Bucket receiving the site bucket's server access logs and CloudFront's standard logs. */
  readonly accessLogsBucket: IBucket;
  /** Origins the SPA may call (CSP connect-src): the API, the login domain, Cognito's API. */
  readonly connectSources: string[];
  /** Custom domain for the SPA. @default - the CloudFront domain only */
  readonly domainName?: string;
  /** ACM certificate in us-east-1 covering `domainName`. Required with `domainName`. */
  readonly certificateArn?: string;
  /** A WAFv2 web ACL (CLOUDFRONT scope, us-east-1) to attach. @default - none */
  readonly webAclArn?: string;
  /** @default - no geographic restriction */
  readonly geoRestriction?: GeoRestriction;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** What the SPA reads from `/config.json` at start-up (written at deploy time). */
export interface RuntimeConfig {
  readonly apiUrl: string;
  readonly region: string;
  readonly tenant: string;
  readonly timezone: string;
  /** Region for phone numbers typed without a country code. */
  readonly defaultPhoneRegion: string;
  readonly auth: {
    readonly mode: 'cognito';
    readonly userPoolId: string;
    readonly clientId: string;
    /** Managed login base URL: `https://<prefix>.auth.<region>.amazoncognito.com`. */
    readonly domain: string;
    readonly redirectUri: string;
  };
}

export interface DeploySiteOptions {
  readonly runtimeConfig: RuntimeConfig;
  /**
   * Where the SPA may connect, pinned to this stack's hosts (the API, the
   * login domain, Cognito's API): a CSP `<meta>` in the deployed index.html
   * narrows the header's connect-src (see the constructor) to exactly these.
   */
  readonly connectSources: string[];
  /** Built SPA; a placeholder page is deployed when it does not exist. @default `<repo>/web/dist` */
  readonly siteDir?: string;
}

/**
 * The SPA: a private bucket served only through CloudFront (origin access
 * control), security response headers, SPA fallback to index.html, and the
 * deployment of the built site plus its runtime `config.json`.
 */
export class WebHosting extends Construct {
  public readonly bucket: Bucket;
  public readonly distribution: Distribution;
  public readonly responseHeadersPolicy: ResponseHeadersPolicy;
  /** The SPA origin, without a trailing slash: `https://<domain>`. */
  public readonly url: string;
  /** Every origin the SPA is served from (CloudFront domain and custom domain). */
  public readonly origins: string[];
  private siteDeployment?: BucketDeployment;

  constructor(scope: Construct, id: string, props: WebHostingProps) {
    super(scope, id);
    if (props.domainName && !props.certificateArn) throw new Error('WebHosting: domainName needs certificateArn');

    this.bucket = new Bucket(this, 'SiteBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'site/',
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    // connect-src here is as narrow as a header can be: the distribution exists before the
    // API, whose CORS names the distribution's origin, so the header cannot name the API's
    // host without a dependency cycle. index.html pins it (deploySite's connectSources).
    const csp = [
      "default-src 'self'",
      "script-src 'self'",
      // Svelte transitions and style: directives write inline styles.
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data: blob:",
      "font-src 'self' data:",
      `connect-src 'self' ${props.connectSources.join(' ')}`,
      "object-src 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
      'upgrade-insecure-requests',
    ].join('; ');

    this.responseHeadersPolicy = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: `Security headers of the ${props.tenant} contact base SPA`,
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: csp, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.SAME_ORIGIN, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=()', override: true },
        ],
      },
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: `Contact base SPA of tenant ${props.tenant}`,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
        compress: true,
      },
      defaultRootObject: 'index.html',
      // Client-side routes (/contacts/123) are not objects: S3 answers 403 through
      // OAC (no ListBucket), 404 otherwise; both serve the app shell.
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 200,
        responsePagePath: '/index.html',
        ttl: Duration.seconds(10),
      })),
      httpVersion: HttpVersion.HTTP2_AND_3,
      domainNames: props.domainName ? [props.domainName] : undefined,
      certificate: props.certificateArn ? Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn) : undefined,
      minimumProtocolVersion: props.certificateArn ? SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      enableLogging: true,
      logBucket: props.accessLogsBucket,
      logFilePrefix: 'cloudfront/',
      webAclId: props.webAclArn,
      geoRestriction: props.geoRestriction,
    });

    const cloudFrontUrl = `https://${this.distribution.distributionDomainName}`;
    this.url = props.domainName ? `https://${props.domainName}` : cloudFrontUrl;
    this.origins = props.domainName ? [this.url, cloudFrontUrl] : [cloudFrontUrl];

    if (!props.domainName) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason: 'Without a custom domain the distribution uses the default *.cloudfront.net certificate, whose security policy CloudFront fixes; deploy with -c domain=... -c certificateArn=... to enforce TLSv1.2_2021.',
      });
    }
    if (!props.webAclArn) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR2',
        reason: 'The distribution serves only the static SPA (no data, no API); every API call is authorized by Cognito JWTs and throttled at API Gateway. A web ACL can be attached per tenant with the webAclArn prop.',
      });
    }
    if (!props.geoRestriction) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR1',
        reason: "Tenant staff sign in from wherever they work; access is controlled by Cognito (MFA, threat protection), not geography. A tenant can set the geoRestriction prop.",
      });
    }
  }

  /** The site upload, once deploySite() has run. */
  public get deployment(): BucketDeployment | undefined {
    return this.siteDeployment;
  }

  /**
   * Uploads the built SPA (or a placeholder) with the runtime config.json, and
   * invalidates CloudFront so a deploy is visible at once.
   */
  public deploySite(options: DeploySiteOptions): BucketDeployment {
    if (this.siteDeployment) throw new Error('WebHosting: deploySite() called twice');
    const siteDir = options.siteDir ?? join(REPO_ROOT, 'web', 'dist');
    const built = existsSync(join(siteDir, 'index.html'));
    // index.html goes apart from the rest of the build, with the pinned connect-src written in at deploy time.
    const sources: ISource[] = [
      ...(built ? [Source.asset(siteDir, { exclude: ['index.html'] })] : []),
      Source.data('index.html', withConnectPolicy(built ? readFileSync(join(siteDir, 'index.html'), 'utf8') : PLACEHOLDER_PAGE, options.connectSources)),
    ];

    // The deployment handler gets its own role: log writes to its own log group
    // instead of AWSLambdaBasicExecutionRole, plus the grants BucketDeployment adds.
    const logGroup = new LogGroup(this, 'DeploymentLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const role = new Role(this, 'DeploymentRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Copies the SPA into its bucket and invalidates CloudFront',
    });
    role.addToPolicy(new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));

    this.siteDeployment = new BucketDeployment(this, 'Deployment', {
      sources: [...sources, Source.jsonData('config.json', options.runtimeConfig)],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      // index.html and config.json must never be served stale after a deploy;
      // hashed assets revalidate cheaply (304) under no-cache.
      cacheControl: [CacheControl.noCache()],
      prune: true,
      retainOnDelete: true,
      memoryLimit: 512,
      outputObjectKeys: false,
      role,
      logGroup,
    });
    this.acknowledgeDeploymentFindings(role);
    return this.siteDeployment;
  }

  private acknowledgeDeploymentFindings(role: Role): void {
    const stack = Stack.of(this);
    const siteBucketId = stack.getLogicalId(this.bucket.node.defaultChild as CfnResource);
    // cdk-nag names a finding by the flattened ARN: pseudo parameters as <AWS::...>.
    const flat = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
    const qualifier = stack.synthesizer.bootstrapQualifier ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    const assetBucket = `cdk-${qualifier}-assets-${flat(stack.account, 'AWS::AccountId')}-${flat(stack.region, 'AWS::Region')}`;
    const acks: [string, string][] = [
      ['Action::s3:GetObject*', 'BucketDeployment reads the CDK asset zip and copies objects with their metadata (grant generated by the construct).'],
      ['Action::s3:GetBucket*', 'BucketDeployment inspects the asset and site buckets (grant generated by the construct).'],
      ['Action::s3:List*', 'BucketDeployment lists the site bucket to prune files that are no longer part of the build.'],
      ['Action::s3:DeleteObject*', 'BucketDeployment prunes outdated files of the site bucket.'],
      ['Action::s3:Abort*', 'BucketDeployment aborts its own failed multipart uploads.'],
      [`Resource::<${siteBucketId}.Arn>/*`, 'The deployment writes any key of the site bucket: the SPA build.'],
      [
        `Resource::arn:<AWS::Partition>:s3:::${assetBucket}/*`,
        'Read access to the CDK bootstrap asset bucket, where the site zip is uploaded.',
      ],
      ['Resource::*', 'cloudfront:CreateInvalidation/GetInvalidation are granted on "*" by BucketDeployment; the handler only invalidates this distribution.'],
    ];
    for (const [finding, reason] of acks) Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });

    // The handler is a stack-wide singleton that aws-cdk-lib creates and versions.
    for (const child of stack.node.children) {
      if (child.node.id.startsWith('Custom::CDKBucketDeployment')) {
        Validations.of(child).acknowledge({
          id: 'AwsSolutions-L1',
          reason: "BucketDeployment's handler is a Python function provided and pinned by aws-cdk-lib (it runs the AWS CLI layer); its runtime moves with aws-cdk-lib upgrades, not with this project.",
        });
      }
    }
  }
}

/**
 * index.html with a CSP `<meta>` whose connect-src names exactly `sources`
 * (besides 'self'), first in `<head>` so it binds every script. A browser
 * enforces every policy it is given, so connections must satisfy both this
 * one and the header's.
 */
export function withConnectPolicy(html: string, sources: readonly string[]): string {
  const meta = `<meta http-equiv="Content-Security-Policy" content="connect-src 'self' ${sources.join(' ')}">`;
  if (!/<head[^>]*>/i.test(html)) throw new Error('WebHosting: index.html has no <head>');
  return html.replace(/<head[^>]*>/i, (head) => `${head}\n    ${meta}`);
}

const PLACEHOLDER_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Contact base</title></head>
<body><p>The web app was not built when this stack was deployed. Run <code>npm run build:web</code> and deploy again.</p></body></html>
`;
