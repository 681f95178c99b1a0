import type { Node } from 'constructs';
import { parseScheduleExpression, ScheduleExpressionError } from '../../functions/scheduled/schedule-expression.js';

/**
 * Per-tenant deployment settings: an entry of the tenants file
 * (../tenants-file.ts) or, for one tenant, CDK context
 * (`cdk deploy -c tenant=acme -c timezone=America/Bogota`), with the same
 * keys (SETTING_KEYS) either way.
 */
export interface TenantSettings {
  /** Tenant name: lower-case letters, digits and hyphens, 2-31 characters, starting with a letter. */
  readonly tenant: string;
  /** IANA timezone for day buckets and heatmaps. @default America/Sao_Paulo */
  readonly timezone: string;
  /** Region (ISO 3166-1 alpha-2) for phone numbers written without a country code. @default BR */
  readonly phoneRegion: string;
  /** Custom domain for the SPA (needs `certificateArn`, an ACM certificate in us-east-1). @default - the CloudFront domain */
  readonly domain?: string;
  /** ACM certificate (us-east-1) covering `domain`. */
  readonly certificateArn?: string;
  /** Extra OAuth callback URLs for the SPA app client, besides the SPA URL and localhost. @default - none */
  readonly callbackUrls: string[];
  /** Cognito managed login domain prefix. @default `<tenant>-contacts-<account id>` */
  readonly loginDomainPrefix?: string;
  /**
   * When the reconciliation runs (functions/reconcile/): an EventBridge
   * schedule expression, cron in UTC, e.g. `cron(0 6 * * ? *)` or `rate(12 hours)`.
   * @default - nightly at 03:00 in `timezone`
   */
  readonly reconcileSchedule?: string;
  /** Addresses the tenant's alarms are emailed to (key `alarmEmail`: one address or a list). @default - none */
  readonly alarmEmails: string[];
  /** Days a deleted contact stays in the recycle bin before it is purged. @default 30 */
  readonly recycleDays: number;
  /**
   * Whether the analytics stream writes activity states packed
   * (functions/data/activity-state.ts). False writes them as plain maps, the
   * form code from before packing reads: the first deploy of a tenant whose
   * stack predates packed states, so that a rollback of the stream function
   * loses no counts; set it true in a later deploy. @default true
   */
  readonly analyticsStatePacking: boolean;
  /** Rollout wave: `-c wave=N` builds the tenants of one wave; 0 is the canary. @default 1 */
  readonly wave: number;
  /** AWS account of the tenant's stack. @default - the CLI's (CDK_DEFAULT_ACCOUNT) */
  readonly account?: string;
  /** AWS region of the tenant's stack. @default - the CLI's (CDK_DEFAULT_REGION) */
  readonly region?: string;
  /**
   * An existing table the stack uses instead of its own: a point-in-time
   * restore being switched to (README, Operations). Its stream ARN comes with it.
   * @default - the stack's own table
   */
  readonly tableName?: string;
  readonly tableStreamArn?: string;
}

export const TENANT_PATTERN = /^[a-z][a-z0-9-]{1,30}$/;
const COGNITO_RESERVED = /aws|amazon|cognito/;

/** Every key of a tenant's settings, as `-c key=value` or in a tenants file entry. */
export const SETTING_KEYS: readonly string[] = [
  'tenant',
  'timezone',
  'phoneRegion',
  'domain',
  'certificateArn',
  'callbackUrls',
  'loginDomainPrefix',
  'reconcileSchedule',
  'alarmEmail',
  'recycleDays',
  'analyticsStatePacking',
  'wave',
  'account',
  'region',
  'tableName',
  'tableStreamArn',
];

/** Where settings are read from: the app's node (context) or an adapter over a file entry. */
export type SettingsSource = Pick<Node, 'tryGetContext'>;

export class TenantSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TenantSettingsError';
  }
}

function optionalString(node: SettingsSource, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new TenantSettingsError(`setting "${key}" must be a string, got ${JSON.stringify(value)}`);
  return value.trim();
}

/** `-c callbackUrls=a,b` arrives as a string; cdk.json or `--context` JSON may hold an array. */
function stringList(node: SettingsSource, key: string): string[] {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return [];
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
  if (!items || items.some((item) => typeof item !== 'string')) {
    throw new TenantSettingsError(`setting "${key}" must be a comma-separated string or a list of strings`);
  }
  return (items as string[]).map((item) => item.trim()).filter(Boolean);
}

function optionalInteger(node: SettingsSource, key: string, min: number, max: number): number | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new TenantSettingsError(`invalid ${key} ${JSON.stringify(value)}: a whole number from ${min} to ${max}`);
  return n;
}

/** `-c key=true` arrives as a string; a tenants file or cdk.json may hold a boolean. */
function optionalBoolean(node: SettingsSource, key: string): boolean | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new TenantSettingsError(`invalid ${key} ${JSON.stringify(value)}: true or false`);
}

function isTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Reads and validates the tenant settings; throws TenantSettingsError with a message meant for the operator. */
export function readTenantSettings(node: SettingsSource): TenantSettings {
  const tenant = optionalString(node, 'tenant');
  if (!tenant) {
    throw new TenantSettingsError('missing tenant: pass it as context, e.g. `npx cdk synth -c tenant=acme`');
  }
  if (!TENANT_PATTERN.test(tenant)) {
    throw new TenantSettingsError(
      `invalid tenant "${tenant}": use 2-31 lower-case letters, digits or hyphens, starting with a letter (${TENANT_PATTERN})`,
    );
  }

  const timezone = optionalString(node, 'timezone') ?? 'America/Sao_Paulo';
  if (!isTimezone(timezone)) throw new TenantSettingsError(`invalid timezone "${timezone}": use an IANA name such as America/Sao_Paulo`);

  const phoneRegion = (optionalString(node, 'phoneRegion') ?? 'BR').toUpperCase();
  if (!/^[A-Z]{2}$/.test(phoneRegion)) throw new TenantSettingsError(`invalid phoneRegion "${phoneRegion}": use an ISO 3166-1 alpha-2 code such as BR`);

  const domain = optionalString(node, 'domain')?.toLowerCase();
  const certificateArn = optionalString(node, 'certificateArn');
  if (domain && !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(domain)) {
    throw new TenantSettingsError(`invalid domain "${domain}": give a host name such as contacts.example.com`);
  }
  if (domain && !certificateArn) {
    throw new TenantSettingsError('setting "domain" needs "certificateArn": an ACM certificate in us-east-1 that covers it');
  }
  if (certificateArn && !domain) throw new TenantSettingsError('setting "certificateArn" is only used together with "domain"');

  const callbackUrls = stringList(node, 'callbackUrls');
  for (const url of callbackUrls) {
    if (!/^https:\/\/[^\s]+$|^http:\/\/localhost(:\d+)?(\/[^\s]*)?$/.test(url)) {
      throw new TenantSettingsError(`invalid callback URL "${url}": use https:// (or http://localhost for development)`);
    }
  }

  // Cognito rejects domain prefixes containing these words; fail here rather than mid-deploy.
  const loginDomainPrefix = optionalString(node, 'loginDomainPrefix');
  if (loginDomainPrefix && (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(loginDomainPrefix) || COGNITO_RESERVED.test(loginDomainPrefix))) {
    throw new TenantSettingsError(`invalid loginDomainPrefix "${loginDomainPrefix}": lower-case letters, digits and hyphens, without aws/amazon/cognito`);
  }
  if (!loginDomainPrefix && COGNITO_RESERVED.test(tenant)) {
    throw new TenantSettingsError(
      `tenant "${tenant}" contains a word Cognito forbids in login domains (aws, amazon, cognito): pass -c loginDomainPrefix=<prefix>`,
    );
  }

  const reconcileSchedule = optionalString(node, 'reconcileSchedule');
  if (reconcileSchedule) {
    try {
      parseScheduleExpression(reconcileSchedule);
    } catch (error) {
      if (!(error instanceof ScheduleExpressionError)) throw error;
      throw new TenantSettingsError(`invalid reconcileSchedule ${error.message}`);
    }
  }

  const alarmEmails = stringList(node, 'alarmEmail');
  for (const email of alarmEmails) {
    if (!/^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/.test(email)) throw new TenantSettingsError(`invalid alarmEmail "${email}": give an address such as oncall@example.com`);
  }
  const recycleDays = optionalInteger(node, 'recycleDays', 1, 365) ?? 30;
  const analyticsStatePacking = optionalBoolean(node, 'analyticsStatePacking') ?? true;
  const wave = optionalInteger(node, 'wave', 0, 99) ?? 1;
  const account = optionalString(node, 'account');
  if (account && !/^\d{12}$/.test(account)) throw new TenantSettingsError(`invalid account "${account}": a 12-digit AWS account id`);
  const region = optionalString(node, 'region');
  if (region && !/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(region)) throw new TenantSettingsError(`invalid region "${region}": an AWS region such as sa-east-1`);

  const tableName = optionalString(node, 'tableName');
  const tableStreamArn = optionalString(node, 'tableStreamArn');
  if (tableName && !/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) throw new TenantSettingsError(`invalid tableName "${tableName}": a DynamoDB table name`);
  if (!tableName !== !tableStreamArn) throw new TenantSettingsError('settings "tableName" and "tableStreamArn" go together: the restored table and its stream (aws dynamodb describe-table --query Table.LatestStreamArn)');
  const streamTable = /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/([^/]+)\/stream\/[^/]+$/.exec(tableStreamArn ?? '')?.[1];
  if (tableName && streamTable !== tableName) {
    throw new TenantSettingsError(`invalid tableStreamArn "${tableStreamArn}": the stream ARN of table ${tableName}`);
  }

  return { tenant, timezone, phoneRegion, domain, certificateArn, callbackUrls, loginDomainPrefix, reconcileSchedule, alarmEmails, recycleDays, analyticsStatePacking, wave, account, region, tableName, tableStreamArn };
}
