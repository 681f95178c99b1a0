import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';
import { isRole, type Role } from '../../shared/roles.js';

export const LOCAL_AUDIENCE = 'local-spa';

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/**
 * The local stand-in for a Cognito user pool's signing keys: an RS256 key
 * pair made on first start (kept under the data dir, so tokens survive a
 * restart) that the host verifies exactly as API Gateway's JWT authorizer
 * does: signature, expiry, issuer and audience.
 */
export class LocalIssuer {
  private constructor(
    readonly issuer: string,
    private readonly privateKey: Key,
    private readonly publicKey: Key,
    private readonly kid: string,
  ) {}

  static async create(issuer: string, keyFile?: string): Promise<LocalIssuer> {
    if (keyFile && existsSync(keyFile)) {
      const saved = JSON.parse(readFileSync(keyFile, 'utf8')) as { private: JWK; public: JWK; kid: string };
      return new LocalIssuer(issuer, (await importJWK(saved.private, 'RS256')) as Key, (await importJWK(saved.public, 'RS256')) as Key, saved.kid);
    }
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = `local-${Date.now().toString(36)}`;
    if (keyFile) {
      mkdirSync(dirname(keyFile), { recursive: true });
      writeFileSync(keyFile, JSON.stringify({ private: await exportJWK(privateKey), public: await exportJWK(publicKey), kid }), { mode: 0o600 });
    }
    return new LocalIssuer(issuer, privateKey, publicKey, kid);
  }

  /** A token shaped like a Cognito ID token: `cognito:groups` carries the role. */
  async sign(sub: string, role: Role, options: { name?: string; expiresIn?: string } = {}): Promise<string> {
    return new SignJWT({ 'cognito:groups': [role], name: options.name ?? sub, 'cognito:username': sub, token_use: 'id' })
      .setProtectedHeader({ alg: 'RS256', kid: this.kid })
      .setSubject(sub)
      .setIssuer(this.issuer)
      .setAudience(LOCAL_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '12h')
      .sign(this.privateKey);
  }

  /** Verifies like the JWT authorizer; undefined for any invalid token. */
  async verify(token: string): Promise<JWTPayload | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, { issuer: this.issuer, audience: LOCAL_AUDIENCE, algorithms: ['RS256'] });
      return payload;
    } catch {
      return undefined;
    }
  }
}

export function parseTokenRequest(body: unknown): { sub: string; role: Role; name?: string } | { fields: Record<string, string> } {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const fields: Record<string, string> = {};
  if (typeof b.sub !== 'string' || !/^[\w.@-]{1,64}$/.test(b.sub)) fields.sub = 'is required (letters, digits, . _ @ -; at most 64)';
  if (!isRole(b.role)) fields.role = 'must be admin, operator or agent';
  if (b.name !== undefined && (typeof b.name !== 'string' || b.name.length > 100)) fields.name = 'must be a string of at most 100 characters';
  if (Object.keys(fields).length) return { fields };
  return { sub: b.sub as string, role: b.role as Role, name: b.name as string | undefined };
}
