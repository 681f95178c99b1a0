/**
 * Who is signed in. The token lives in sessionStorage (gone when the tab
 * closes); the role and name come from its claims so the shell renders at
 * once, and `GET /v1/me` confirms them.
 */
import { api } from './api';
import type { RuntimeConfig } from './config';
import { decodeJwtPayload, isExpired } from './jwt';
import { can as roleCan, highestRole, isRole, type Action, type Role } from './permissions';

const TOKEN_KEY = 'cem.token';
const ID_TOKEN_KEY = 'cem.idToken';

export interface User {
  sub: string;
  name: string;
  role: Role | null;
}

export function userFromToken(token: string): User | null {
  const claims = decodeJwtPayload(token);
  if (!claims || isExpired(claims)) return null;
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  const name =
    typeof claims.name === 'string' && claims.name
      ? claims.name
      : typeof claims['cognito:username'] === 'string'
        ? (claims['cognito:username'] as string)
        : sub;
  const role = highestRole(claims['cognito:groups']) ?? (isRole(claims.role) ? claims.role : null);
  return { sub, name, role };
}

class Session {
  token = $state<string | null>(null);
  user = $state<User | null>(null);
  config = $state.raw<RuntimeConfig | null>(null);

  get role(): Role | null {
    return this.user?.role ?? null;
  }

  can = (action: Action): boolean => roleCan(this.user?.role, action);

  restore(): void {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) return;
    const idToken = sessionStorage.getItem(ID_TOKEN_KEY);
    const user = userFromToken(idToken ?? token);
    if (user && userFromToken(token)) {
      this.token = token;
      this.user = user;
    } else {
      this.clear();
    }
  }

  /** `token` is the API's bearer; `idToken` (Cognito) carries the name and groups when the bearer is an access token. */
  signIn(token: string, idToken?: string): boolean {
    const user = userFromToken(idToken ?? token);
    if (!user) return false;
    this.token = token;
    this.user = user;
    sessionStorage.setItem(TOKEN_KEY, token);
    if (idToken) sessionStorage.setItem(ID_TOKEN_KEY, idToken);
    return true;
  }

  /** Takes name and role from `/v1/me`: the API's view wins over the token's claims. */
  async refreshMe(): Promise<void> {
    try {
      const me = await api.me();
      if (this.user && me) {
        this.user = {
          sub: me.sub || this.user.sub,
          name: me.name || this.user.name,
          role: isRole(me.role) ? me.role : this.user.role,
        };
      }
    } catch {
      // Claims from the token are enough to render; a 401 already signed us out.
    }
  }

  clear(): void {
    this.token = null;
    this.user = null;
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ID_TOKEN_KEY);
  }

  async signOut(): Promise<void> {
    const config = this.config;
    this.clear();
    if (config?.auth.mode === 'cognito') {
      const { signOutUrl } = await import('./cognito');
      window.location.assign(signOutUrl(config.auth));
      return;
    }
    window.location.hash = '#/contacts';
  }
}

export const session = new Session();
