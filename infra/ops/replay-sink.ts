import { appendFileSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { STREAM_PROCESSOR } from '../../functions/scheduled/schedules.js';
import { replayedFileOf, workingFileOf } from '../local/stream-poller.js';

/**
 * The local stack's counterpart of the on-failure queue replay: the stream
 * poller writes every record it gives up on to a failure sink (one JSON
 * line `{"at", "record"}` per record, infra/local/stream-poller.ts). This
 * runs those records through the stream handler again, in their order and
 * in batches, and moves the lines that went through to
 * `<sink>.replayed.jsonl`; lines whose record failed again stay in the sink,
 * together with every later line of the same item collection (it must not
 * overtake the one that failed).
 *
 * The sink is renamed before it is read, so records the poller gives up on
 * meanwhile start a new sink and are never lost; a replay that dies halfway
 * leaves `<sink>.replaying`, which the next replay takes first.
 */

export interface SinkReplayOptions {
  failureFile: string;
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;
  /** Records per handler call. @default STREAM_PROCESSOR.batchSize */
  batchSize?: number;
  log?: (line: string) => void;
}

export interface SinkReplayReport {
  replayed: number;
  kept: number;
  batches: number;
  /** Where the replayed lines went. */
  replayedFile: string;
}

interface Line {
  text: string;
  record?: DynamoDBRecord;
}

export { replayedFileOf };

function parse(text: string): Line {
  try {
    const record = (JSON.parse(text) as { record?: DynamoDBRecord }).record;
    return record?.dynamodb?.SequenceNumber ? { text, record } : { text };
  } catch {
    return { text };
  }
}

const sourceOf = (record: DynamoDBRecord) => record.dynamodb?.Keys?.pk?.S ?? '';

export async function replayFailureSink(options: SinkReplayOptions): Promise<SinkReplayReport> {
  const { failureFile } = options;
  const working = workingFileOf(failureFile);
  const replayedFile = replayedFileOf(failureFile);
  const log = options.log ?? (() => undefined);
  const texts: string[] = [];
  if (existsSync(working)) texts.push(...readFileSync(working, 'utf8').split('\n').filter(Boolean));
  if (existsSync(failureFile)) {
    const taken = `${working}.${process.pid}`;
    renameSync(failureFile, taken);
    texts.push(...readFileSync(taken, 'utf8').split('\n').filter(Boolean));
    appendFileSync(working, readFileSync(taken));
    rmSync(taken);
  }
  const lines = texts.map(parse);
  const batchSize = options.batchSize ?? STREAM_PROCESSOR.batchSize;
  const kept = new Set<Line>();
  const blocked = new Set<string>();
  let replayed = 0;
  let batches = 0;
  for (const line of lines) if (!line.record) kept.add(line);
  let pending = lines.filter((line) => line.record);
  while (pending.length > 0) {
    const batch: Line[] = [];
    const rest: Line[] = [];
    for (const line of pending) {
      if (blocked.has(sourceOf(line.record!))) kept.add(line);
      else if (batch.length < batchSize) batch.push(line);
      else rest.push(line);
    }
    pending = rest;
    if (batch.length === 0) break;
    batches++;
    let failed: Set<string>;
    try {
      const response = await options.handler({ Records: batch.map((line) => line.record!) });
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      log(`stream handler threw: ${(error as Error).message}`);
      failed = new Set(batch.map((line) => line.record!.dynamodb!.SequenceNumber!));
    }
    const done: string[] = [];
    for (const line of batch) {
      const record = line.record!;
      if (failed.has(record.dynamodb!.SequenceNumber!) || blocked.has(sourceOf(record))) {
        kept.add(line);
        blocked.add(sourceOf(record));
      } else done.push(line.text);
    }
    if (done.length > 0) appendFileSync(replayedFile, `${done.map((text) => JSON.stringify({ replayedAt: new Date().toISOString(), ...JSON.parse(text) })).join('\n')}\n`);
    replayed += done.length;
  }
  // What failed again goes back to the sink (after anything given up on meanwhile), in its order.
  const back = lines.filter((line) => kept.has(line)).map((line) => line.text);
  if (back.length > 0) appendFileSync(failureFile, `${back.join('\n')}\n`);
  if (existsSync(working)) rmSync(working);
  log(`${replayed} record(s) replayed (moved to ${replayedFile}), ${back.length} kept in ${failureFile}`);
  return { replayed, kept: back.length, batches, replayedFile };
}
