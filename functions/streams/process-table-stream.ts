import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { logger } from '../lib/logger.js';
import type { StreamProcessor } from './processors.js';
import { STREAM_PROCESSORS } from './registry.js';

/**
 * Routes a stream batch to the processors and reports partial failures:
 * the event source mapping retries from the earliest failed record (with
 * bisect and bounded retries) and finally sends it to the on-failure queue.
 */
export async function processBatch(event: DynamoDBStreamEvent, processors: readonly StreamProcessor[] = STREAM_PROCESSORS): Promise<DynamoDBBatchResponse> {
  const failed = new Set<string>();
  await Promise.all(
    processors.map(async (processor) => {
      const claimed = event.Records.filter((record) => processor.claims(record));
      if (claimed.length === 0) return;
      try {
        for (const id of await processor.process(claimed)) failed.add(id);
      } catch (error) {
        logger.error('stream processor failed', { processor: processor.name, error: error as Error });
        for (const record of claimed) failed.add(record.dynamodb?.SequenceNumber ?? '');
      }
    }),
  );
  return { batchItemFailures: [...failed].filter(Boolean).map((itemIdentifier) => ({ itemIdentifier })) };
}

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => processBatch(event);
