/**
 * Runtime configuration. In AWS the deploy writes `/config.json` beside the
 * SPA; locally it may be missing or say `{auth:{mode:'local'}}`, and the API
 * is served from the same origin.
 */
export interface CognitoAuthConfig {
  readonly mode: 'cognito';
  readonly userPoolId: string;
  readonly clientId: string;
  /** Managed login domain, with or without `https://`. */
  readonly domain: string;
  readonly redirectUri: string;
  /** Which token the API receives as bearer. @default 'id' */
  readonly tokenUse: 'id' | 'access';
  readonly scopes: readonly string[];
}

export interface LocalAuthConfig {
  readonly mode: 'local';
}

export interface RuntimeConfig {
  readonly apiUrl: string;
  readonly region?: string;
  readonly tenant?: string;
  readonly timezone: string;
  /** Region for phones typed without a country code. @default 'BR' */
  readonly defaultPhoneRegion: string;
  readonly auth: CognitoAuthConfig | LocalAuthConfig;
}

const DEFAULT_TIMEZONE = 'America/Sao_Paulo';

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

export function parseRuntimeConfig(raw: unknown, origin: string): RuntimeConfig {
  const value = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const auth = (value.auth && typeof value.auth === 'object' ? value.auth : {}) as Record<string, unknown>;
  const apiUrl = typeof value.apiUrl === 'string' && value.apiUrl ? trimSlash(value.apiUrl) : origin;
  const timezone = typeof value.timezone === 'string' && value.timezone ? value.timezone : DEFAULT_TIMEZONE;
  const base = {
    apiUrl,
    region: typeof value.region === 'string' ? value.region : undefined,
    tenant: typeof value.tenant === 'string' ? value.tenant : undefined,
    timezone,
    defaultPhoneRegion:
      typeof value.defaultPhoneRegion === 'string' && value.defaultPhoneRegion ? value.defaultPhoneRegion : 'BR',
  };
  if (auth.mode === 'cognito' && typeof auth.clientId === 'string' && typeof auth.domain === 'string') {
    const domain = trimSlash(/^https?:\/\//.test(auth.domain) ? auth.domain : `https://${auth.domain}`);
    return {
      ...base,
      auth: {
        mode: 'cognito',
        userPoolId: String(auth.userPoolId ?? ''),
        clientId: auth.clientId,
        domain,
        redirectUri: typeof auth.redirectUri === 'string' && auth.redirectUri ? auth.redirectUri : `${origin}/`,
        tokenUse: auth.tokenUse === 'access' ? 'access' : 'id',
        scopes: Array.isArray(auth.scopes) ? auth.scopes.map(String) : ['openid', 'email', 'profile'],
      },
    };
  }
  return { ...base, auth: { mode: 'local' } };
}

export async function loadRuntimeConfig(): Promise<RuntimeConfig> {
  const origin = window.location.origin;
  try {
    const res = await fetch('/config.json', { cache: 'no-store', headers: { accept: 'application/json' } });
    if (!res.ok) return parseRuntimeConfig({}, origin);
    return parseRuntimeConfig(await res.json(), origin);
  } catch {
    // No config.json (or the SPA fallback answered HTML): the local host, same origin.
    return parseRuntimeConfig({}, origin);
  }
}
