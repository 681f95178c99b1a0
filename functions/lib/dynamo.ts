import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import { RETRY, withBackoff } from './backoff.js';
import { inParallel } from './concurrency.js';
import { config } from './config.js';

let client: DynamoDBDocumentClient | undefined;

/**
 * The module-scope DynamoDB document client, built once from config. The SDK
 * retries throttling and transient errors with exponential backoff; we raise
 * the attempt count because bulk jobs and stream batches run near capacity.
 */
export function ddb(): DynamoDBDocumentClient {
  if (client) return client;
  const { region, dynamoEndpoint } = config();
  const base = new DynamoDBClient({
    region,
    maxAttempts: 8,
    ...(dynamoEndpoint
      ? { endpoint: dynamoEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  // The SDK's logger middleware builds a redacted copy of every input and output for a logger we never
  // give it (no-op by default): ~5% of the stream function's CPU went there. Errors still throw as before.
  base.middlewareStack.remove('loggerMiddleware');
  client = DynamoDBDocumentClient.from(base, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: false },
  });
  return client;
}

export function tableName(): string {
  return config().tableName;
}

/** Tests swap the client (aws-sdk-client-mock, fault injection) or reset it after changing config. */
export function setDdbClient(next: DynamoDBDocumentClient | undefined): void {
  client = next;
}

type Key = Record<string, unknown>;

export interface BatchGetOptions {
  consistent?: boolean;
  projection?: string;
  names?: Record<string, string>;
  /** The client to send with (default `ddb()`); the analytics panel passes its request meter. */
  send?: (command: BatchGetCommand) => Promise<BatchGetCommandOutput>;
  /** Calls of 100 keys in flight at once. @default 4 */
  concurrency?: number;
  /** The table to read (with `send`, a client of another DynamoDB). @default tableName() */
  table?: string;
}

/**
 * Every item of `keys` that exists, in no particular order: BatchGetItem
 * 100 keys per call (several calls in flight), unprocessed keys retried with backoff (DynamoDB hands
 * them back under load rather than failing the call).
 */
export async function batchGetItems<T extends Key = Key>(keys: readonly Key[], options: BatchGetOptions = {}): Promise<T[]> {
  const send = options.send ?? ((command: BatchGetCommand) => ddb().send(command));
  const table = options.table ?? tableName();
  const found: T[] = [];
  const chunks: Key[][] = [];
  for (let i = 0; i < keys.length; i += 100) chunks.push(keys.slice(i, i + 100));
  await inParallel(chunks, options.concurrency ?? 4, async (chunk) => {
    let pending: Key[] = chunk;
    await withBackoff(
      async () => {
        const out: BatchGetCommandOutput = await send(
          new BatchGetCommand({
            RequestItems: {
              [table]: { Keys: pending, ConsistentRead: options.consistent, ProjectionExpression: options.projection, ExpressionAttributeNames: options.names },
            },
          }),
        );
        found.push(...((out.Responses?.[table] ?? []) as T[]));
        pending = out.UnprocessedKeys?.[table]?.Keys ?? [];
        return pending.length > 0 ? RETRY : undefined;
      },
      { attempts: 10, baseMs: 40, maxMs: 1000, exhausted: () => new Error('BatchGetItem kept returning unprocessed keys') },
    );
  });
  return found;
}
