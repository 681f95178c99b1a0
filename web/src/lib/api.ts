/**
 * The one way the SPA talks to the HTTP API: `send()` attaches the bearer
 * token and turns the error JSON `{"error":{"code","message","fields"}}` into
 * an `ApiError` the UI can show, field by field.
 */
import type {
  AgentEntry,
  ApiKeySummary,
  Contact,
  ContactInput,
  ContactQuery,
  CustomFieldDefinition,
  Dispatch,
  Erasure,
  Job,
  JobRequest,
  ListSummary,
  Me,
  MergeRecord,
  MergeSuggestion,
  MessageResult,
  Named,
  Page,
  Profile,
  RecycleBinEntry,
  Suppression,
  TagSummary,
} from './types';
import { saveFile } from './save-file';

export type ErrorCode =
  | 'validation_error'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'throttled'
  | 'network'
  | 'server_error';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode | string,
    message: string,
    /** Field-level messages of a 400, keyed by field path (`email`, `customFields.plan`). */
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }

  get hasFields(): boolean {
    return Object.keys(this.fields).length > 0;
  }
}

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'validation_error',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'too_large',
  429: 'throttled',
};

function normalizeFields(raw: unknown): Record<string, string> {
  if (!raw || typeof raw !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (Array.isArray(value)) out[key] = value.map(String).join(' ');
    else if (value != null) out[key] = String(value);
  }
  return out;
}

export function toApiError(status: number, body: unknown, fallbackMessage: string): ApiError {
  const error = (body && typeof body === 'object' ? (body as { error?: unknown }).error : undefined) as
    | { code?: unknown; message?: unknown; fields?: unknown }
    | undefined;
  const code = typeof error?.code === 'string' ? error.code : (CODE_BY_STATUS[status] ?? (status >= 500 ? 'server_error' : 'unknown'));
  const message = typeof error?.message === 'string' ? error.message : fallbackMessage;
  return new ApiError(status, code, message, normalizeFields(error?.fields));
}

interface ApiSetup {
  baseUrl: string;
  token: () => string | null;
  onUnauthorized: () => void;
}

let setup: ApiSetup = { baseUrl: '', token: () => null, onUnauthorized: () => {} };

export function configureApi(next: ApiSetup): void {
  setup = { ...next, baseUrl: next.baseUrl.replace(/\/+$/, '') };
}

export type QueryValue = string | number | boolean | null | undefined;
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface SendOptions {
  body?: unknown;
  query?: object;
  signal?: AbortSignal;
  /** Send the bearer token. @default true */
  auth?: boolean;
}

export function buildUrl(path: string, query?: object): string {
  const url = /^https?:\/\//.test(path) ? path : `${setup.baseUrl}${path}`;
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query) as Array<[string, QueryValue]>) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${url}${url.includes('?') ? '&' : '?'}${qs}` : url;
}

function requestHeaders(hasBody: boolean, token: string | null): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (hasBody) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  return headers;
}

/** Reads an answer: the JSON body, or the typed error of a failed request. */
function settle<T>(status: number, statusText: string, text: string, token: string | null): T {
  let data: unknown;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (status < 200 || status >= 300) {
    const error = toApiError(status, data, statusText || `HTTP ${status}`);
    if (status === 401 && token) setup.onUnauthorized();
    throw error;
  }
  return data as T;
}

export async function send<T>(method: Method, path: string, options: SendOptions = {}): Promise<T> {
  const token = options.auth === false ? null : setup.token();
  let res: Response;
  try {
    res = await fetch(buildUrl(path, options.query), {
      method,
      headers: requestHeaders(options.body !== undefined, token),
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
  }
  return settle<T>(res.status, res.statusText, res.status === 204 ? '' : await res.text(), token);
}

/**
 * `send()` for a large body: fetch cannot report upload progress, so this
 * goes through XMLHttpRequest, whose upload does (`onProgress`, 0..1).
 */
export function sendWithProgress<T>(method: Method, path: string, body: unknown, onProgress: (fraction: number) => void): Promise<T> {
  const token = setup.token();
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, buildUrl(path));
    for (const [name, value] of Object.entries(requestHeaders(true, token))) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      try {
        resolve(settle<T>(xhr.status, xhr.statusText, xhr.responseText, token));
      } catch (err) {
        reject(err);
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload did not reach the server.'));
    xhr.send(JSON.stringify(body));
  });
}

/**
 * Downloads a job's file. A URL on the API itself needs the bearer token, so
 * it is fetched and saved from a blob; a presigned URL elsewhere is opened as is.
 */
export async function downloadFile(url: string, fileName: string): Promise<void> {
  const absolute = new URL(url, setup.baseUrl || window.location.origin);
  const apiOrigin = new URL(setup.baseUrl || window.location.origin).origin;
  if (absolute.origin !== apiOrigin || absolute.searchParams.has('X-Amz-Signature')) {
    window.location.assign(absolute.href);
    return;
  }
  const token = setup.token();
  const res = await fetch(absolute.href, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) {
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      body = undefined;
    }
    throw toApiError(res.status, body, res.statusText);
  }
  saveFile(await res.blob(), fileName);
}

const enc = encodeURIComponent;

export const api = {
  localToken: (sub: string, role: string) =>
    send<{ token: string }>('POST', '/local/token', { body: { sub, role }, auth: false }),
  me: () => send<Me>('GET', '/v1/me'),

  contacts: {
    list: (query: ContactQuery, signal?: AbortSignal) => send<Page<Contact>>('GET', '/v1/contacts', { query, signal }),
    get: (id: string) => send<Profile>('GET', `/v1/contacts/${enc(id)}`),
    create: (body: ContactInput) => send<Contact>('POST', '/v1/contacts', { body }),
    update: (id: string, body: ContactInput) => send<Contact>('PATCH', `/v1/contacts/${enc(id)}`, { body }),
    remove: (id: string) => send<void>('DELETE', `/v1/contacts/${enc(id)}`),
    erase: (id: string, reason?: string) => send<Erasure>('POST', `/v1/contacts/${enc(id)}/erase`, { body: reason ? { reason } : {} }),
    addToList: (id: string, listId: string) => send<void>('PUT', `/v1/contacts/${enc(id)}/lists/${enc(listId)}`),
    removeFromList: (id: string, listId: string) =>
      send<void>('DELETE', `/v1/contacts/${enc(id)}/lists/${enc(listId)}`),
    addTag: (id: string, name: string) => send<Named>('POST', `/v1/contacts/${enc(id)}/tags`, { body: { name } }),
    removeTag: (id: string, tagId: string) => send<void>('DELETE', `/v1/contacts/${enc(id)}/tags/${enc(tagId)}`),
    subscribe: (id: string, channel: string) =>
      send<Contact>('POST', `/v1/contacts/${enc(id)}/channels/${enc(channel)}/subscribe`),
    unsubscribe: (id: string, channel: string) =>
      send<Contact>('POST', `/v1/contacts/${enc(id)}/channels/${enc(channel)}/unsubscribe`),
    removeChannel: (id: string, channel: string) =>
      send<void>('DELETE', `/v1/contacts/${enc(id)}/channels/${enc(channel)}`),
    block: (id: string) => send<Contact>('POST', `/v1/contacts/${enc(id)}/block`),
    unblock: (id: string) => send<Contact>('POST', `/v1/contacts/${enc(id)}/unblock`),
    sendMessage: (id: string, channel: string, text: string) =>
      send<MessageResult>('POST', `/v1/contacts/${enc(id)}/messages`, { body: { channel, text } }),
    mergeSuggestions: (id: string) => send<Page<MergeSuggestion>>('GET', `/v1/contacts/${enc(id)}/merge-suggestions`),
  },

  lists: {
    list: (query: { limit?: number; cursor?: string } = {}) => send<Page<ListSummary>>('GET', '/v1/lists', { query }),
    get: (id: string) => send<ListSummary>('GET', `/v1/lists/${enc(id)}`),
    create: (name: string) => send<ListSummary>('POST', '/v1/lists', { body: { name } }),
    rename: (id: string, name: string) => send<ListSummary>('PATCH', `/v1/lists/${enc(id)}`, { body: { name } }),
    remove: (id: string) => send<void>('DELETE', `/v1/lists/${enc(id)}`),
    contacts: (id: string, query: { limit?: number; cursor?: string } = {}) =>
      send<Page<Contact>>('GET', `/v1/lists/${enc(id)}/contacts`, { query }),
  },

  tags: {
    list: (query: { limit?: number; cursor?: string; q?: string } = {}) =>
      send<Page<TagSummary>>('GET', '/v1/tags', { query }),
    create: (name: string) => send<TagSummary>('POST', '/v1/tags', { body: { name } }),
    remove: (id: string) => send<void>('DELETE', `/v1/tags/${enc(id)}`),
  },

  companies: catalog('companies'),
  departments: catalog('departments'),

  customFields: {
    list: () => send<Page<CustomFieldDefinition>>('GET', '/v1/custom-fields', { query: { limit: 100 } }),
    create: (body: Omit<CustomFieldDefinition, 'id'>) => send<CustomFieldDefinition>('POST', '/v1/custom-fields', { body }),
    remove: (id: string) => send<void>('DELETE', `/v1/custom-fields/${enc(id)}`),
  },

  agents: {
    list: (query: { limit?: number; cursor?: string } = {}) => send<Page<AgentEntry>>('GET', '/v1/agents', { query }),
    create: (body: { name: string; type: 'agent' | 'group' }) => send<AgentEntry>('POST', '/v1/agents', { body }),
    remove: (id: string) => send<void>('DELETE', `/v1/agents/${enc(id)}`),
  },

  jobs: {
    create: (body: JobRequest) => send<Job>('POST', '/v1/jobs', { body }),
    /** A job with a large payload (an import), reporting the upload's progress. */
    upload: (body: JobRequest, onProgress: (fraction: number) => void) => sendWithProgress<Job>('POST', '/v1/jobs', body, onProgress),
    get: (id: string) => send<Job>('GET', `/v1/jobs/${enc(id)}`),
    cancel: (id: string) => send<Job>('POST', `/v1/jobs/${enc(id)}/cancel`),
    list: (query: { limit?: number; cursor?: string } = {}) => send<Page<Job>>('GET', '/v1/jobs', { query }),
  },

  recycleBin: {
    list: (query: { q?: string; limit?: number; cursor?: string }, signal?: AbortSignal) =>
      send<Page<RecycleBinEntry>>('GET', '/v1/recycle-bin', { query, signal }),
    restore: (id: string) => send<Profile>('POST', `/v1/recycle-bin/${enc(id)}/restore`),
    purge: (id: string) => send<void>('DELETE', `/v1/recycle-bin/${enc(id)}`),
  },

  suppressions: {
    list: (query: { value?: string; limit?: number; cursor?: string }, signal?: AbortSignal) =>
      send<Page<Suppression>>('GET', '/v1/suppressions', { query, signal }),
    lift: (id: string) => send<void>('DELETE', `/v1/suppressions/${enc(id)}`),
  },

  dispatches: {
    list: (query: { contactId?: string; status?: string; limit?: number; cursor?: string }) =>
      send<Page<Dispatch>>('GET', '/v1/dispatches', { query }),
  },

  merges: {
    suggestions: (query: { limit?: number; cursor?: string } = {}) =>
      send<Page<MergeSuggestion>>('GET', '/v1/merge-suggestions', { query }),
    create: (primaryId: string, duplicateIds: string[]) =>
      send<MergeRecord>('POST', '/v1/merges', { body: { primaryId, duplicateIds } }),
    list: (query: { limit?: number; cursor?: string } = {}) => send<Page<MergeRecord>>('GET', '/v1/merges', { query }),
    undo: (id: string) => send<unknown>('POST', `/v1/merges/${enc(id)}/undo`),
  },

  apiKeys: {
    list: () => send<Page<ApiKeySummary>>('GET', '/v1/api-keys'),
    create: (name: string) => send<ApiKeySummary & { key: string }>('POST', '/v1/api-keys', { body: { name } }),
    remove: (id: string) => send<void>('DELETE', `/v1/api-keys/${enc(id)}`),
  },

  analytics: {
    contacts: (query: { from?: string; to?: string }) => send<unknown>('GET', '/v1/analytics/contacts', { query }),
  },
};

function catalog(area: 'companies' | 'departments') {
  return {
    list: (query: { limit?: number; cursor?: string } = {}) => send<Page<Named>>('GET', `/v1/${area}`, { query }),
    create: (name: string) => send<Named>('POST', `/v1/${area}`, { body: { name } }),
    rename: (id: string, name: string) => send<Named>('PATCH', `/v1/${area}/${enc(id)}`, { body: { name } }),
    remove: (id: string) => send<void>('DELETE', `/v1/${area}/${enc(id)}`),
  };
}

/** Reads every page of a listing (the API caps a page at 100). For small catalogs: tags, lists, companies. */
export async function fetchAll<T>(
  page: (query: { limit: number; cursor?: string }) => Promise<Page<T>>,
  max = 1000,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const res = await page({ limit: 100, cursor });
    out.push(...res.items);
    cursor = res.cursor ?? undefined;
  } while (cursor && out.length < max);
  return out;
}
