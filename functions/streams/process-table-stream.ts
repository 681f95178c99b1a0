import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { counterTotals } from '../engagement/counter-store.js';
import { logger } from '../lib/logger.js';
import { METRIC } from '../lib/metric-names.js';
import { emitMetrics } from '../lib/metrics.js';
import { failuresOf, type RecordFailure, type StreamProcessor } from './processors.js';
import { STREAM_PROCESSORS } from './registry.js';

/**
 * Routes a stream batch to the processors and reports partial failures:
 * the event source mapping retries from the earliest failed record (with
 * bisect and bounded retries) and finally sends it to the on-failure queue.
 * Every failed record is logged with its processor and the reason.
 */
export async function processBatch(event: DynamoDBStreamEvent, processors: readonly StreamProcessor[] = STREAM_PROCESSORS): Promise<DynamoDBBatchResponse> {
  const failed = new Set<string>();
  await Promise.all(
    processors.map(async (processor) => {
      const claimed = event.Records.filter((record) => processor.claims(record));
      if (claimed.length === 0) return;
      let failures: RecordFailure[];
      try {
        failures = await processor.process(claimed);
      } catch (error) {
        failures = failuresOf(claimed, error);
      }
      for (const { sequenceNumber, reason } of failures) {
        logger.error('stream record failed', { processor: processor.name, sequenceNumber, reason });
        failed.add(sequenceNumber);
      }
    }),
  );
  return { batchItemFailures: [...failed].filter(Boolean).map((itemIdentifier) => ({ itemIdentifier })) };
}

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const counterWritesBefore = counterTotals().writes;
  const response = await processBatch(event);
  const failed = response.batchItemFailures.length;
  emitMetrics({
    [METRIC.streamRecordsProcessed]: event.Records.length - failed,
    [METRIC.streamRecordsFailed]: failed,
    [METRIC.counterWrites]: counterTotals().writes - counterWritesBefore,
  });
  return response;
};
