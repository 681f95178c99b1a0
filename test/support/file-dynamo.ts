import { startDynamoLocal, type DynamoLocal } from '../../infra/local/dynamo-local.js';

/**
 * One DynamoDB Local per test file, started on first use and stopped after
 * the file (test/support/file-setup.ts registers the hook, so that the bench,
 * which starts stacks through ./local-stack.ts outside vitest, can import
 * this module). A run-wide one is not an option:
 * DynamoDB Local keeps every stream record it ever wrote (deleting the table
 * does not drop them) and each later write gets slower with their number,
 * so the files that ran last took ten times their own time.
 * TEST_DYNAMODB_ENDPOINT points the file at one already running instead.
 */
let local: Promise<DynamoLocal> | undefined;

export async function dynamoEndpoint(): Promise<string> {
  const given = process.env.TEST_DYNAMODB_ENDPOINT;
  if (given) return given;
  local ??= startDynamoLocal();
  return (await local).endpoint;
}

export async function stopFileDynamo(): Promise<void> {
  const started = local;
  local = undefined;
  if (started) await (await started).stop();
}
