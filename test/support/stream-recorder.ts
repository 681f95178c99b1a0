import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record, type Shard } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { passesFilters } from '../../functions/streams/filters.js';
import { toLambdaRecord } from '../../infra/local/stream-poller.js';
import { prng } from '../../infra/local/seed.js';

/**
 * A test's own reader of a table's stream, standing in for the event source
 * mapping while the local stack's poller is stopped: it reads every shard
 * through the DynamoDB Streams API, keeps the records that pass the real
 * filter criteria (functions/streams/filters.ts) in per-shard order, and
 * feeds them to the stream handler in batches the test chooses.
 */

export interface ShardLog {
  shardId: string;
  parentId?: string;
  /** Last sequence number read from the shard (kept or filtered out). */
  readUpTo?: string;
  iterator?: string;
  /** The shard has no more records (closed and read to its end). */
  exhausted: boolean;
  /** Records that passed the filters, in shard order, as Lambda receives them. */
  records: DynamoDBRecord[];
  /** Index in `records` of the first record not yet handed over successfully. */
  next: number;
}

export interface BatchFailure {
  /** What the invocation was: a fresh batch, its duplicate delivery, a replay of a processed suffix, or a retry after a failure. */
  kind: 'batch' | 'duplicate' | 'replay' | 'retry';
  pass: number;
  shardId: string;
  /** The batch: `eventName pk sk seq` per record. */
  batch: string[];
  /** The records reported as failed (or all of them when the handler threw), described the same way. */
  failed: string[];
  error?: string;
}

export interface FeedOptions {
  /** Seeds every random choice of the feed (batch cuts, duplicates, replays). */
  seed: number;
  /** Largest batch. @default 16 */
  maxBatch?: number;
  /** Chance that a batch handed over successfully is delivered again at once. @default 0.25 */
  duplicateChance?: number;
  /** Chance, after a batch, of going back and re-feeding a suffix of what was handed over. @default 0.25 */
  replayChance?: number;
  /** How far back (records) a replay may start. @default 60 */
  maxReplay?: number;
  /** Attempts at a failing record before it is given up, as the event source mapping's retries. @default 3 */
  maxAttempts?: number;
  /** Passes (read, feed, read what the processors wrote, ...) before the stream is declared unsettled. @default 25 */
  maxPasses?: number;
}

export interface FeedReport {
  passes: number;
  invocations: number;
  /** Records handed over at least once in this feed (not counting repeats). */
  records: number;
  failures: BatchFailure[];
  /** Records given up after maxAttempts failures (what the poller would send to the failure sink). */
  givenUp: string[];
  settled: boolean;
}

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;

export const describeRecord = (r: DynamoDBRecord) =>
  `${r.eventName} ${r.dynamodb?.Keys?.pk?.S ?? '?'} ${r.dynamodb?.Keys?.sk?.S ?? '?'} #${r.dynamodb?.SequenceNumber ?? '?'}`;

export class StreamRecorder {
  private readonly client: DynamoDBStreamsClient;
  readonly shards = new Map<string, ShardLog>();

  private constructor(
    endpoint: string,
    readonly streamArn: string,
  ) {
    this.client = new DynamoDBStreamsClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    this.client.middlewareStack.remove('loggerMiddleware');
  }

  static async open(endpoint: string, tableName: string): Promise<StreamRecorder> {
    const admin = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      const table = await admin.send(new DescribeTableCommand({ TableName: tableName }));
      const arn = table.Table?.LatestStreamArn;
      if (!arn) throw new Error(`table ${tableName} has no stream`);
      return new StreamRecorder(endpoint, arn);
    } finally {
      admin.destroy();
    }
  }

  close(): void {
    this.client.destroy();
  }

  private async listShards(): Promise<void> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const out = await this.client.send(new DescribeStreamCommand({ StreamArn: this.streamArn, ExclusiveStartShardId: start }));
      shards.push(...(out.StreamDescription?.Shards ?? []));
      start = out.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    for (const shard of shards) {
      if (shard.ShardId && !this.shards.has(shard.ShardId)) {
        this.shards.set(shard.ShardId, { shardId: shard.ShardId, parentId: shard.ParentShardId, exhausted: false, records: [], next: 0 });
      }
    }
  }

  /** Shards with parents first, so one item's records stay in order across a shard split. */
  orderedShards(): ShardLog[] {
    const out: ShardLog[] = [];
    const placed = new Set<string>();
    const place = (s: ShardLog) => {
      if (placed.has(s.shardId)) return;
      placed.add(s.shardId);
      const parent = s.parentId ? this.shards.get(s.parentId) : undefined;
      if (parent) place(parent);
      out.push(s);
    };
    for (const s of this.shards.values()) place(s);
    return out;
  }

  /** Reads every shard to its current end; returns how many new records passed the filters. */
  async readNew(): Promise<number> {
    await this.listShards();
    let added = 0;
    for (const shard of this.orderedShards()) {
      while (!shard.exhausted) {
        if (!shard.iterator) {
          const out = await this.client.send(
            new GetShardIteratorCommand({
              StreamArn: this.streamArn,
              ShardId: shard.shardId,
              ...(shard.readUpTo ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.readUpTo } : { ShardIteratorType: 'TRIM_HORIZON' }),
            }),
          );
          shard.iterator = out.ShardIterator;
          if (!shard.iterator) {
            shard.exhausted = true;
            break;
          }
        }
        const page = await this.client.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 1000 }));
        const got: _Record[] = page.Records ?? [];
        shard.iterator = page.NextShardIterator;
        if (!page.NextShardIterator) shard.exhausted = true;
        if (got.length === 0) break;
        shard.readUpTo = got[got.length - 1].dynamodb?.SequenceNumber;
        for (const record of got) {
          if (!passesFilters(record)) continue;
          shard.records.push(toLambdaRecord(record, this.streamArn));
          added++;
        }
      }
    }
    return added;
  }

  /** Records read but not yet handed over successfully. */
  pending(): number {
    let n = 0;
    for (const s of this.shards.values()) n += s.records.length - s.next;
    return n;
  }

  /**
   * Feeds everything read so far and not yet handed over to `handler`, then
   * reads what the processors wrote meanwhile and feeds that, until a pass
   * finds nothing new. Per shard and in order, in random batch cuts, with
   * random duplicate deliveries of a batch and random replays of a suffix
   * of what was already handed over. A batch reporting failures is retried
   * from its earliest failed record, as the event source mapping does, and
   * a record failing `maxAttempts` times is given up.
   */
  async feed(handler: StreamHandler, options: FeedOptions): Promise<FeedReport> {
    const r = prng(options.seed);
    const maxBatch = options.maxBatch ?? 16;
    const duplicateChance = options.duplicateChance ?? 0.25;
    const replayChance = options.replayChance ?? 0.25;
    const maxReplay = options.maxReplay ?? 60;
    const maxAttempts = options.maxAttempts ?? 3;
    const maxPasses = options.maxPasses ?? 25;
    const report: FeedReport = { passes: 0, invocations: 0, records: 0, failures: [], givenUp: [], settled: false };

    // A batch size leaning small (single records are where ordering bugs show) but reaching maxBatch.
    const batchSize = () => (r.chance(0.3) ? r.int(1, 3) : r.int(1, maxBatch));

    const invoke = async (kind: BatchFailure['kind'], shard: ShardLog, batch: DynamoDBRecord[]): Promise<number | undefined> => {
      report.invocations++;
      const described = batch.map(describeRecord);
      try {
        const response = await handler({ Records: structuredClone(batch) });
        const failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        if (failedIds.size === 0) return undefined;
        const failed = batch.filter((b) => failedIds.has(b.dynamodb?.SequenceNumber ?? ''));
        report.failures.push({ kind, pass: report.passes, shardId: shard.shardId, batch: described, failed: failed.length ? failed.map(describeRecord) : [...failedIds].map((id) => `unknown record #${id}`) });
        const index = batch.findIndex((b) => failedIds.has(b.dynamodb?.SequenceNumber ?? ''));
        return index === -1 ? 0 : index;
      } catch (error) {
        report.failures.push({ kind, pass: report.passes, shardId: shard.shardId, batch: described, failed: described, error: (error as Error).stack ?? String(error) });
        return 0;
      }
    };

    /** Re-feeds records [from, to) of a shard in random cuts (a replay: failures are recorded, nothing is retried). */
    const replay = async (shard: ShardLog, from: number, to: number) => {
      for (let i = from; i < to; ) {
        const batch = shard.records.slice(i, Math.min(to, i + batchSize()));
        await invoke('replay', shard, batch);
        i += batch.length;
      }
    };

    for (;;) {
      await this.readNew();
      if (this.pending() === 0) {
        report.settled = true;
        break;
      }
      if (report.passes >= maxPasses) break;
      report.passes++;
      for (const shard of this.orderedShards()) {
        let attempts = 0;
        while (shard.next < shard.records.length) {
          const batch = shard.records.slice(shard.next, shard.next + batchSize());
          const failedFrom = await invoke(attempts > 0 ? 'retry' : 'batch', shard, batch);
          if (failedFrom !== undefined) {
            // As the event source mapping: what came before the earliest failure is done; that record is retried, then given up.
            if (failedFrom > 0) {
              shard.next += failedFrom;
              report.records += failedFrom;
              attempts = 0;
            } else if (++attempts >= maxAttempts) {
              report.givenUp.push(describeRecord(batch[0]));
              shard.next += 1;
              report.records += 1;
              attempts = 0;
            }
            continue;
          }
          attempts = 0;
          if (r.chance(duplicateChance)) await invoke('duplicate', shard, batch);
          shard.next += batch.length;
          report.records += batch.length;
          if (r.chance(replayChance)) {
            const back = r.int(1, Math.min(maxReplay, shard.next));
            await replay(shard, shard.next - back, shard.next);
          }
        }
      }
    }
    return report;
  }
}
