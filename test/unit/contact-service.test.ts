import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createContact, patchContact } from '../../functions/contacts/contact-service.js';
import { resetConfig } from '../../functions/lib/config.js';
import { setDdbClient } from '../../functions/lib/dynamo.js';
import { ConflictError, ValidationError } from '../../functions/lib/errors.js';
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
afterEach(() => ddbMock.reset());

const conditionFailed = () => Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });

describe('createContact', () => {
  it('writes one conditional Put with the normalized fields and index keys', async () => {
    ddbMock.on(PutCommand).resolves({});
    const parsed = createBody.safeParse({ firstName: 'Ana', phone: '11 91234-5678', email: 'ANA@X.COM' });
    if (!parsed.success) throw new Error('the body should parse');
    const contact = await createContact(parsed.data, 'bearer');
    const calls = ddbMock.commandCalls(PutCommand);
    expect(calls).toHaveLength(1);
    const item = calls[0].args[0].input.Item!;
    expect(item).toMatchObject({ pk: `CONTACT#${contact.id}`, sk: 'P#PROFILE', phone: '+5511912345678', email: 'ana@x.com', gsi2pk: 'PHONE#+5511912345678', gsi3pk: 'EMAIL#ana@x.com', gsi1pk: 'CONTACT' });
    expect(calls[0].args[0].input.ConditionExpression).toBe('attribute_not_exists(pk)');
  });

  it('uses the API origin for API-key callers', async () => {
    ddbMock.on(PutCommand).resolves({});
    const contact = await createContact({ email: 'x@y.co' }, 'apiKey');
    expect(contact.origin).toEqual({ type: 'api', label: 'API' });
  });

  it('a body the schema refuses never reaches the service: field errors, nothing written', async () => {
    const parsed = createBody.safeParse({ email: 'bad' });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(fieldsOf(parsed.error.issues)).toEqual({ email: 'is not a valid email address' });
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('puts the profile and its channel states in one transaction', async () => {
    ddbMock.on(TransactWriteCommand).resolves({});
    await createContact({ firstName: 'Ana', channels: { sms: 'subscribed', email: 'unsubscribed' } }, 'bearer');
    const items = ddbMock.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
    expect(items.map((i) => i.Put?.Item?.sk)).toEqual(['P#PROFILE', 'P#CH#sms', 'P#CH#email']);
  });
});

describe('patchContact', () => {
  const stored = { pk: 'CONTACT#1', sk: 'P#PROFILE', type: 'contact', id: '1', firstName: 'Ana', origin: { type: 'api', label: 'API' }, createdAt: 't', updatedAt: 't', version: 3 };

  it('retries on a concurrent change (version condition) and then succeeds', async () => {
    ddbMock.on(GetCommand).resolves({ Item: stored });
    ddbMock.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});
    const next = await patchContact('1', { lastName: 'Lima' });
    expect(next.lastName).toBe('Lima');
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(2);
    expect(ddbMock.commandCalls(UpdateCommand)[0].args[0].input.ExpressionAttributeValues![':version']).toBe(3);
  });

  it('gives up with 409 when the contact keeps changing', async () => {
    ddbMock.on(GetCommand).resolves({ Item: stored });
    ddbMock.on(UpdateCommand).rejects(conditionFailed());
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
