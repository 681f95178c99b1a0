import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { inParallel } from './concurrency.js';
import { config } from './config.js';
import { logger } from './logger.js';
import { definePort } from './runtime.js';

/**
 * Staff names as the user directory holds them: the Cognito user pool in
 * AWS, where only admins may change a user's `name` (the app client lets
 * users write no attribute but their email). Whatever shows who did
 * something (merge history) reads names here, never from a token claim.
 * Locally the host's composition holds the users its /local/token signs in.
 */
export interface UserDirectory {
  /** Names by sub; a sub the directory does not know is left out. */
  names(subs: readonly string[]): Promise<Map<string, string>>;
}

/** A warm container keeps names a few minutes: a renamed user shows the new name soon, without a lookup per view. */
const CACHE_MS = 5 * 60_000;
const cache = new Map<string, { name: string | undefined; until: number }>();
let cognito: CognitoIdentityProviderClient | undefined;

async function nameInPool(userPoolId: string, sub: string): Promise<string | undefined> {
  // Loaded on first use: the merge area answers most requests without a name to look up.
  const { CognitoIdentityProviderClient: Client, ListUsersCommand } = await import('@aws-sdk/client-cognito-identity-provider');
  cognito ??= new Client({ region: config().region });
  // `sub` is a UUID here (the authorizer verified the token it came from); the filter quotes it anyway.
  const { Users } = await cognito.send(new ListUsersCommand({ UserPoolId: userPoolId, Filter: `sub = "${sub.replace(/["\\]/g, '')}"`, Limit: 1, AttributesToGet: ['name', 'email'] }));
  const attributes = Users?.[0]?.Attributes ?? [];
  return attributes.find((a) => a.Name === 'name')?.Value || attributes.find((a) => a.Name === 'email')?.Value || undefined;
}

const cognitoDirectory = (userPoolId: string): UserDirectory => ({
  async names(subs) {
    const out = new Map<string, string>();
    const now = Date.now();
    const missing = [...new Set(subs)].filter((sub) => !((cache.get(sub)?.until ?? 0) > now));
    await inParallel(missing, 4, async (sub) => {
      try {
        cache.set(sub, { name: await nameInPool(userPoolId, sub), until: now + CACHE_MS });
      } catch (error) {
        // A view still answers without the name (the sub stands in); the next one asks again.
        logger.warn('user directory lookup failed', { error: error as Error });
      }
    });
    for (const sub of subs) {
      const name = cache.get(sub)?.name;
      if (name) out.set(sub, name);
    }
    return out;
  },
});

const directory = definePort('userDirectory', (env) => cognitoDirectory(env.USER_POOL_ID));

/** Names by sub from the directory: the pool in AWS, the local host's users locally. */
export function userNames(subs: readonly string[]): Promise<Map<string, string>> {
  return directory().names(subs.filter(Boolean));
}
