import { startLocalStack as start, type LocalStack, type LocalStackOptions } from '../../infra/local/stack.js';
import type { Role } from '../../shared/roles.js';
import { dynamoEndpoint } from './file-dynamo.js';

let tables = 0;

/**
 * A local stack for one test file: its own table on the run's DynamoDB
 * Local, the real handlers behind the local host on a free port. Schedules
 * are off unless asked for; tests call `runSchedule` when they need one.
 */
export async function startLocalStack(options: Partial<LocalStackOptions> = {}): Promise<LocalStack & { api: ApiClient }> {
  const stack = await start({
    port: 0,
    dynamoEndpoint: await dynamoEndpoint(),
    tableName: `t-${process.pid}-${Date.now().toString(36)}-${tables++}`,
    schedules: false,
    ...options,
  });
  return Object.assign(stack, { api: apiClient(stack) });
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export type ApiClient = ReturnType<typeof apiClient>;

/** A tiny client for the HTTP contract: `api.as('operator').post('/v1/contacts', {...})`. */
export function apiClient(stack: Pick<LocalStack, 'baseUrl' | 'token'>) {
  const call = async <T = any>(method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.body !== undefined) headers['content-type'] ??= 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const response = await fetch(stack.baseUrl + path, {
      method,
      headers,
      body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
    });
    const text = await response.text();
    let body: any = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* non-JSON bodies stay text */
    }
    return { status: response.status, body, headers: response.headers };
  };
  const as = (role: Role | { token: string }, sub?: string) => {
    const token = typeof role === 'object' ? Promise.resolve(role.token) : stack.token(role, sub);
    const verb = (method: string) => async <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => call<T>(method, path, { token: await token, body, headers });
    return { get: verb('GET'), post: verb('POST'), put: verb('PUT'), patch: verb('PATCH'), delete: verb('DELETE') };
  };
  return { call, as, anonymous: as({ token: '' }) };
}
