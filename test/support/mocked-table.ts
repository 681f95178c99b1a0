import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { resetConfig } from '../../functions/lib/config.js';
import { setDdbClient } from '../../functions/lib/dynamo.js';

/**
 * Points the product's DynamoDB client at table `unit` with no endpoint, for
 * unit tests that script its answers with aws-sdk-client-mock (the mock
 * intercepts every DynamoDBDocumentClient, so nothing leaves the process).
 */
export function useMockedTable(env: Record<string, string> = {}): void {
  Object.assign(process.env, { TABLE_NAME: 'unit', ...env });
  delete process.env.DYNAMODB_ENDPOINT;
  resetConfig();
  setDdbClient(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })));
}
