import type { DynamoDBRecord } from 'aws-lambda';

/**
 * A consumer of table stream records. The single stream function routes
 * each record to the processors that claim it (DynamoDB Streams allows at
 * most two readers per shard, so one function serves every consumer).
 * `process` gets the claimed records of a batch in stream order and returns
 * the sequence numbers of those it could not process.
 */
export interface StreamProcessor {
  readonly name: string;
  claims(record: DynamoDBRecord): boolean;
  process(records: DynamoDBRecord[]): Promise<string[]>;
}
