import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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
