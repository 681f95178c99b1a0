import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * A document client of the test's (or benchmark's) own on DynamoDB Local,
 * outside the product's module-scope client: for inspecting the table,
 * planting items and raw baselines without touching what is measured.
 */
export function rawClient(endpoint: string): DynamoDBDocumentClient {
  const base = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 8 });
  // As the product's client (functions/lib/dynamo.ts): a raw baseline should not pay for a no-op logger's redaction.
  base.middlewareStack.remove('loggerMiddleware');
  return DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } });
}
