import { createHash } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ulid } from 'ulid';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forgetRefusedKeys, verifyApiKey } from '../../functions/events/api-keys.js';
import { resetConfig } from '../../functions/lib/config.js';
import { setDdbClient } from '../../functions/lib/dynamo.js';

const mock = mockClient(DynamoDBDocumentClient);
const secret = (c: string) => c.repeat(43);
const aKey = (id = ulid(), s = secret('a')) => `cek_${id}_${s}`;
const reads = () => mock.commandCalls(GetCommand).length;

beforeEach(() => {
  process.env.TABLE_NAME = 'unit';
  resetConfig();
  setDdbClient(mock as unknown as DynamoDBDocumentClient);
  forgetRefusedKeys();
});
afterEach(() => {
  mock.reset();
  setDdbClient(undefined);
});

describe('verifyApiKey', () => {
  it('refuses a malformed key before any DynamoDB read', async () => {
    const id = ulid();
    const malformed = [undefined, '', 'ck_live_not-a-real-key', `cek_${id}`, `cek_${id}_${secret('a').slice(1)}`, `cek_${id}_${secret('a')}x`, `cek_${id.toLowerCase()}_${secret('a')}`, `cek_${id}_${'+'.repeat(43)}`, `Bearer cek_${id}_${secret('a')}`, 'x'.repeat(10_000)];
    for (const key of malformed) expect(await verifyApiKey(key)).toBeUndefined();
    expect(reads()).toBe(0);
  });

  it('refuses a well-formed key whose id was made in the future (a forged one) without a read', async () => {
    expect(await verifyApiKey(aKey('7ZZZZZZZZZZZZZZZZZZZZZZZZZ'))).toBeUndefined();
    expect(await verifyApiKey(aKey(ulid(Date.now() + 3_600_000)))).toBeUndefined();
    expect(reads()).toBe(0);
  });

  it('reads an unknown or revoked id once, then refuses it from memory', async () => {
    const unknown = ulid();
    const revoked = ulid();
    mock.on(GetCommand).callsFake((input) => (String(input.Key.pk).endsWith(revoked) ? { Item: { type: 'apiKey', hash: 'x', revokedAt: '2026-01-01' } } : {}));
    for (let i = 0; i < 3; i++) {
      expect(await verifyApiKey(aKey(unknown))).toBeUndefined();
      expect(await verifyApiKey(aKey(revoked))).toBeUndefined();
    }
    expect(reads()).toBe(2);
  });

  it('accepts the live key, and never remembers a wrong secret under its id (that would lock the real key out)', async () => {
    const id = ulid();
    const key = aKey(id);
    mock.on(GetCommand).resolves({ Item: { type: 'apiKey', id, hash: createHash('sha256').update(key).digest('hex') } });
    expect(await verifyApiKey(aKey(id, secret('b')))).toBeUndefined();
    expect(await verifyApiKey(aKey(id, secret('b')))).toBeUndefined();
    expect(await verifyApiKey(key)).toBe(id);
    expect(reads()).toBe(3);
  });
});
