import { randomBytes } from 'node:crypto';
import { isAws, requiredEnv } from './runtime.js';

/**
 * Configuration read from the environment once. With RUNTIME=aws (./runtime.ts)
 * the variables the CDK sets are required and checked at cold start; the
 * local stack and the tests fall back to the local defaults below. The
 * services beyond the table (job worker, event bus, blobs, user pool) are
 * the runtime composition's ports, not configuration.
 */
export interface Config {
  /** DynamoDB table name. */
  readonly tableName: string;
  /** Custom DynamoDB endpoint (DynamoDB Local); unset in AWS. */
  readonly dynamoEndpoint?: string;
  readonly region: string;
  readonly tenant: string;
  /** IANA timezone for day buckets and heatmaps. @default America/Sao_Paulo (locally) */
  readonly timezone: string;
  /** Default region for phone numbers written without a country code. @default BR (locally) */
  readonly defaultPhoneRegion: string;
  /** `comprehend` in AWS, `lexicon` (in-process) by default. */
  readonly sentimentProvider: 'comprehend' | 'lexicon';
  /** Days a deleted contact stays in the recycle bin before the purge schedule removes it (RECYCLE_DAYS, 1-365). @default 30 */
  readonly recycleDays: number;
}

/** RECYCLE_DAYS as the tenant setting allows it (1-365); anything else is the default, 30. */
function recycleDaysOf(value: string | undefined): number {
  const days = Number(value);
  return Number.isInteger(days) && days >= 1 && days <= 365 ? days : 30;
}

/**
 * What the stack gives every function (infra/constructs/lambda-function.ts;
 * AWS_REGION is Lambda's own). Locally each has a default, so in AWS a
 * missing one fails the cold start instead of quietly defaulting. A missing
 * TABLE_NAME needs no such check: nothing defaults it.
 */
export const AWS_CONFIG_ENV = ['AWS_REGION', 'TENANT', 'TENANT_TIMEZONE', 'DEFAULT_PHONE_REGION', 'SENTIMENT_PROVIDER', 'CURSOR_SECRET', 'SUPPRESSION_SECRET'] as const;
const checkAwsConfig = () => requiredEnv(AWS_CONFIG_ENV, 'every function, functions/lib/config.ts');

let cached: Config | undefined;
let cachedCursorSecret: string | undefined;
let cachedSuppressionSecret: string | undefined;
let cachedStatePacking: boolean | undefined;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`missing required environment variable ${name}`);
  return value;
}

export function config(): Config {
  if (cached) return cached;
  if (isAws()) checkAwsConfig();
  cached = {
    tableName: required('TABLE_NAME'),
    dynamoEndpoint: process.env.DYNAMODB_ENDPOINT || undefined,
    region: process.env.AWS_REGION || 'us-east-1',
    tenant: process.env.TENANT || 'demo',
    timezone: process.env.TENANT_TIMEZONE || 'America/Sao_Paulo',
    defaultPhoneRegion: process.env.DEFAULT_PHONE_REGION || 'BR',
    sentimentProvider: process.env.SENTIMENT_PROVIDER === 'comprehend' ? 'comprehend' : 'lexicon',
    recycleDays: recycleDaysOf(process.env.RECYCLE_DAYS),
  };
  return cached;
}

/**
 * Key that signs pagination cursors (./cursor.ts), one per stack, apart
 * from config() so that code paging without a table (unit tests) needs no
 * TABLE_NAME. Required in AWS; elsewhere a random key per process serves,
 * since the cursors it signs never leave the process (the local stack sets one).
 */
export function cursorSecret(): string {
  cachedCursorSecret ??= process.env.CURSOR_SECRET || (isAws() ? required('CURSOR_SECRET') : randomBytes(32).toString('base64url'));
  return cachedCursorSecret;
}

/**
 * Key of the suppression list's hashes (functions/privacy/suppression-check.ts):
 * a suppressed phone or email is stored only as HMAC-SHA256 under it, so
 * the table alone cannot tell which value it was. One per tenant stack and
 * kept for the table's life (a new key makes every stored suppression
 * unmatchable). Required in AWS; locally the host keeps one in its data
 * directory, and elsewhere a random key per process serves (in-memory runs).
 */
export function suppressionSecret(): string {
  cachedSuppressionSecret ??= process.env.SUPPRESSION_SECRET || (isAws() ? required('SUPPRESSION_SECRET') : randomBytes(32).toString('base64url'));
  return cachedSuppressionSecret;
}

/**
 * Whether the analytics stream writes activity states with their count maps
 * packed (functions/data/activity-state.ts): ANALYTICS_STATE_PACKING, the
 * tenant setting analyticsStatePacking. `off` writes them as plain maps, as
 * before packing, which code from before it reads (the first deploy of an
 * upgrade, so a rollback is harmless); anything else is the default, on.
 * Apart from config(), as the secrets are, so that writing a state without
 * a table (unit tests) needs no TABLE_NAME.
 */
export function analyticsStatePacking(): boolean {
  cachedStatePacking ??= process.env.ANALYTICS_STATE_PACKING !== 'off';
  return cachedStatePacking;
}

/** Tests and the local host reset configuration after changing the environment. */
export function resetConfig(): void {
  cached = undefined;
  cachedCursorSecret = undefined;
  cachedSuppressionSecret = undefined;
  cachedStatePacking = undefined;
}

// Cold start in AWS: a function missing a variable fails here, before its first request.
if (isAws()) checkAwsConfig();
