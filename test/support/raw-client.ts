import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * A document client of the test's (or benchmark's) own on DynamoDB Local,
 * outside the product's module-scope client: for inspecting the table,
 * planting items and raw baselines without touching what is measured.
 */
export function rawClient(endpoint: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 8 }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
}
