import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { processBatch } from '../../functions/streams/process-table-stream.js';
import { connectLocalStack, OpsError, parseArgs, runCommand } from './local-stack.js';
import { replayFailureSink } from './replay-sink.js';
import { replayFailedRanges } from './replay-stream.js';

/**
 * `npm run replay`: stream records that failed after retries, through the
 * stream processors again.
 *
 *   npm run replay -- --queue-url <OnFailureQueueUrl> --function <StreamFunctionName> [--region r] [--dry-run]
 *       AWS: the ranges the on-failure queue points at (replay-stream.ts), with your AWS credentials.
 *   npm run replay
 *       locally: the running local stack's failure sink (replay-sink.ts).
 */
runCommand(async () => {
  const args = parseArgs(process.argv.slice(2));
  const log = (line: string) => console.log(line);
  const numberArg = (name: string) => {
    if (args[name] === undefined) return undefined;
    const n = Number(args[name]);
    if (!Number.isInteger(n) || n < 1) throw new OpsError(`--${name} takes a whole number`);
    return n;
  };
  if (typeof args['queue-url'] === 'string') {
    if (typeof args.function !== 'string') throw new OpsError('--function <StreamFunctionName> is required with --queue-url');
    const region = typeof args.region === 'string' ? args.region : /sqs\.([a-z0-9-]+)\.amazonaws/.exec(args['queue-url'])?.[1];
    const clients = { sqs: new SQSClient({ region }), streams: new DynamoDBStreamsClient({ region }), lambda: new LambdaClient({ region }) };
    const reports = await replayFailedRanges(clients, {
      queueUrl: args['queue-url'],
      functionName: args.function,
      dryRun: args['dry-run'] === true,
      batchSize: numberArg('batch-size'),
      maxMessages: numberArg('max-messages'),
      visibilitySeconds: numberArg('visibility-seconds'),
      log,
    });
    const done = reports.filter((r) => r.deleted).length;
    console.log(`${reports.length} message(s): ${done} replayed and deleted, ${reports.length - done} left in the queue.`);
    return reports.length - done > 0 && args['dry-run'] !== true ? 2 : 0;
  }
  const info = connectLocalStack(typeof args['data-dir'] === 'string' ? args['data-dir'] : undefined);
  const report = await replayFailureSink({ failureFile: info.failureFile, handler: (event) => processBatch(event), batchSize: numberArg('batch-size'), log });
  return report.kept > 0 ? 2 : 0;
});
