/** Reads a JWT's payload without verifying it: the API verifies; the SPA only needs the claims to render. */
export function decodeJwtPayload(token: string): Record<string, unknown> | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const payload: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return payload && typeof payload === 'object' ? (payload as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function isExpired(claims: Record<string, unknown>, skewSeconds = 30): boolean {
  const exp = typeof claims.exp === 'number' ? claims.exp : null;
  return exp !== null && exp * 1000 < Date.now() + skewSeconds * 1000;
}
