import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { blobStore, S3BlobStore } from '../../functions/lib/blob-store.js';
import { useAwsRuntime } from '../support/aws-runtime.js';

/**
 * The S3 store loads the SDK on first use (import()); the mock patches the
 * same S3Client class, so these prove the lazy path sends what it should.
 */
describe('S3BlobStore', () => {
  const s3 = mockClient(S3Client);
  const store = new S3BlobStore('blobs', 'us-east-1');
  let restoreEnv = () => {};
  afterEach(() => {
    s3.reset();
    restoreEnv();
    restoreEnv = () => {};
  });

  it('puts, gets and deletes objects under the bucket', async () => {
    // The stream body's one method the store uses.
    const Body = { transformToByteArray: async () => new TextEncoder().encode('a,b\n1,2\n') } as never;
    s3.on(GetObjectCommand).resolves({ Body });
    await store.put('imports/j1/rows.csv', 'a,b\n1,2\n', 'text/csv');
    expect(await store.get('imports/j1/rows.csv')).toEqual(Buffer.from('a,b\n1,2\n'));
    await store.delete('imports/j1/rows.csv');
    expect(s3.commandCalls(PutObjectCommand)[0].args[0].input).toEqual({ Bucket: 'blobs', Key: 'imports/j1/rows.csv', Body: 'a,b\n1,2\n', ContentType: 'text/csv' });
    expect(s3.commandCalls(DeleteObjectCommand)[0].args[0].input).toEqual({ Bucket: 'blobs', Key: 'imports/j1/rows.csv' });
  });

  it('answers undefined for a missing object', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'gone', $metadata: {} }));
    expect(await store.get('exports/j2/contacts.csv')).toBeUndefined();
  });

  it('refuses keys the jobs code would never make, before calling S3', async () => {
    await expect(store.put('../etc/passwd', 'x', 'text/plain')).rejects.toThrow('invalid blob key');
    expect(s3.calls()).toHaveLength(0);
  });

  it('presigns a GET that downloads under the given file name', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    const url = new URL(await store.signedUrl('exports/j2/contacts.csv', { fileName: 'contatos março.csv', expiresInSeconds: 600 }));
    expect(url.hostname).toBe('blobs.s3.us-east-1.amazonaws.com');
    expect(url.pathname).toBe('/exports/j2/contacts.csv');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
    expect(url.searchParams.get('response-content-disposition')).toBe(`attachment; filename="contatos mar_o.csv"; filename*=UTF-8''contatos%20mar%C3%A7o.csv`);
  });

  it('is the store blobStore() builds in AWS, from BLOB_BUCKET', () => {
    restoreEnv = useAwsRuntime({ BLOB_BUCKET: 'tenant-blobs' });
    expect(blobStore()).toBeInstanceOf(S3BlobStore);
  });
});
