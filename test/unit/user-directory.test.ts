import { CognitoIdentityProviderClient, ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { userNames } from '../../functions/lib/user-directory.js';
import { useAwsRuntime } from '../support/aws-runtime.js';

const cognito = mockClient(CognitoIdentityProviderClient);
const user = (sub: string, name?: string) => ({ Username: sub, Attributes: [{ Name: 'sub', Value: sub }, ...(name ? [{ Name: 'name', Value: name }] : []), { Name: 'email', Value: `${sub}@acme.example` }] });

let restoreEnv: () => void;
beforeEach(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  restoreEnv = useAwsRuntime({ USER_POOL_ID: 'us-east-1_pool' });
});
afterEach(() => {
  cognito.reset();
  restoreEnv();
});

describe('the Cognito user directory', () => {
  it('names staff by sub from the pool (its name, else its email), one lookup per sub while warm', async () => {
    cognito.on(ListUsersCommand).callsFake((input: { Filter: string }) => {
      const sub = /sub = "(.+)"/.exec(input.Filter)![1];
      return { Users: sub === 'u-ana' ? [user('u-ana', 'Ana Souza')] : sub === 'u-otto' ? [user('u-otto')] : [] };
    });
    const names = await userNames(['u-ana', 'u-otto', 'u-ana', 'u-gone']);
    expect(Object.fromEntries(names)).toEqual({ 'u-ana': 'Ana Souza', 'u-otto': 'u-otto@acme.example' });
    expect(cognito.commandCalls(ListUsersCommand).map((c) => c.args[0].input)).toEqual(
      expect.arrayContaining([expect.objectContaining({ UserPoolId: 'us-east-1_pool', Filter: 'sub = "u-ana"', Limit: 1 })]),
    );
    const calls = cognito.commandCalls(ListUsersCommand).length;
    expect(calls).toBe(3);
    await userNames(['u-ana', 'u-gone']);
    expect(cognito.commandCalls(ListUsersCommand).length).toBe(calls);
  });

  it('leaves a name out when the pool cannot be read, and asks again next time', async () => {
    cognito.on(ListUsersCommand).rejects(new Error('throttled'));
    expect((await userNames(['u-flaky'])).size).toBe(0);
    cognito.reset();
    cognito.on(ListUsersCommand).resolves({ Users: [user('u-flaky', 'Flaky')] });
    expect(Object.fromEntries(await userNames(['u-flaky']))).toEqual({ 'u-flaky': 'Flaky' });
  });
});
