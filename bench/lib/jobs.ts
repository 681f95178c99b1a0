import { gzipSync } from 'node:zlib';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { INDEXES } from '../../functions/data/table-schema.js';
import { PAGE_LIMIT } from '../../functions/data/query.js';
import type { Role } from '../../shared/roles.js';
import type { BenchStack } from './bench-stack.js';
import { benchContact } from './contacts.js';
import { sleep } from './load.js';

export interface FinishedJob {
  id: string;
  status: string;
  total: number;
  processed: number;
  failed: number;
  errors: { row?: number; message: string }[];
  elapsedMs: number;
}

/** Starts a job with `POST /v1/jobs` and polls it until it succeeds or fails; the clock covers both. */
export async function runJob(b: BenchStack, role: Role, body: Record<string, unknown>, timeoutMs = 20 * 60_000): Promise<FinishedJob> {
  const client = b.api.as(role, `bench-${role}`);
  const t0 = performance.now();
  const started = await client.post('/v1/jobs', body);
  if (started.status !== 202) throw new Error(`POST /v1/jobs answered ${started.status}: ${JSON.stringify(started.body).slice(0, 300)}`);
  const id = started.body.id as string;
  for (;;) {
    const job = await client.get(`/v1/jobs/${id}`);
    if (job.status !== 200) throw new Error(`GET /v1/jobs/${id} answered ${job.status}`);
    if (job.body.status === 'succeeded' || job.body.status === 'failed') return { ...job.body, id, elapsedMs: performance.now() - t0 };
    if (performance.now() - t0 > timeoutMs) throw new Error(`job ${id} still ${job.body.status} after ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

/** A CSV of `rows` distinct contacts as a spreadsheet exports it (headers with spaces), gzipped for upload. */
export function benchCsv(rows: number, series: number): { csvGzipBase64: string; bytes: number } {
  const lines = ['First Name,Last Name,Phone,Email'];
  for (let i = 0; i < rows; i++) {
    const c = benchContact(i, series);
    lines.push(`${c.firstName},${c.lastName},${c.phone},${c.email}`);
  }
  const text = `${lines.join('\n')}\n`;
  return { csvGzipBase64: gzipSync(text).toString('base64'), bytes: Buffer.byteLength(text) };
}

/** Contact ids in the base, newest first, read with the bench's own client (inspection, not measured). */
export async function contactIds(b: BenchStack, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await b.raw.send(
      new QueryCommand({
        TableName: b.stack.tableName,
        IndexName: INDEXES.byType.name,
        KeyConditionExpression: `${INDEXES.byType.partitionKey} = :t`,
        ExpressionAttributeValues: { ':t': 'CONTACT' },
        ProjectionExpression: 'id',
        ScanIndexForward: false,
        Limit: Math.min(PAGE_LIMIT, limit - ids.length),
        ExclusiveStartKey: start,
      }),
    );
    ids.push(...(page.Items ?? []).map((item) => String(item.id)));
    start = page.LastEvaluatedKey;
  } while (start && ids.length < limit);
  return ids.slice(0, limit);
}
