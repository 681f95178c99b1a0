import type { DynamoDBRecord } from 'aws-lambda';

/**
 * A consumer of table stream records. The single stream function routes
 * each record to the processors that claim it (DynamoDB Streams allows at
 * most two readers per shard, so one function serves every consumer).
 * `process` gets the claimed records of a batch in stream order and returns
 * those it could not process, each with the reason (the stream function
 * logs them and reports them as batch item failures).
 */
export interface StreamProcessor {
  readonly name: string;
  claims(record: DynamoDBRecord): boolean;
  process(records: DynamoDBRecord[]): Promise<RecordFailure[]>;
}

export interface RecordFailure {
  sequenceNumber: string;
  reason: string;
}

/** The failures of `records` for one reason (an error is named by its message). */
export function failuresOf(records: readonly { dynamodb?: { SequenceNumber?: string } }[] | readonly string[], reason: string | unknown): RecordFailure[] {
  const why = typeof reason === 'string' ? reason : `${(reason as Error)?.name ?? 'Error'}: ${(reason as Error)?.message ?? String(reason)}`;
  return records
    .map((r) => (typeof r === 'string' ? r : (r.dynamodb?.SequenceNumber ?? '')))
    .filter(Boolean)
    .map((sequenceNumber) => ({ sequenceNumber, reason: why }));
}
