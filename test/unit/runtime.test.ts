import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileBlobStore } from '../../functions/lib/blob-store.js';
import { AWS_CONFIG_ENV } from '../../functions/lib/config.js';
import { invokeJobWorker } from '../../functions/lib/invoke.js';
import { publishDispatch } from '../../functions/lib/outbound.js';
import { RUNTIME_PORTS, useLocalRuntime, type LocalRuntime } from '../../functions/lib/runtime.js';
import { userNames } from '../../functions/lib/user-directory.js';
import { AWS_BASE_ENV, useAwsRuntime } from '../support/aws-runtime.js';

const PORT_ENV = { JOB_WORKER_FUNCTION: 'contacts-acme-job-worker', EVENT_BUS_NAME: 'contacts-acme-dispatches', BLOB_BUCKET: 'blobs', USER_POOL_ID: 'us-east-1_pool' };
const dispatch = { id: 'd1', contactId: 'c1', channel: 'sms', text: 'hi', to: { phone: '+5511999990000' }, at: '2026-01-01T00:00:00.000Z' };

/** A module as a cold start loads it: a fresh copy, evaluated with the environment as it is now. */
async function coldStart(module: string): Promise<unknown> {
  vi.resetModules();
  return import(module);
}

let restoreEnv = () => {};
afterEach(() => {
  restoreEnv();
  restoreEnv = () => {};
  useLocalRuntime(undefined);
  delete process.env.RUNTIME;
});

describe('the AWS composition (RUNTIME=aws)', () => {
  it('fails the cold start of a module whose port lacks its variable, naming it', async () => {
    restoreEnv = useAwsRuntime();
    for (const { module, env } of Object.values(RUNTIME_PORTS)) {
      await expect(coldStart(`../../${module.replace(/\.ts$/, '.js')}`), module).rejects.toThrow(`missing environment variable ${env.join(', ')}`);
    }
  });

  it('fails the cold start when a variable every function is given is missing, naming each one', async () => {
    restoreEnv = useAwsRuntime();
    delete process.env.TENANT;
    delete process.env.CURSOR_SECRET;
    delete process.env.SUPPRESSION_SECRET;
    await expect(coldStart('../../functions/lib/config.js')).rejects.toThrow('missing environment variables TENANT, CURSOR_SECRET, SUPPRESSION_SECRET');
  });

  it('loads every port with its variables set', async () => {
    restoreEnv = useAwsRuntime(PORT_ENV);
    for (const { module } of Object.values(RUNTIME_PORTS)) await expect(coldStart(`../../${module.replace(/\.ts$/, '.js')}`)).resolves.toBeDefined();
  });

  it('hands a job over with an asynchronous invocation of the named worker', async () => {
    const lambda = mockClient(LambdaClient);
    restoreEnv = useAwsRuntime(PORT_ENV);
    await invokeJobWorker({ jobId: 'j1', token: 't' });
    const [call] = lambda.commandCalls(InvokeCommand);
    expect(call.args[0].input).toMatchObject({ FunctionName: 'contacts-acme-job-worker', InvocationType: 'Event' });
    expect(JSON.parse(Buffer.from(call.args[0].input.Payload as Uint8Array).toString())).toEqual({ jobId: 'j1', token: 't' });
    lambda.restore();
  });

  it('publishes a dispatch on the named bus', async () => {
    const events = mockClient(EventBridgeClient);
    restoreEnv = useAwsRuntime(PORT_ENV);
    await publishDispatch(dispatch);
    expect(events.commandCalls(PutEventsCommand)[0].args[0].input.Entries).toEqual([
      { EventBusName: 'contacts-acme-dispatches', Source: 'contacts.dispatch', DetailType: 'DispatchQueued', Detail: JSON.stringify(dispatch) },
    ]);
    events.restore();
  });

  it('ignores a local composition: only RUNTIME chooses', async () => {
    const local = { jobWorker: { start: vi.fn() } } as unknown as LocalRuntime;
    const lambda = mockClient(LambdaClient);
    restoreEnv = useAwsRuntime(PORT_ENV);
    useLocalRuntime(local);
    await invokeJobWorker({ jobId: 'j1' });
    expect(local.jobWorker.start).not.toHaveBeenCalled();
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(1);
    lambda.restore();
  });
});

describe('the local composition (RUNTIME=local)', () => {
  it('serves every port from what the host installed', async () => {
    process.env.RUNTIME = 'local';
    const local: LocalRuntime = {
      jobWorker: { start: vi.fn() },
      dispatches: { publish: vi.fn(async () => undefined) },
      blobs: new FileBlobStore('/tmp/unused'),
      userDirectory: { names: async () => new Map([['u1', 'Ana']]) },
    };
    useLocalRuntime(local);
    await invokeJobWorker({ jobId: 'j1' });
    await publishDispatch(dispatch);
    expect(local.jobWorker.start).toHaveBeenCalledWith({ jobId: 'j1' });
    expect(local.dispatches.publish).toHaveBeenCalledWith(dispatch);
    expect(Object.fromEntries(await userNames(['u1']))).toEqual({ u1: 'Ana' });
  });

  it('refuses to run a port when nothing is installed, rather than dropping the work', async () => {
    process.env.RUNTIME = 'local';
    await expect(invokeJobWorker({ jobId: 'j1' })).rejects.toThrow(/no local composition is installed/);
  });
});

describe('without RUNTIME', () => {
  it('guesses nothing: a port says RUNTIME is not set', async () => {
    delete process.env.RUNTIME;
    await expect(publishDispatch(dispatch)).rejects.toThrow(/RUNTIME is not set/);
  });

  it('names the base variables the CDK gives every function', () => {
    expect(AWS_CONFIG_ENV.every((name) => name in AWS_BASE_ENV)).toBe(true);
    expect(Object.keys(AWS_BASE_ENV).sort()).toEqual(['AWS_REGION', 'CURSOR_SECRET', 'DEFAULT_PHONE_REGION', 'RUNTIME', 'SENTIMENT_PROVIDER', 'SUPPRESSION_SECRET', 'TABLE_NAME', 'TENANT', 'TENANT_TIMEZONE']);
  });
});
