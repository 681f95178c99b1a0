import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { isIP } from 'node:net';
import { hostname as machineName, networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { resetConfig } from '../../functions/lib/config.js';
import { setDdbClient } from '../../functions/lib/dynamo.js';
import type { OutboundDispatch } from '../../functions/lib/outbound.js';
import { parseScheduleExpression, nextScheduleTime } from '../../functions/scheduled/schedule-expression.js';
import { CONTINUE_EVENT, SCHEDULES, scheduleExpressionOf, STREAM_PROCESSOR, type ScheduleDefinition } from '../../functions/scheduled/schedules.js';
import { DEFAULT_TIMEZONE } from '../../shared/analytics.js';
import { STREAM_FILTERS } from '../../functions/streams/filters.js';
import type { Role } from '../../shared/roles.js';
import { isPortFree, LocalStartError, startDynamoLocal, type DynamoLocal } from './dynamo-local.js';
import { createHttpHost, lambdaContext } from './http-host.js';
import { LocalIssuer } from './jwt.js';
import { LocalUsers } from './local-users.js';
import { composeLocalRuntime } from './runtime.js';
import { StreamPoller } from './stream-poller.js';
import { ensureTable } from './table.js';

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface LocalStackOptions {
  /** HTTP port; 0 picks a free one. @default 3000 */
  port?: number;
  /**
   * Address the HTTP host listens on. Loopback by default: `/local/token`
   * hands out admin tokens to whoever asks, so only this machine may ask.
   * @default process.env.HOST, else 127.0.0.1
   */
  host?: string;
  /** Persistent data dir (DynamoDB files, keys, blobs, checkpoints); memory only when unset. */
  dataDir?: string;
  /** An already running DynamoDB Local to use instead of starting one. */
  dynamoEndpoint?: string;
  /** @default 'contacts-local' */
  tableName?: string;
  /** Run the scheduled functions on their timers. @default true */
  schedules?: boolean;
  /** Speed up schedule timers (tests, demo): every schedule runs every N ms instead of its minutes. */
  scheduleEveryMs?: number;
  /** Sink for queued dispatches (the channel simulator). */
  outbound?: (dispatch: OutboundDispatch) => Promise<void>;
  timezone?: string;
  phoneRegion?: string;
  /** Days a deleted contact stays in the recycle bin (RECYCLE_DAYS, 1-365). @default process.env.RECYCLE_DAYS, else 30 */
  recycleDays?: number;
  /** Whether activity states are written packed (ANALYTICS_STATE_PACKING `on`/`off`). @default process.env.ANALYTICS_STATE_PACKING, else on */
  analyticsStatePacking?: boolean;
  tenant?: string;
  log?: (line: string) => void;
}

export interface LocalStack {
  readonly baseUrl: string;
  readonly port: number;
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  readonly poller: StreamPoller;
  token(role: Role, sub?: string): Promise<string>;
  /** Waits until the stream poller has processed everything written so far. */
  drain(timeoutMs?: number): Promise<void>;
  /** Runs a scheduled function once, now (with the event its rule would send, or `event`). */
  runSchedule(name: string, event?: unknown): Promise<unknown>;
  /** Waits for background job workers started so far. */
  idleJobs(): Promise<void>;
  stop(): Promise<void>;
}

/** The key that signs pagination cursors: kept in the data dir, so cursors outlive a restart as they outlive a deploy. */
const cursorSecret = (dataDir: string | undefined) => keptSecret(dataDir, 'cursor-secret');
/** The key of the suppression list's hashes: kept in the data dir with the table, whose suppressions match only under it. */
const suppressionSecret = (dataDir: string | undefined) => keptSecret(dataDir, 'suppression-secret');

/** A random key kept in `<dataDir>/<name>`, or new for each in-memory run. */
function keptSecret(dataDir: string | undefined, name: string): string {
  const file = dataDir ? join(dataDir, name) : undefined;
  if (file && existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  if (file) {
    mkdirSync(dataDir!, { recursive: true });
    writeFileSync(file, secret, { mode: 0o600 });
  }
  return secret;
}

const isLoopbackOrAny = (host: string) => ['127.0.0.1', '::1', 'localhost', '0.0.0.0', '::'].includes(host);

/**
 * The names a request may give in its Host header besides localhost when
 * HOST opens the host beyond loopback: HOST itself, and for a wildcard
 * address this machine's name and interface addresses.
 */
function namesOf(host: string): Set<string> {
  const names = new Set<string>();
  if (host === '0.0.0.0' || host === '::') {
    names.add(machineName().toLowerCase());
    for (const addresses of Object.values(networkInterfaces())) for (const a of addresses ?? []) names.add(a.address.toLowerCase());
  } else if (!isLoopbackOrAny(host)) names.add(host.toLowerCase());
  return names;
}

/** Written to `<dataDir>/local-stack.json` while a stack with a data directory runs (infra/ops/ reads it). */
export interface LocalStackInfo {
  pid: number;
  baseUrl: string;
  dynamoEndpoint: string;
  tableName: string;
  timezone: string;
  /** The stream poller's failure sink: one JSON line per record given up. */
  failureFile: string;
}
export const LOCAL_STACK_FILE = 'local-stack.json';
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** An expression schedule's expression here: its tenant setting comes from the environment (e.g. RECONCILE_SCHEDULE). */
function localScheduleExpression(schedule: ScheduleDefinition): string {
  const expression = scheduleExpressionOf(schedule, process.env.TENANT_TIMEZONE ?? DEFAULT_TIMEZONE, schedule.setting ? process.env[schedule.setting.env] : undefined);
  try {
    parseScheduleExpression(expression);
  } catch (error) {
    throw new LocalStartError(`${schedule.setting?.env ?? schedule.name}: ${(error as Error).message}`);
  }
  return expression;
}

type Handler<E = unknown, R = unknown> = (event: E, context: Context) => Promise<R>;

async function importHandler<E, R>(relative: string): Promise<Handler<E, R>> {
  return ((await import(join(PROJECT_ROOT, relative))) as { handler: Handler<E, R> }).handler;
}

/**
 * Composes the whole product on this machine: DynamoDB Local with the
 * tenant table, the HTTP host over the real handlers, the stream poller,
 * the schedules and the job worker. Only composition differs from AWS:
 * RUNTIME=local, and the ports the CDK wires there are composed here
 * (./runtime.ts).
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  // A bad schedule setting stops the start before anything runs.
  if (options.schedules !== false) for (const schedule of SCHEDULES) if (schedule.everyMinutes === undefined) localScheduleExpression(schedule);
  const port = options.port ?? 3000;
  const host = options.host ?? (process.env.HOST || '127.0.0.1');
  if (port !== 0 && !(await isPortFree(port, host))) {
    throw new LocalStartError(`Port ${port} is already in use. Stop what uses it or start with PORT=<another port>.`);
  }
  const tableName = options.tableName ?? 'contacts-local';
  let dynamo: DynamoLocal | undefined;
  const endpoint = options.dynamoEndpoint ?? (dynamo = await startDynamoLocal({ dataDir: options.dataDir ? join(options.dataDir, 'dynamodb') : undefined })).endpoint;

  const blobDir = options.dataDir ? join(options.dataDir, 'blobs') : join(PROJECT_ROOT, '.data', 'tmp-blobs', tableName);
  mkdirSync(blobDir, { recursive: true });
  Object.assign(process.env, {
    RUNTIME: 'local',
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: endpoint,
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    TENANT: options.tenant ?? 'demo',
    TENANT_TIMEZONE: options.timezone ?? process.env.TENANT_TIMEZONE ?? 'America/Sao_Paulo',
    DEFAULT_PHONE_REGION: options.phoneRegion ?? process.env.DEFAULT_PHONE_REGION ?? 'BR',
    RECYCLE_DAYS: String(options.recycleDays ?? process.env.RECYCLE_DAYS ?? 30),
    ANALYTICS_STATE_PACKING: options.analyticsStatePacking === undefined ? (process.env.ANALYTICS_STATE_PACKING ?? 'on') : options.analyticsStatePacking ? 'on' : 'off',
    // The composition keeps blobs here (./runtime.ts); named for whoever looks (tests, operators).
    BLOB_DIR: blobDir,
    SENTIMENT_PROVIDER: 'lexicon',
    CURSOR_SECRET: process.env.CURSOR_SECRET || cursorSecret(options.dataDir),
    SUPPRESSION_SECRET: process.env.SUPPRESSION_SECRET || suppressionSecret(options.dataDir),
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
  });
  resetConfig();
  setDdbClient(undefined);

  const admin = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const streamArn = await ensureTable(admin, tableName);
  admin.destroy();

  const streamHandler = await importHandler<DynamoDBStreamEvent, DynamoDBBatchResponse>('functions/streams/process-table-stream.ts');
  const poller = new StreamPoller({
    endpoint,
    streamArn,
    handler: (event) => streamHandler(event, lambdaContext('local-stream', 120_000)),
    batchSize: STREAM_PROCESSOR.batchSize,
    filters: STREAM_FILTERS,
    checkpointFile: options.dataDir ? join(options.dataDir, 'stream-checkpoints.json') : undefined,
    failureFile: options.dataDir ? join(options.dataDir, 'stream-failures.jsonl') : undefined,
    log,
  });
  poller.start();

  const users = new LocalUsers(options.dataDir ? join(options.dataDir, 'local-users.json') : undefined);
  const composition = composeLocalRuntime({
    worker: await importHandler('functions/jobs/run-job-worker.ts'),
    workerContext: () => lambdaContext('local-job-worker', 15 * 60_000),
    blobDir,
    outbound: options.outbound,
    users,
    log,
  });

  const timers = new Set<NodeJS.Timeout>();
  const runSchedule = async (name: string, event?: unknown) => {
    const schedule = SCHEDULES.find((s) => s.name === name);
    if (!schedule) throw new Error(`no schedule named ${name}`);
    const handler = await importHandler<unknown, unknown>(`functions/scheduled/${name}.ts`);
    return handler(event ?? { source: 'aws.events', 'detail-type': 'Scheduled Event', time: new Date().toISOString() }, lambdaContext(`local-${name}`, 15 * 60_000));
  };
  if (options.schedules !== false) {
    for (const schedule of SCHEDULES) {
      let busy = false;
      const fire = (event?: unknown) => {
        if (busy) return;
        busy = true;
        runSchedule(schedule.name, event)
          .catch((error) => log(`schedule ${schedule.name}: ${(error as Error).message}`))
          .finally(() => (busy = false));
      };
      if (options.scheduleEveryMs !== undefined || schedule.everyMinutes !== undefined) {
        timers.add(setInterval(fire, options.scheduleEveryMs ?? schedule.everyMinutes! * 60_000));
      } else {
        const expression = localScheduleExpression(schedule);
        const arm = () => {
          const at = nextScheduleTime(expression, new Date());
          if (!at) return;
          const wait = at.getTime() - Date.now();
          // setTimeout holds at most ~24.8 days: a later time is re-armed on the way.
          const timer = setTimeout(() => {
            timers.delete(timer);
            if (wait <= MAX_TIMEOUT_MS) fire();
            arm();
          }, Math.min(wait, MAX_TIMEOUT_MS));
          timers.add(timer);
        };
        arm();
      }
      if (schedule.continueEveryMinutes !== undefined) {
        timers.add(setInterval(() => fire(CONTINUE_EVENT), options.scheduleEveryMs ?? schedule.continueEveryMinutes * 60_000));
      }
    }
  }

  const issuer = users.signingThrough(await LocalIssuer.create(`http://localhost:${port}/local-issuer`, options.dataDir ? join(options.dataDir, 'local-keys.json') : undefined));
  const server: Server = createHttpHost({
    issuer,
    extraHosts: namesOf(host),
    webDir: join(PROJECT_ROOT, 'web', 'dist'),
    spaConfig: { apiUrl: '', tenant: process.env.TENANT, timezone: process.env.TENANT_TIMEZONE, auth: { mode: 'local' } },
    isHealthy: () => poller.isRunning,
    streamHealth: () => poller.health(),
    log,
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new LocalStartError(`Port ${port} is already in use. Start with PORT=<another port>.`) : error),
    );
    server.listen(port, host, () => resolveListen());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const reachableAt = isLoopbackOrAny(host) ? 'localhost' : isIP(host) === 6 ? `[${host}]` : host;

  // Where operator commands (npm run reconcile, npm run replay) find this stack while it runs.
  const stackFile = options.dataDir ? join(options.dataDir, LOCAL_STACK_FILE) : undefined;
  if (stackFile) {
    const info: LocalStackInfo = {
      pid: process.pid,
      baseUrl: `http://${reachableAt}:${actualPort}`,
      dynamoEndpoint: endpoint,
      tableName,
      timezone: process.env.TENANT_TIMEZONE!,
      failureFile: join(options.dataDir!, 'stream-failures.jsonl'),
    };
    writeFileSync(stackFile, `${JSON.stringify(info, null, 2)}\n`);
  }
  const forgetStackFile = () => {
    if (stackFile && existsSync(stackFile) && (JSON.parse(readFileSync(stackFile, 'utf8')) as LocalStackInfo).pid === process.pid) rmSync(stackFile);
  };

  return {
    baseUrl: `http://${reachableAt}:${actualPort}`,
    port: actualPort,
    dynamoEndpoint: endpoint,
    tableName,
    poller,
    token: (role, sub) => issuer.sign(sub ?? `${role}-user`, role),
    // Generous by default: on a busy 2-core machine a test's backlog can take a while; a healthy drain returns early.
    drain: (timeoutMs) => poller.drain(timeoutMs ?? 120_000),
    runSchedule,
    idleJobs: composition.idleJobs,
    stop: async () => {
      for (const timer of timers) clearTimeout(timer);
      forgetStackFile();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await composition.idleJobs();
      await poller.stop();
      await composition.close();
      await dynamo?.stop();
    },
  };
}
