import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { jobTuning } from '../../functions/jobs/job-runner.js';
import { setDdbClient, ddb } from '../../functions/lib/dynamo.js';
import { createJob } from '../../functions/jobs/job-service.js';
import { handler as worker } from '../../functions/jobs/run-job-worker.js';
import { lambdaContext } from '../../infra/local/http-host.js';
import { useLocalStack, usersOf } from '../support/api-suite.js';

const stack = useLocalStack();
const { operator, agent, admin } = usersOf(stack);
const defaults = { ...jobTuning };
afterEach(() => {
  Object.assign(jobTuning, defaults);
  setDdbClient(undefined);
});

async function runImport(body: Record<string, unknown>) {
  const created = await operator().post('/v1/jobs', { type: 'import-contacts', ...body });
  expect(created.status, JSON.stringify(created.body)).toBe(202);
  expect(created.body).toMatchObject({ type: 'import-contacts', status: 'queued' });
  await stack.idleJobs();
  return (await agent().get(`/v1/jobs/${created.body.id}`)).body;
}
const byPhone = async (phone: string) => (await agent().get(`/v1/contacts?q=${encodeURIComponent(phone)}`)).body.items as Record<string, any>[];

describe('CSV import', () => {
  it('imports the good rows, reports the bad one with its spreadsheet row, and labels the origin with the file name', async () => {
    const csv = ['First Name,last_name,Celular,E-mail,Plano', 'Ana,Lima,(11) 91234-0001,ana@imp.example,Pro', 'Bruno,,not a phone,bruno@imp.example,', 'Caio,Souza,+55 21 91234-0003,,Básico'].join('\n');
    const job = await runImport({ fileName: 'leads-novembro.csv', csv, mapping: { Celular: 'phone' } });
    expect(job).toMatchObject({ status: 'succeeded', total: 3, processed: 2, failed: 1, fileName: 'leads-novembro.csv', summary: { created: 2, updated: 0, skipped: 0 } });
    expect(job.errors).toEqual([{ row: 3, message: 'Celular: is not a valid phone number', fields: { phone: 'is not a valid phone number' } }]);
    const [ana] = await byPhone('11912340001');
    expect(ana).toMatchObject({ firstName: 'Ana', lastName: 'Lima', email: 'ana@imp.example', country: 'BR', customFields: { Plano: 'Pro' }, origin: { type: 'csv', label: 'CSV Import - leads-novembro.csv' } });
    expect(await byPhone('21912340003')).toHaveLength(1);
    expect((await agent().get('/v1/contacts?q=bruno@imp.example')).body.items).toEqual([]);
  });

  it('updates duplicates by phone or email by default, and adds the rows to a list with an exact count', async () => {
    const list = (await operator().post('/v1/lists', { name: 'Imported' })).body;
    const existing = (await operator().post('/v1/contacts', { firstName: 'Dora', phone: '11 91234-1001', customFields: { keep: 'yes' } })).body;
    const byMail = (await operator().post('/v1/contacts', { firstName: 'Eva', email: 'eva@imp.example' })).body;
    await operator().put(`/v1/contacts/${existing.id}/lists/${list.id}`);
    const csv = ['firstName;lastName;phone;email', 'Dora;Dias;+5511912341001;', 'Eva;Esteves;;EVA@imp.example', 'Fábio;Farias;11912341003;', 'Fábio 2;Repeated;11 91234-1003;'].join('\r\n');
    const job = await runImport({ fileName: 'update.csv', csv, listId: list.id });
    expect(job).toMatchObject({ status: 'succeeded', processed: 4, failed: 0, summary: { created: 1, updated: 3, skipped: 0 }, listId: list.id });
    const dora = (await agent().get(`/v1/contacts/${existing.id}`)).body;
    expect(dora).toMatchObject({ lastName: 'Dias', customFields: { keep: 'yes' }, origin: { type: 'manual_import' } });
    expect(dora.lists).toEqual([{ id: list.id, name: 'Imported' }]);
    expect((await agent().get(`/v1/contacts/${byMail.id}`)).body.lastName).toBe('Esteves');
    const fabio = await byPhone('11912341003');
    expect(fabio).toHaveLength(1);
    expect(fabio[0]).toMatchObject({ firstName: 'Fábio 2', lastName: 'Repeated' });
    expect((await agent().get(`/v1/lists/${list.id}`)).body.memberCount).toBe(3);
    expect((await agent().get(`/v1/lists/${list.id}/contacts`)).body.items).toHaveLength(3);
  });

  it('skips or creates duplicates when asked', async () => {
    const original = (await operator().post('/v1/contacts', { firstName: 'Gil', phone: '11 91234-2001' })).body;
    const csv = 'firstName,phone\nGil Novo,11912342001\nHeloísa,11912342002\n';
    const skipped = await runImport({ fileName: 'skip.csv', csv, onDuplicate: 'skip' });
    expect(skipped).toMatchObject({ processed: 2, summary: { created: 1, updated: 0, skipped: 1 } });
    expect((await agent().get(`/v1/contacts/${original.id}`)).body.firstName).toBe('Gil');
    const created = await runImport({ fileName: 'create.csv', csv, onDuplicate: 'create' });
    expect(created).toMatchObject({ processed: 2, summary: { created: 2, updated: 0, skipped: 0 } });
    expect((await byPhone('11912342001')).map((c) => c.firstName).sort()).toEqual(['Gil', 'Gil Novo']);
    expect(await byPhone('11912342002')).toHaveLength(2);
  });

  it('types custom fields from their definitions, resolves companies by name and creates new departments', async () => {
    await admin().post('/v1/custom-fields', { name: 'Pontos', key: 'points', type: 'number' });
    await admin().post('/v1/custom-fields', { name: 'Cliente', key: 'customer', type: 'boolean' });
    const company = (await operator().post('/v1/companies', { name: 'Banco Horizonte' })).body;
    const csv = ['nome,telefone,points,Customer,empresa,departamento', 'Iara,11912343001,"1.234,5",sim,banco horizonte,Cobrança', 'João,11912343002,lots,não,,', 'Kátia,11912343003,7,no,Nope Inc,Cobrança'].join('\n');
    const job = await runImport({ fileName: 'typed.csv', csv });
    expect(job).toMatchObject({ processed: 1, failed: 2 });
    expect(job.errors.map((e: { row: number }) => e.row)).toEqual([3, 4]);
    expect(job.errors[0].message).toBe('points: must be a number');
    expect(job.errors[1].message).toBe('empresa: no company is named "Nope Inc"');
    const [iara] = await byPhone('11912343001');
    expect(iara.customFields).toEqual({ points: 1234.5, customer: true });
    expect(iara.company).toEqual({ id: company.id, name: 'Banco Horizonte' });
    expect(iara.department.name).toBe('Cobrança');
    expect((await agent().get('/v1/departments?q=cobran')).body.items).toHaveLength(1);
  });

  it('takes a gzip-compressed file, with the same result', async () => {
    const csv = 'email\nlia@imp.example\nnot-an-email\n';
    const job = await runImport({ fileName: 'zipped.csv', csvGzipBase64: gzipSync(csv).toString('base64') });
    expect(job).toMatchObject({ processed: 1, failed: 1, errors: [{ row: 3 }] });
    expect((await agent().get('/v1/contacts?q=lia@imp.example')).body.items).toHaveLength(1);
  });

  it('lets agents see import jobs but not start them', async () => {
    expect((await agent().post('/v1/jobs', { type: 'import-contacts', fileName: 'a.csv', csv: 'phone\n11912344001' })).status).toBe(403);
  });

  it('imports in chunks and resumes after losing a step, without duplicates or double counts', async () => {
    jobTuning.importChunk = 3;
    const list = (await operator().post('/v1/lists', { name: 'Resumed import' })).body;
    const rows = Array.from({ length: 8 }, (_, i) => `Row${i},1191234${String(5000 + i)}`);
    const job = await createJob({ type: 'import-contacts', fileName: 'crash.csv', csv: ['firstName,phone', ...rows].join('\n'), listId: list.id, onDuplicate: 'create' }, { sub: 'otto', name: 'otto', role: 'operator' }, { start: false });
    const real = ddb();
    let commits = 0;
    setDdbClient(
      new Proxy(real, {
        get(target, prop, receiver) {
          if (prop !== 'send') return Reflect.get(target, prop, receiver);
          return async (command: { input?: { TransactItems?: { Update?: { Key?: { pk?: string } } }[] } }) => {
            // The second step writes its contacts, then the worker dies as it commits them with the list count.
            if (command.input?.TransactItems?.[0]?.Update?.Key?.pk === `JOB#${job.id}` && ++commits === 2) throw new Error('worker killed before commit');
            return target.send(command as never);
          };
        },
      }),
    );
    await expect(worker({ jobId: job.id, token: job.leaseOwner }, lambdaContext('doomed', 15 * 60_000))).rejects.toThrow('killed');
    setDdbClient(undefined);
    expect((await agent().get(`/v1/jobs/${job.id}`)).body.processed).toBe(3);
    expect((await agent().get(`/v1/lists/${list.id}`)).body.memberCount).toBe(3);

    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    const { tableName } = await import('../../functions/lib/dynamo.js');
    await ddb().send(new UpdateCommand({ TableName: tableName(), Key: { pk: `JOB#${job.id}`, sk: '#META' }, UpdateExpression: 'SET leaseUntil = :zero', ExpressionAttributeValues: { ':zero': 0 } }));
    await stack.runSchedule('resume-jobs');
    await stack.idleJobs();
    const done = (await agent().get(`/v1/jobs/${job.id}`)).body;
    expect(done).toMatchObject({ status: 'succeeded', total: 8, processed: 8, summary: { created: 8 } });
    for (let i = 0; i < 8; i++) expect(await byPhone(`1191234${5000 + i}`)).toHaveLength(1);
    expect((await agent().get(`/v1/lists/${list.id}`)).body.memberCount).toBe(8);
  });
});
