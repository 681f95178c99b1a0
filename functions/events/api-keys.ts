import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeTime, ulid } from 'ulid';
import { apiKeysPage, getApiKey, putApiKey, revokeApiKeyItem, type ApiKeyRecord } from '../data/api-key.js';
import { NotFoundError } from '../lib/errors.js';

/**
 * Integration API keys. A key reads `cek_<id>_<secret>`: the id finds the
 * item in one GetItem, the secret is checked against the stored SHA-256 in
 * constant time. The key itself is returned once, at creation, and never
 * stored. Revoked keys stay listed (who revoked, when) and stop working at
 * once, since every call reads the item.
 */
const PREFIX = 'cek';

export interface ApiKeyView {
  id: string;
  name: string;
  hint: string;
  createdAt: string;
  createdBy: string;
  revokedAt?: string;
  revokedBy?: string;
}

const hashOf = (key: string) => createHash('sha256').update(key).digest('hex');

function view(key: ApiKeyRecord): ApiKeyView {
  const { id, name, hint, createdAt, createdBy, revokedAt, revokedBy } = key;
  return { id, name, hint, createdAt, createdBy, ...(revokedAt ? { revokedAt, revokedBy } : {}) };
}

/** A new key named as the route's schema parsed it (trimmed, 1-100 characters); the key itself is shown once. */
export async function createApiKey({ name }: { name: string }, createdBy: string): Promise<ApiKeyView & { key: string }> {
  const id = ulid();
  const key = `${PREFIX}_${id}_${randomBytes(32).toString('base64url')}`;
  const record: ApiKeyRecord = { id, name: name.trim(), hash: hashOf(key), hint: key.slice(-4), createdAt: new Date().toISOString(), createdBy };
  await putApiKey(record);
  return { ...view(record), key };
}

export async function listApiKeys(query: { limit: number; cursor?: string }): Promise<{ items: ApiKeyView[]; cursor: string | null }> {
  const page = await apiKeysPage(query);
  return { items: page.items.map(view), cursor: page.cursor };
}

/** Revoking twice is fine; an unknown id is a 404. */
export async function revokeApiKey(id: string, revokedBy: string): Promise<void> {
  if (!(await revokeApiKeyItem(id, revokedBy, new Date().toISOString()))) throw new NotFoundError('API key');
}

/**
 * Key ids this container found absent or revoked, for a while: a client
 * that keeps sending a stale key (or a flood repeating one) costs one read
 * per id, not one per call. Only for the id: a wrong secret under a live id
 * is never remembered, or it would lock the real key out.
 */
const refused = new Map<string, number>();
const REFUSED_MS = 5 * 60_000;
const REFUSED_MAX = 10_000;

function remembersRefusal(id: string, now: number): boolean {
  const until = refused.get(id);
  if (until === undefined) return false;
  if (until > now) return true;
  refused.delete(id);
  return false;
}

function rememberRefusal(id: string, now: number): void {
  if (refused.size >= REFUSED_MAX) refused.delete(refused.keys().next().value!);
  refused.set(id, now + REFUSED_MS);
}

/** Tests start from a container that has refused nothing. */
export function forgetRefusedKeys(): void {
  refused.clear();
}

/**
 * Whether a key can be one this API issued, without a read: the form
 * `cek_<ULID>_<43 base64url>`, and a ULID whose time is not in the future
 * (ids are made when the key is created). A random 26-character id almost
 * always carries a time centuries ahead.
 */
function wellFormedKeyId(key: string | undefined, now: number): string | undefined {
  const match = key ? /^cek_([0-9A-HJKMNP-TV-Z]{26})_[A-Za-z0-9_-]{43}$/.exec(key) : null;
  if (!match) return undefined;
  let madeAt: number;
  try {
    madeAt = decodeTime(match[1]);
  } catch {
    return undefined;
  }
  return madeAt <= now + 60_000 ? match[1] : undefined;
}

/** The key's id when it is a live key, undefined otherwise (never says why: no oracle for guessing). */
export async function verifyApiKey(key: string | undefined): Promise<string | undefined> {
  const now = Date.now();
  const id = wellFormedKeyId(key, now);
  if (!key || !id || remembersRefusal(id, now)) return undefined;
  const stored = await getApiKey(id);
  if (!stored || stored.revokedAt) {
    rememberRefusal(id, now);
    return undefined;
  }
  const expected = Buffer.from(String(stored.hash), 'hex');
  const actual = Buffer.from(hashOf(key), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual) ? id : undefined;
}
