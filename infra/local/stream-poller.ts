import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetRecordsCommandOutput,
  type _Record,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { passesFilters, type FilterPattern } from '../../functions/streams/filters.js';

export interface StreamPollerOptions {
  endpoint: string;
  streamArn: string;
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;
  /** Records per invocation, as the event source mapping's batchSize. */
  batchSize?: number;
  /**
   * Largest invocation payload: the event source mapping cuts a batch where
   * it would pass Lambda's 6 MB synchronous payload. @default 6 MB
   */
  maxBatchBytes?: number;
  /** Attempts for a failing record before it goes to the on-failure file. */
  maxAttempts?: number;
  /** Where checkpoints persist (a restart resumes after the last processed record); memory only when unset. */
  checkpointFile?: string;
  /** The local on-failure destination: one JSON line per record given up on. */
  failureFile?: string;
  /** The event source mapping's filter criteria: records matching none never reach the handler. */
  filters?: readonly FilterPattern[];
  idleMs?: number;
  log?: (line: string) => void;
}

interface ShardState {
  shardId: string;
  iterator?: string;
  /** Last sequence number handed to the handler successfully. */
  checkpoint?: string;
  closed: boolean;
  /** Failed attempts of the record at the head of the shard. */
  attempts: number;
  /** Records read after the checkpoint that passed the filters and wait for the handler, in order. */
  buffer: _Record[];
  /** Sequence number of the last record read (kept or filtered out); the iterator continues after it. */
  readUpTo?: string;
  /** The shard's iterator ran out: a closed shard once its buffer is handled. */
  exhausted?: boolean;
}

type Av = Record<string, unknown>;

const base64 = (bytes: unknown): unknown => (bytes instanceof Uint8Array ? Buffer.from(bytes).toString('base64') : bytes);

/**
 * The Streams SDK client deserializes an empty map attribute (`{"M":{}}`) as
 * `{}`; Lambda delivers `{"M":{}}`. Put the map back so handlers see what
 * they would see in AWS. Likewise binary values: the SDK gives bytes, a
 * Lambda event (JSON) gives base64 text, which is also what the failure
 * file keeps and `npm run replay` hands back.
 */
function repairAttribute(value: Av): Av {
  const keys = Object.keys(value);
  if (keys.length === 0) return { M: {} };
  if (value.B !== undefined) return { B: base64(value.B) };
  if (Array.isArray(value.BS)) return { BS: value.BS.map(base64) };
  if (value.M && typeof value.M === 'object') return { M: repairImage(value.M as Record<string, Av>) };
  if (Array.isArray(value.L)) return { L: (value.L as Av[]).map(repairAttribute) };
  return value;
}

function repairImage(image: Record<string, Av> | undefined): Record<string, Av> | undefined {
  if (!image) return image;
  return Object.fromEntries(Object.entries(image).map(([k, v]) => [k, repairAttribute(v)]));
}

export function toLambdaRecord(record: _Record, streamArn: string): DynamoDBRecord {
  const d = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? 'local',
    eventSourceARN: streamArn,
    dynamodb: {
      ApproximateCreationDateTime: d.ApproximateCreationDateTime ? Math.floor(new Date(d.ApproximateCreationDateTime).getTime() / 1000) : undefined,
      Keys: d.Keys as never,
      NewImage: repairImage(d.NewImage as Record<string, Av> | undefined) as never,
      OldImage: repairImage(d.OldImage as Record<string, Av> | undefined) as never,
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType as never,
    },
  };
}

/** Where `npm run replay` moves the failure file's lines it replayed, and the file it works from meanwhile. */
export const replayedFileOf = (failureFile: string) => `${failureFile.replace(/\.jsonl$/, '')}.replayed.jsonl`;
export const workingFileOf = (failureFile: string) => `${failureFile}.replaying`;

/** Lambda's synchronous invocation payload limit. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** The longest head of `records` whose event (`{"Records":[...]}`) fits in `maxBytes`; at least one record. */
export function withinPayload(records: DynamoDBRecord[], maxBytes: number): DynamoDBRecord[] {
  let bytes = '{"Records":[]}'.length;
  for (let i = 0; i < records.length; i++) {
    bytes += Buffer.byteLength(JSON.stringify(records[i])) + (i > 0 ? 1 : 0);
    if (bytes > maxBytes) return records.slice(0, Math.max(1, i));
  }
  return records;
}

/**
 * The local stand-in for the Lambda event source mapping on the table
 * stream: reads shards through the DynamoDB Streams API, invokes the stream
 * handler with real batches (up to batchSize records and 6 MB), honours
 * `batchItemFailures` (retrying from the earliest failed record), gives up
 * on a record after bounded attempts (writing it to the on-failure file),
 * re-lists shards as they split or close and refreshes expired iterators.
 */
export class StreamPoller {
  private readonly client: DynamoDBStreamsClient;
  private readonly shards = new Map<string, ShardState>();
  private running = false;
  private loop?: Promise<void>;
  private lastList = 0;
  private idlePasses = 0;
  private pending = 0;
  private wake?: () => void;
  private holding?: { promise: Promise<void>; release: () => void };
  readonly stats = { batches: 0, records: 0, failures: 0, givenUp: 0 };

  constructor(private readonly options: StreamPollerOptions) {
    this.client = new DynamoDBStreamsClient({
      endpoint: options.endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    // Its no-op logger would still walk every GetRecords page to mask sensitive fields.
    this.client.middlewareStack.remove('loggerMiddleware');
    if (options.checkpointFile && existsSync(options.checkpointFile)) {
      const saved = JSON.parse(readFileSync(options.checkpointFile, 'utf8')) as { streamArn: string; shards: Record<string, { checkpoint?: string; closed: boolean }> };
      if (saved.streamArn === options.streamArn) {
        for (const [shardId, s] of Object.entries(saved.shards)) this.shards.set(shardId, { shardId, checkpoint: s.checkpoint, closed: s.closed, attempts: 0, buffer: [] });
      }
    }
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.release();
    this.wake?.();
    await this.loop;
    this.client.destroy();
  }

  /** Resolves once a full pass over every open shard found no new records (tests and benchmarks use it). */
  async drain(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const target = this.idlePasses + 2;
    this.wake?.();
    while (this.idlePasses < target || this.pending > 0) {
      if (Date.now() > deadline) throw new Error('stream did not drain in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Stops reading the stream until `release()`: what is written meanwhile
   * waits in the shard, the way a backlog builds while a mapping is
   * disabled, and is then read in full batches. A poll under way finishes.
   */
  hold(): void {
    if (this.holding) return;
    let release!: () => void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.holding = { promise, release };
  }

  release(): void {
    this.holding?.release();
    this.holding = undefined;
  }

  /**
   * What `GET /health` reports: records waiting to be processed (read and
   * buffered, or still unread in an open shard, counting only those the
   * filters let through) and records given up (lines of the failure file,
   * which persists with the data directory; this run's count without one).
   */
  async health(): Promise<{ lagRecords: number; failedRecords: number }> {
    let lagRecords = 0;
    for (const shard of [...this.shards.values()].filter((s) => !s.closed)) {
      lagRecords += shard.buffer.length;
      if (!shard.exhausted) lagRecords += await this.countUnread(shard);
    }
    const file = this.options.failureFile;
    // Replayed lines (`npm run replay`) were given up once all the same: they still count.
    const lines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0);
    const failedRecords = file ? lines(file) + lines(workingFileOf(file)) + lines(replayedFileOf(file)) : this.stats.givenUp;
    return { lagRecords, failedRecords };
  }

  /** Records after what the shard has read so far that would reach the handler (a read-only pass with its own iterator). */
  private async countUnread(shard: ShardState): Promise<number> {
    const after = shard.readUpTo ?? shard.checkpoint;
    let iterator = (
      await this.client.send(
        new GetShardIteratorCommand({
          StreamArn: this.options.streamArn,
          ShardId: shard.shardId,
          ...(after ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after } : { ShardIteratorType: 'TRIM_HORIZON' }),
        }),
      )
    ).ShardIterator;
    let count = 0;
    for (let page = 0; iterator && page < 1_000; page++) {
      const out = await this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      const records = out.Records ?? [];
      if (records.length === 0) break;
      count += records.filter((r) => !this.options.filters || passesFilters(r, this.options.filters)).length;
      iterator = out.NextShardIterator;
    }
    return count;
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.holding) {
        await this.holding.promise;
        continue;
      }
      let sawRecords = false;
      try {
        if (Date.now() - this.lastList > 5_000 || this.needsListing()) await this.listShards();
        for (const shard of this.orderedOpenShards()) {
          if (!this.running) break;
          if (await this.pollShard(shard)) sawRecords = true;
        }
        this.saveCheckpoints();
      } catch (error) {
        this.options.log?.(`stream poller: ${(error as Error).message}`);
      }
      if (!sawRecords) {
        this.idlePasses++;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.idleMs ?? 200);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  private needsListing(): boolean {
    return this.shards.size === 0 || [...this.shards.values()].every((s) => s.closed);
  }

  private async listShards(): Promise<void> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const out = await this.client.send(new DescribeStreamCommand({ StreamArn: this.options.streamArn, ExclusiveStartShardId: start }));
      shards.push(...(out.StreamDescription?.Shards ?? []));
      start = out.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    for (const shard of shards) {
      if (shard.ShardId && !this.shards.has(shard.ShardId)) {
        this.shards.set(shard.ShardId, { shardId: shard.ShardId, closed: false, attempts: 0, buffer: [], parent: shard.ParentShardId } as ShardState & { parent?: string });
      }
    }
    this.lastList = Date.now();
  }

  /** Parents before children, so records of one item stay in order across a shard split. */
  private orderedOpenShards(): ShardState[] {
    return [...this.shards.values()].filter((s) => {
      if (s.closed) return false;
      const parent = (s as ShardState & { parent?: string }).parent;
      return !parent || !this.shards.has(parent) || this.shards.get(parent)!.closed;
    });
  }

  private async iteratorFor(shard: ShardState): Promise<string | undefined> {
    if (shard.iterator) return shard.iterator;
    if (shard.exhausted) return undefined;
    const after = shard.readUpTo ?? shard.checkpoint;
    const out = await this.client.send(
      new GetShardIteratorCommand({
        StreamArn: this.options.streamArn,
        ShardId: shard.shardId,
        ...(after ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after } : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    shard.iterator = out.ShardIterator;
    return shard.iterator;
  }

  /**
   * Reads the shard on into its buffer until it holds a batch's worth of
   * records that pass the filters (or the shard has no more for now). What
   * the filters drop only moves `readUpTo` on.
   */
  private async fill(shard: ShardState, batchSize: number): Promise<void> {
    const filters = this.options.filters;
    while (shard.buffer.length < batchSize) {
      const iterator = await this.iteratorFor(shard);
      if (!iterator) {
        shard.exhausted = true;
        return;
      }
      let page: GetRecordsCommandOutput;
      try {
        page = await this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      } catch (error) {
        // The iterator is taken again from where the buffer ends; a poll that read nothing meets the error itself.
        shard.iterator = undefined;
        const name = (error as Error).name;
        if (name === 'ResourceNotFoundException') shard.exhausted = true;
        if (shard.buffer.length > 0 || name === 'ExpiredIteratorException' || name === 'TrimmedDataAccessException' || name === 'ResourceNotFoundException') return;
        throw error;
      }
      const got = page.Records ?? [];
      shard.iterator = page.NextShardIterator;
      if (!page.NextShardIterator) shard.exhausted = true;
      if (got.length === 0) return;
      shard.readUpTo = got[got.length - 1].dynamodb?.SequenceNumber;
      for (const record of got) if (!filters || passesFilters(record, filters)) shard.buffer.push(record);
    }
  }

  /** One batch and one handler invocation; true when it saw records. */
  private async pollShard(shard: ShardState): Promise<boolean> {
    // Like the event source mapping, a batch gathers what the shard holds up to batchSize, over
    // several GetRecords calls when batchSize is above the 1,000 one call returns.
    const batchSize = this.options.batchSize ?? 100;
    await this.fill(shard, batchSize);
    if (shard.buffer.length === 0) {
      // Everything read so far was filtered out (or there was nothing): the checkpoint moves past it.
      if (shard.readUpTo) shard.checkpoint = shard.readUpTo;
      if (shard.exhausted) shard.closed = true;
      return false;
    }
    this.pending++;
    try {
      // The head of the buffer, cut where the payload would pass the invocation limit; the rest stays for the next batch.
      const lambdaRecords = withinPayload(
        shard.buffer.slice(0, batchSize).map((r) => toLambdaRecord(r, this.options.streamArn)),
        this.options.maxBatchBytes ?? MAX_PAYLOAD_BYTES,
      );
      let failedFrom: number | undefined;
      try {
        const response = await this.options.handler({ Records: lambdaRecords });
        const failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        if (failedIds.size > 0) {
          const idx = lambdaRecords.findIndex((r) => failedIds.has(r.dynamodb?.SequenceNumber ?? ''));
          failedFrom = idx === -1 ? 0 : idx;
        }
      } catch (error) {
        this.options.log?.(`stream handler threw: ${(error as Error).message}`);
        failedFrom = 0;
      }
      this.stats.batches++;
      if (failedFrom === undefined) {
        shard.buffer.splice(0, lambdaRecords.length);
        shard.checkpoint = shard.buffer.length === 0 && shard.readUpTo ? shard.readUpTo : lambdaRecords[lambdaRecords.length - 1].dynamodb?.SequenceNumber;
        shard.attempts = 0;
        this.stats.records += lambdaRecords.length;
        return true;
      }
      // Retry from the earliest failed record, as the event source mapping does: it stays at the head of the buffer.
      this.stats.failures++;
      this.stats.records += failedFrom;
      if (failedFrom > 0) {
        shard.buffer.splice(0, failedFrom);
        shard.checkpoint = lambdaRecords[failedFrom - 1].dynamodb?.SequenceNumber;
        shard.attempts = 0;
      } else {
        shard.attempts++;
        if (shard.attempts >= (this.options.maxAttempts ?? 5)) {
          const poison = lambdaRecords[0];
          this.stats.givenUp++;
          if (this.options.failureFile) appendFileSync(this.options.failureFile, `${JSON.stringify({ at: new Date().toISOString(), record: poison })}\n`);
          this.options.log?.(`stream record ${poison.dynamodb?.SequenceNumber} given up after ${shard.attempts} attempts`);
          shard.buffer.shift();
          shard.checkpoint = poison.dynamodb?.SequenceNumber;
          shard.attempts = 0;
        } else {
          await new Promise((r) => setTimeout(r, 50 * 2 ** shard.attempts));
        }
      }
      return true;
    } finally {
      this.pending--;
    }
  }

  private saveCheckpoints(): void {
    if (!this.options.checkpointFile) return;
    const shards: Record<string, { checkpoint?: string; closed: boolean }> = {};
    for (const s of this.shards.values()) shards[s.shardId] = { checkpoint: s.checkpoint, closed: s.closed };
    writeFileSync(this.options.checkpointFile, JSON.stringify({ streamArn: this.options.streamArn, shards }));
  }
}
