import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { UserDirectory } from '../../functions/lib/user-directory.js';
import type { Role } from '../../shared/roles.js';
import type { LocalIssuer } from './jwt.js';

/**
 * The local stand-in for the user pool's directory: the users
 * `/local/token` (or a test's `stack.token`) signed in, with the name they
 * were signed in under, kept under the data dir so merge history still
 * names them after a restart.
 */
export class LocalUsers implements UserDirectory {
  private readonly byId: Map<string, string>;

  constructor(private readonly file?: string) {
    this.byId = new Map(file && existsSync(file) ? (Object.entries(JSON.parse(readFileSync(file, 'utf8'))) as [string, string][]) : []);
  }

  remember(sub: string, name: string): void {
    if (this.byId.get(sub) === name) return;
    this.byId.set(sub, name);
    if (this.file) {
      mkdirSync(dirname(this.file), { recursive: true });
      writeFileSync(this.file, JSON.stringify(Object.fromEntries(this.byId)));
    }
  }

  async names(subs: readonly string[]): Promise<Map<string, string>> {
    return new Map(subs.filter((sub) => this.byId.has(sub)).map((sub) => [sub, this.byId.get(sub)!]));
  }

  /** The issuer as the host uses it, registering whoever it signs in. */
  signingThrough(issuer: LocalIssuer): Pick<LocalIssuer, 'sign' | 'verify'> {
    return {
      sign: (sub: string, role: Role, options: { name?: string; expiresIn?: string } = {}) => {
        this.remember(sub, options.name ?? sub);
        return issuer.sign(sub, role, options);
      },
      verify: (token: string) => issuer.verify(token),
    };
  }
}
