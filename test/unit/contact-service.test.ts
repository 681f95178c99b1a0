import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createContact, patchContact } from '../../functions/contacts/contact-service.js';
import { resetConfig } from '../../functions/lib/config.js';
import { setDdbClient } from '../../functions/lib/dynamo.js';
import { ConflictError, SuppressedError, ValidationError } from '../../functions/lib/errors.js';
import { suppressionHash } from '../../functions/privacy/suppression-check.js';
import { contactBody, messageBody } from '../../shared/schemas/contacts.js';
import { fieldsOf } from '../../shared/schemas/fields.js';

const createBody = contactBody('create', () => 'BR');

const ddbMock = mockClient(DynamoDBDocumentClient);

beforeAll(() => {
  process.env.TABLE_NAME = 'unit';
  delete process.env.DYNAMODB_ENDPOINT;
  resetConfig();
  setDdbClient(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })));
});
// No phone or email here is suppressed (the suppression check is one BatchGet of their hashes).
beforeEach(() => ddbMock.on(BatchGetCommand).resolves({ Responses: {} }));
afterEach(() => ddbMock.reset());
// The suppression check (one BatchGet of the values' hashes) finds nothing unless a test says otherwise.
beforeEach(() => ddbMock.on(BatchGetCommand).resolves({ Responses: { unit: [] } }));

const conditionFailed = () => Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });

describe('createContact', () => {
  it('writes one transaction: a conditional Put with the normalized fields and index keys, and its `created` activity entry', async () => {
    ddbMock.on(TransactWriteCommand).resolves({});
    const parsed = createBody.safeParse({ firstName: 'Ana', phone: '11 91234-5678', email: 'ANA@X.COM' });
    if (!parsed.success) throw new Error('the body should parse');
    const contact = await createContact(parsed.data, 'bearer');
    const calls = ddbMock.commandCalls(TransactWriteCommand);
    expect(calls).toHaveLength(1);
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
    const [profile, entry] = calls[0].args[0].input.TransactItems!.map((i) => i.Put!);
    expect(profile.Item).toMatchObject({ pk: `CONTACT#${contact.id}`, sk: 'P#PROFILE', phone: '+5511912345678', email: 'ana@x.com', gsi2pk: 'PHONE#+5511912345678', gsi3pk: 'EMAIL#ana@x.com', gsi1pk: 'CONTACT' });
    expect(profile.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(entry.Item).toMatchObject({ pk: `CONTACT#${contact.id}`, sk: expect.stringMatching(/^T#/), type: 'activity', action: 'created' });
  });

  it('uses the API origin for API-key callers', async () => {
    ddbMock.on(TransactWriteCommand).resolves({});
    const contact = await createContact({ email: 'x@y.co' }, 'apiKey');
    expect(contact.origin).toEqual({ type: 'api', label: 'API' });
  });

  it('a body the schema refuses never reaches the service: field errors, nothing written', async () => {
    const parsed = createBody.safeParse({ email: 'bad' });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(fieldsOf(parsed.error.issues)).toEqual({ email: 'is not a valid email address' });
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('refuses a suppressed phone with 409 suppressed naming the field, after one BatchGet of the hashes, writing nothing', async () => {
    const phone = suppressionHash({ kind: 'phone', value: '+5511912345678' });
    ddbMock.on(BatchGetCommand).resolves({ Responses: { unit: [{ id: phone }] } });
    const attempt = createContact({ firstName: 'Ana', phone: '+5511912345678', email: 'ana@x.com' }, 'bearer');
    await expect(attempt).rejects.toBeInstanceOf(SuppressedError);
    await expect(attempt).rejects.toMatchObject({ status: 409, code: 'suppressed', fields: { phone: expect.any(String) } });
    const [get] = ddbMock.commandCalls(BatchGetCommand);
    const keys = get.args[0].input.RequestItems!.unit.Keys!;
    expect(keys).toHaveLength(2);
    // Only hashes are looked up: no key spells the phone or the email.
    expect(JSON.stringify(keys)).not.toMatch(/5511912345678|ana@x\.com/);
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('puts the profile and its channel states in one transaction', async () => {
    ddbMock.on(TransactWriteCommand).resolves({});
    await createContact({ firstName: 'Ana', channels: { sms: 'subscribed', email: 'unsubscribed' } }, 'bearer');
    const items = ddbMock.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
    expect(items.map((i) => String(i.Put?.Item?.sk).replace(/^T#.*/, 'T#…'))).toEqual(['P#PROFILE', 'P#CH#sms', 'P#CH#email', 'T#…']);
  });
});

describe('patchContact', () => {
  const stored = { pk: 'CONTACT#1', sk: 'P#PROFILE', type: 'contact', id: '1', firstName: 'Ana', origin: { type: 'api', label: 'API' }, createdAt: 't', updatedAt: 't', version: 3 };

  const cancelled = () => Object.assign(new Error('Transaction cancelled'), { name: 'TransactionCanceledException', CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }] });

  it('retries on a concurrent change (version condition) and then succeeds, the change and its `updated` entry in one transaction', async () => {
    ddbMock.on(GetCommand).resolves({ Item: stored });
    ddbMock.on(TransactWriteCommand).rejectsOnce(cancelled()).resolves({});
    const next = await patchContact('1', { lastName: 'Lima' });
    expect(next.lastName).toBe('Lima');
    const calls = ddbMock.commandCalls(TransactWriteCommand);
    expect(calls).toHaveLength(2);
    const [update, entry] = calls[0].args[0].input.TransactItems!;
    expect(update.Update!.ExpressionAttributeValues![':version']).toBe(3);
    expect(entry.Put!.Item).toMatchObject({ action: 'updated', details: { changes: [{ field: 'lastName', from: null, to: 'Lima' }] } });
  });

  it('gives up with 409 when the contact keeps changing', async () => {
    ddbMock.on(GetCommand).resolves({ Item: stored });
    ddbMock.on(TransactWriteCommand).rejects(cancelled());
    await expect(patchContact('1', { lastName: 'Lima' })).rejects.toBeInstanceOf(ConflictError);
  });

  it('refuses to clear the last identifying field', async () => {
    ddbMock.on(GetCommand).resolves({ Item: stored });
    await expect(patchContact('1', { firstName: null })).rejects.toBeInstanceOf(ValidationError);
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});

describe('the message body (POST /v1/contacts/{id}/messages)', () => {
  it('refuses a bad channel and text at the schema, every problem at once, before anything is read', async () => {
    const parsed = messageBody.safeParse({ channel: 'fax', text: '' });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(fieldsOf(parsed.error.issues)).toEqual({ channel: 'must be one of sms, whatsapp, rcs, email, webchat, messenger, instagram', text: 'is required' });
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('hands the service the parsed channel and text', () => {
    const parsed = messageBody.safeParse({ channel: 'sms', text: 'Olá' });
    expect(parsed.success && parsed.data).toEqual({ channel: 'sms', text: 'Olá' });
  });
});
