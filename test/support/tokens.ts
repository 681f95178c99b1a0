import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt, importJWK, SignJWT, type JWK } from 'jose';
import { LOCAL_AUDIENCE, LocalIssuer } from '../../infra/local/jwt.js';
import type { Role } from '../../shared/roles.js';

const OTHER_POOL = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AnotherPool';

type TokenSource = { token(role: Role, sub?: string): Promise<string> };

/**
 * Signs arbitrary claims with the stack's own key and issuer, for a stack
 * started with `dataDir` (its issuer keeps the key in local-keys.json).
 */
async function stackKeySigner(stack: TokenSource, dataDir: string) {
  const saved = JSON.parse(readFileSync(join(dataDir, 'local-keys.json'), 'utf8')) as { private: JWK; kid: string };
  const key = await importJWK(saved.private, 'RS256');
  const issuer = String(decodeJwt(await stack.token('admin')).iss);
  const sign = (groups: string[], options: { audience?: string; expires?: string } = {}) =>
    new SignJWT({ 'cognito:groups': groups, token_use: 'id' })
      .setProtectedHeader({ alg: 'RS256', kid: saved.kid })
      .setSubject('signed-by-test')
      .setIssuer(issuer)
      .setAudience(options.audience ?? LOCAL_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(options.expires ?? '1h')
      .sign(key);
  return { issuer, sign };
}

/**
 * Tokens the API must refuse. Several are signed with the stack's real key,
 * so only the check the name gives (expiry, issuer, audience) can refuse them.
 */
export async function refusedTokens(stack: TokenSource, dataDir: string): Promise<Record<string, string>> {
  const keyFile = join(dataDir, 'local-keys.json');
  const { issuer, sign } = await stackKeySigner(stack, dataDir);
  const admin = await stack.token('admin', 'refused-admin');
  const agent = await stack.token('agent', 'refused-agent');
  const [header, , signature] = agent.split('.');
  const elevated = Buffer.from(JSON.stringify({ ...decodeJwt(agent), 'cognito:groups': ['admin'] })).toString('base64url');
  const flipped = signature.slice(0, -4) + (signature.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  return {
    'a bad signature': `${admin.split('.').slice(0, 2).join('.')}.${flipped}`,
    'an agent token edited to say admin': `${header}.${elevated}.${signature}`,
    'an unsigned token (alg none)': `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${admin.split('.')[1]}.`,
    'an expired token': await (await LocalIssuer.create(issuer, keyFile)).sign('refused-admin', 'admin', { expiresIn: '-5 minutes' }),
    'a token of another user pool': await (await LocalIssuer.create(OTHER_POOL)).sign('refused-admin', 'admin'),
    'a token of another issuer signed with our key': await (await LocalIssuer.create(OTHER_POOL, keyFile)).sign('refused-admin', 'admin'),
    'a token for another audience': await sign(['admin'], { audience: 'another-app-client' }),
    garbage: 'not-a-jwt',
  };
}

/** A token the JWT check accepts but that carries no role group: the function itself must refuse it. */
export async function roleLessToken(stack: TokenSource, dataDir: string): Promise<string> {
  return (await stackKeySigner(stack, dataDir)).sign(['visitors']);
}
