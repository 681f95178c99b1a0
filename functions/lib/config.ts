import { randomBytes } from 'node:crypto';

/**
 * Configuration read from the environment once, at cold start. A missing
 * required variable fails the function at start-up, not on a request.
 */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`missing required environment variable ${name}`);
  return value;
}

export interface Config {
  /** DynamoDB table name. */
  readonly tableName: string;
  /** Custom DynamoDB endpoint (DynamoDB Local); unset in AWS. */
  readonly dynamoEndpoint?: string;
  readonly region: string;
  readonly tenant: string;
  /** IANA timezone for day buckets and heatmaps. @default America/Sao_Paulo */
  readonly timezone: string;
  /** Default region for phone numbers written without a country code. @default BR */
  readonly defaultPhoneRegion: string;
  /** S3 bucket for imports and exports; unset locally, where BLOB_DIR is used. */
  readonly blobBucket?: string;
  readonly blobDir?: string;
  /** Job worker function name (AWS); locally the host registers an in-process invoker. */
  readonly jobWorkerFunction?: string;
  /** EventBridge bus for queued dispatches (AWS); unset locally. */
  readonly eventBusName?: string;
  /** `comprehend` in AWS, `lexicon` (in-process) by default. */
  readonly sentimentProvider: 'comprehend' | 'lexicon';
  /** Cognito user pool of the staff, where names are read (./user-directory.ts); unset locally. */
  readonly userPoolId?: string;
}

let cached: Config | undefined;
let cachedCursorSecret: string | undefined;

export function config(): Config {
  if (cached) return cached;
  cached = {
    tableName: required('TABLE_NAME'),
    dynamoEndpoint: process.env.DYNAMODB_ENDPOINT || undefined,
    region: process.env.AWS_REGION || 'us-east-1',
    tenant: process.env.TENANT || 'demo',
    timezone: process.env.TENANT_TIMEZONE || 'America/Sao_Paulo',
    defaultPhoneRegion: process.env.DEFAULT_PHONE_REGION || 'BR',
    blobBucket: process.env.BLOB_BUCKET || undefined,
    blobDir: process.env.BLOB_DIR || undefined,
    jobWorkerFunction: process.env.JOB_WORKER_FUNCTION || undefined,
    eventBusName: process.env.EVENT_BUS_NAME || undefined,
    sentimentProvider: process.env.SENTIMENT_PROVIDER === 'comprehend' ? 'comprehend' : 'lexicon',
    userPoolId: process.env.USER_POOL_ID || undefined,
  };
  return cached;
}

/**
 * Key that signs pagination cursors (./cursor.ts), one per stack, apart
 * from config() so that code paging without a table (unit tests) needs no
 * TABLE_NAME. Required in Lambda; elsewhere a random key per process serves,
 * since the cursors it signs never leave the process (the local stack sets one).
 */
export function cursorSecret(): string {
  cachedCursorSecret ??= process.env.CURSOR_SECRET || (process.env.AWS_LAMBDA_FUNCTION_NAME ? required('CURSOR_SECRET') : randomBytes(32).toString('base64url'));
  return cachedCursorSecret;
}

/** Tests and the local host reset configuration after changing the environment. */
export function resetConfig(): void {
  cached = undefined;
  cachedCursorSecret = undefined;
}
