import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { CSV_LIMITS } from '../../functions/jobs/csv-import.js';
import { useLocalStack } from '../support/api-suite.js';
import { expectFieldErrors } from '../support/factories.js';

const stack = useLocalStack();
const operator = () => stack.api.as('operator', 'otto');

const jobCount = async () => (await operator().get('/v1/jobs?limit=100')).body.items.length;
const uploads = () => readdirSync(join(process.env.BLOB_DIR!, 'imports'), { withFileTypes: true }).length;

/** Posts an import that must be refused, and checks it left no job and no stored file behind. */
async function refused(body: Record<string, unknown>) {
  const [jobs, files] = [await jobCount(), uploads()];
  const r = await operator().post('/v1/jobs', { type: 'import-contacts', fileName: 'limits.csv', ...body });
  expect(await jobCount()).toBe(jobs);
  expect(uploads()).toBe(files);
  return r;
}

describe('CSV import limits', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    // The imports folder exists once one upload was stored.
    await operator().post('/v1/jobs', { type: 'import-contacts', fileName: 'seed.csv', csv: 'firstName\nSeed\n' });
    await stack.idleJobs();
  });

  it('answers 413 for a gzip upload that inflates past the limit', async () => {
    const rows = Buffer.alloc(CSV_LIMITS.maxBytes + 1024 * 1024, '1,2\n');
    const bomb = gzipSync(Buffer.concat([Buffer.from('a,b\n'), rows]), { level: 9 });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const r = await refused({ csvGzipBase64: bomb.toString('base64') });
    expect(r.status).toBe(413);
    expect(r.body.error).toMatchObject({ code: 'too_large', message: expect.stringContaining('MB') });
  });

  it('answers a field-level 400 for too many columns', async () => {
    const header = Array.from({ length: CSV_LIMITS.maxColumns + 1 }, (_, i) => `c${i}`).join(',');
    const r = await refused({ csv: `${header}\n${'1,'.repeat(CSV_LIMITS.maxColumns)}1\n` });
    expectFieldErrors(r, { csv: /columns; at most 256/ });
  });

  it('answers a field-level 400 for too many mapping entries', async () => {
    const mapping = Object.fromEntries(Array.from({ length: CSV_LIMITS.maxMappingEntries + 1 }, (_, i) => [`c${i}`, 'ignore']));
    const r = await refused({ csv: 'firstName\nAna\n', mapping });
    expectFieldErrors(r, { mapping: /at most 256 entries/ });
  });

  it('answers a field-level 400 for a header that does not end within the first 64 KB', async () => {
    const r = await refused({ csv: `firstName,"${'x'.repeat(CSV_LIMITS.headBytes + 10)}\nAna,1\n` });
    expectFieldErrors(r, { csv: /header line/ });
  });

  it('parses the file in the worker: a bad row far down fails the job with its line, not the request', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `Row${i},+55119${String(50000000 + i)}`);
    rows[4000] = 'Broken,"+5511';
    const created = await operator().post('/v1/jobs', { type: 'import-contacts', fileName: 'late.csv', csvGzipBase64: gzipSync(`firstName,phone\n${rows.join('\n')}\n`).toString('base64') });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: 'queued', total: null });
    await stack.idleJobs();
    const job = (await operator().get(`/v1/jobs/${created.body.id}`)).body;
    expect(job.status).toBe('failed');
    expect(job.message).toMatch(/not valid CSV \(near line \d+\)/);
    expect((await operator().get('/v1/contacts?q=Row1')).body.items).toEqual([]);
  });
});
