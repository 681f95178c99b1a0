/**
 * Cognito managed login: authorization code with PKCE (S256). Loaded only
 * when config.json says `auth.mode = 'cognito'`.
 */
import type { CognitoAuthConfig } from './config';

const PKCE_KEY = 'cem.pkce';

interface PendingSignIn {
  verifier: string;
  state: string;
  returnTo: string;
}

export interface CognitoTokens {
  idToken: string;
  accessToken: string;
  refreshToken?: string;
}

function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(byteLength: number): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(byteLength)));
}

export async function codeChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

export async function startSignIn(auth: CognitoAuthConfig): Promise<void> {
  const pending: PendingSignIn = {
    verifier: randomString(48),
    state: randomString(24),
    returnTo: window.location.hash || '#/contacts',
  };
  sessionStorage.setItem(PKCE_KEY, JSON.stringify(pending));
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: auth.clientId,
    redirect_uri: auth.redirectUri,
    scope: auth.scopes.join(' '),
    state: pending.state,
    code_challenge_method: 'S256',
    code_challenge: await codeChallenge(pending.verifier),
  });
  window.location.assign(`${auth.domain}/oauth2/authorize?${params}`);
}

export class SignInError extends Error {
  constructor(readonly reason: 'state_mismatch' | 'denied' | 'exchange_failed', detail?: string) {
    super(detail ?? reason);
  }
}

/**
 * Finishes a sign-in when the page is the redirect back from managed login
 * (`?code=&state=`): checks the state, exchanges the code, and cleans the URL.
 * Returns null when the page is not such a redirect.
 */
export async function completeSignIn(auth: CognitoAuthConfig): Promise<{ tokens: CognitoTokens; returnTo: string } | null> {
  const params = new URLSearchParams(window.location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (!code && !error) return null;

  const stored = sessionStorage.getItem(PKCE_KEY);
  sessionStorage.removeItem(PKCE_KEY);
  const pending = stored ? (JSON.parse(stored) as PendingSignIn) : null;
  const returnTo = pending?.returnTo ?? '#/contacts';
  window.history.replaceState(null, '', `${window.location.pathname}${returnTo}`);

  if (error) throw new SignInError('denied', params.get('error_description') ?? error);
  if (!pending || params.get('state') !== pending.state) throw new SignInError('state_mismatch');

  const res = await fetch(`${auth.domain}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: auth.clientId,
      code: code ?? '',
      redirect_uri: auth.redirectUri,
      code_verifier: pending.verifier,
    }),
  });
  if (!res.ok) throw new SignInError('exchange_failed', `${res.status}`);
  const body = (await res.json()) as { id_token: string; access_token: string; refresh_token?: string };
  return {
    tokens: { idToken: body.id_token, accessToken: body.access_token, refreshToken: body.refresh_token },
    returnTo,
  };
}

export function signOutUrl(auth: CognitoAuthConfig): string {
  const params = new URLSearchParams({ client_id: auth.clientId, logout_uri: auth.redirectUri });
  return `${auth.domain}/logout?${params}`;
}
